/**
 * Descriptors cannot be taken without credentials: refused requests do not keep their
 * connections, idle ones close when docs/server.md says, callers without credentials have a
 * budget of their own, and sidecars keep being served while others flood the server. Sockets are
 * counted on the server side (node:http's own count).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { ConnectionBudget, descriptorLimit, type ShedReason } from '../../src/server/connections.js';
import { loadConfig } from '../../src/server/index.js';
import { exampleRepository } from '../helpers/git-repo.js';
import { makeKey, startTestServer } from '../helpers/server.js';

const BUNDLE = '/bundles/movie-post-production/color.tar.gz';

function request(
  base: string,
  p: string,
  o: { agent?: http.Agent | false; headers?: Record<string, string>; method?: string; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve) => {
    const req = http.request(`${base}${p}`, { agent: o.agent ?? false, method: o.method ?? 'GET', headers: o.headers ?? {} }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', () => resolve({ status: 0, headers: {} }));
    req.end(o.body);
  });
}

/** A connection that sends nothing; resolves with how long the server kept it. */
function idleConnection(base: string, capMs = 15_000): { closedAfter: Promise<number>; socket: net.Socket } {
  const u = new URL(base);
  const started = Date.now();
  const socket = net.connect(Number(u.port), u.hostname);
  socket.on('error', () => undefined);
  socket.resume();
  const closedAfter = new Promise<number>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(Infinity);
    }, capMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
  return { closedAfter, socket };
}

async function inBatches(n: number, concurrency: number, one: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await one(next++);
    }),
  );
}

const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

test("refused requests do not keep their connections; a sidecar's does; an idle one closes after the 10 s header timeout", async () => {
  const t = await startTestServer();
  try {
    const idle = idleConnection(t.server.url);
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 50 });
    const statuses = new Set<number>();
    await inBatches(400, 50, async (i) => {
      const kind = i % 4;
      const r =
        kind === 0
          ? await request(t.server.url, BUNDLE, { agent: keepAlive, headers: { authorization: 'Bearer not-a-token' } })
          : kind === 1
            ? await request(t.server.url, BUNDLE, { agent: keepAlive, headers: { authorization: `Bearer ${t.tokens['movie-post-production/hdr']}` } })
            : kind === 2
              ? await request(t.server.url, '/status', { agent: keepAlive, method: 'POST', body: '{}', headers: { authorization: 'Bearer not-a-token' } })
              : await request(t.server.url, '/nowhere', { agent: keepAlive });
      statuses.add(r.status);
    });
    assert.equal([...statuses].sort(), [401, 403, 404]);
    await settle();
    assert.is(await t.server.openConnections(), 1, 'only the idle connection is still open');

    const ok = await request(t.server.url, BUNDLE, { agent: keepAlive, headers: { authorization: `Bearer ${t.tokens['movie-post-production/color']}` } });
    assert.is(ok.status, 200);
    assert.is(ok.headers.connection, 'keep-alive');
    await settle();
    assert.is(await t.server.openConnections(), 2, 'an authenticated sidecar keeps its connection');
    keepAlive.destroy();

    const closedAfter = await idle.closedAfter;
    assert.ok(closedAfter >= 9_500 && closedAfter <= 12_500, `an idle connection lived ${closedAfter} ms (10 s documented)`);
  } finally {
    await t.server.close();
  }
});

test('callers without credentials have a budget of their own; a sidecar is served while they flood', async () => {
  const t = await startTestServer({ maxUnauthenticatedConnections: 32 });
  const idle: net.Socket[] = [];
  try {
    const color = { authorization: `Bearer ${t.tokens['movie-post-production/color']}` };
    const etag = (await request(t.server.url, BUNDLE, { headers: color })).headers.etag!;
    const held = Date.now();
    const poll = request(t.server.url, BUNDLE, { headers: { ...color, 'if-none-match': etag, prefer: 'wait=4' } });
    await settle(100);

    for (let i = 0; i < 100; i++) idle.push(idleConnection(t.server.url).socket);
    await settle();
    const open = await t.server.openConnections();
    assert.ok(open <= 32 + 1, `${open} connections open: the budget and the long poll`);

    let flooding = true;
    const flood = inBatches(100_000, 16, async () => {
      if (flooding) await request(t.server.url, BUNDLE, { headers: { authorization: 'Bearer not-a-token' } });
    });
    const served: number[] = [];
    for (let i = 0; i < 20; i++) served.push((await request(t.server.url, BUNDLE, { headers: color })).status);
    flooding = false;
    await flood;
    assert.equal(served, Array(20).fill(200), 'every sidecar request during the flood');
    const answered = await poll;
    assert.is(answered.status, 304, 'the held long poll was not shed');
    assert.ok(Date.now() - held >= 3_900, 'held for its whole wait');
    assert.ok((await t.server.openConnections()) <= 32, 'still within the budget');
  } finally {
    for (const s of idle) s.destroy();
    await t.server.close();
  }
});

test('the bound on all connections: beyond it new connections are dropped, held ones kept', async () => {
  // One agent's polls: its own budget (below) set above the bound tested here.
  const t = await startTestServer({ maxConnections: 40, maxUnauthenticatedConnections: 10, maxConnectionsPerAgent: 100 });
  try {
    const color = { authorization: `Bearer ${t.tokens['movie-post-production/color']}` };
    const etag = (await request(t.server.url, BUNDLE, { headers: color })).headers.etag!;
    const polls: Promise<{ status: number }>[] = [];
    for (let i = 0; i < 45; i++) {
      polls.push(request(t.server.url, BUNDLE, { headers: { ...color, 'if-none-match': etag, prefer: 'wait=2' } }));
      await settle(10);
    }
    await settle();
    assert.ok((await t.server.openConnections()) <= 40);
    const statuses = (await Promise.all(polls)).map((r) => r.status);
    assert.is(statuses.filter((s) => s === 304).length, 40, statuses.join(' '));
  } finally {
    await t.server.close();
  }
});

/** What the budget reads of a socket: its byte counts, and whether it was destroyed. */
class FakeSocket extends EventEmitter {
  bytesRead = 0;
  bytesWritten = 0;
  destroyed = false;
  destroy() {
    this.destroyed = true;
    this.emit('close');
  }
}

test('a socket with no traffic for the silent time is closed, whether authenticated or not; one with traffic is kept', () => {
  let now = 0;
  const shed: ShedReason[] = [];
  const budget = new ConnectionBudget(
    10,
    100_000,
    (r) => shed.push(r),
    () => now,
  );
  const [silent, busy, late, trusted] = [new FakeSocket(), new FakeSocket(), new FakeSocket(), new FakeSocket()];
  for (const s of [silent, busy, late, trusted]) budget.accept(s as unknown as net.Socket);
  budget.trust(trusted as unknown as net.Socket);
  const at = (seconds: number) => {
    now = seconds * 1000;
    busy.bytesWritten += 10;
    budget.sweep();
  };
  at(0);
  late.bytesRead = 5; // one request, at 50 s
  at(60);
  assert.equal(
    [silent, busy, late, trusted].map((s) => s.destroyed),
    [false, false, false, false],
    'nothing silent for 100 s yet',
  );
  at(100);
  assert.equal(
    [silent, busy, late, trusted].map((s) => s.destroyed),
    [true, false, false, true],
    'silent since it was accepted, at 0',
  );
  at(155);
  assert.is(late.destroyed, false, 'its traffic was seen at 60 s');
  at(160);
  assert.is(late.destroyed, true, 'silent since 60 s');
  assert.is(busy.destroyed, false, 'written to before every look');
  assert.equal(shed, ['no traffic', 'no traffic', 'no traffic']);
  assert.equal(budget.counts(), { open: 1, unauthenticated: 1 });
});

test('defaults: every descriptor but a reserve for connections, a quarter of them (at most 4096) for callers without credentials', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-limits-'));
  const limits = path.join(dir, 'limits');
  writeFileSync(
    limits,
    'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                524288               files\n',
  );
  assert.is(descriptorLimit(limits), 20000);
  writeFileSync(limits, 'Max open files            unlimited            unlimited            files\n');
  assert.is(descriptorLimit(limits), undefined);
  assert.is(descriptorLimit(path.join(dir, 'missing')), undefined);

  const repo = exampleRepository();
  const key = makeKey(repo, 'k');
  const load = (overrides: Record<string, unknown>) =>
    loadConfig({ env: {}, cwd: repo, overrides: { repository: repo, signingKeys: [{ id: 'k', file: key.file }], ...overrides } });
  const d = load({});
  assert.ok(d.maxConnections >= 64);
  assert.is(d.maxUnauthenticatedConnections, Math.min(4096, Math.floor(d.maxConnections / 4)));
  assert.is(load({ maxConnections: 1000 }).maxUnauthenticatedConnections, 250);
  assert.throws(() => load({ maxConnections: 100, maxUnauthenticatedConnections: 100 }), /below maxConnections/);
});

test.run();
