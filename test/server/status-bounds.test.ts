/**
 * One agent cannot break the rollout view or grow the server's memory: a status keeps only the
 * fields the view shows, flat, typed and size-bounded; instance ids are capped per agent and
 * forgotten when not seen for an hour; an agent whose data cannot be shown does not fail the view.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Observations } from '../../src/server/observe.js';
import { rolloutView } from '../../src/server/index.js';
import { startTestServer } from '../helpers/server.js';

const COLOR = 'movie-post-production/color';

test('a status nesting 5,000 levels in its errors leaves the rollout view answering', async () => {
  const t = await startTestServer();
  try {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const body = `{"labels":{"id":"i1"},"bundles":{"custody":{"active_revision":"abc","code":"bundle_error","message":"bad","errors":[${deep},{"code":"rego_parse_error","message":"x","location":{"file":"policy.rego","row":3}}]}}}`;
    const posted = await fetch(`${t.server.url}/status`, { method: 'POST', body, headers: { authorization: `Bearer ${t.tokens[COLOR]}` } });
    assert.is(posted.status, 400, 'refused before parsing: no status nests that deep');
    const view = await fetch(`${t.server.url}/api/rollout`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    assert.is(view.status, 200);
    const color = ((await view.json()) as { agents: { workflow: string; agent: string; sidecars: { error?: { errors?: unknown[] } }[] }[] }).agents.find(
      (a) => a.agent === 'color',
    )!;
    for (const s of color.sidecars)
      for (const e of s.error?.errors ?? [])
        assert.ok(typeof e === 'object' && e !== null && Object.values(e).every((v) => typeof v === 'string'), JSON.stringify(e).slice(0, 80));
  } finally {
    await t.server.close();
  }
});

test('only the fields the view uses are kept: typed, bounded, flat', async () => {
  const t = await startTestServer();
  try {
    const body = {
      labels: { id: 'i1', version: 'v1.2.3', workflow: 'movie-post-production', agent: 'color', extra: 'x'.repeat(1000) },
      bundles: {
        custody: {
          active_revision: 42,
          last_successful_activation: '2026-01-01T00:00:00Z',
          message: 'm'.repeat(100_000),
          code: 'c',
          http_code: 'nope',
          errors: Array.from({ length: 50 }, (_, i) => ({ code: `e${i}`, message: 'y'.repeat(5000), nested: { deep: [1, 2, 3] } })),
        },
      },
      plugins: { bundle: { state: 'OK' } },
      metrics: { prometheus: { huge: 'z'.repeat(10_000) } },
    };
    assert.is(
      (await fetch(`${t.server.url}/status`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${t.tokens[COLOR]}` } })).status,
      200,
    );
    const [s] = t.server.observations.statusOf(COLOR);
    assert.ok(s);
    assert.is(s.activeRevision, undefined, 'a number is no revision');
    assert.is(s.lastSuccessfulActivation, '2026-01-01T00:00:00Z');
    assert.ok(s.error!.message!.length <= 1024, 'message bounded');
    assert.is(s.error!.httpCode, undefined);
    assert.is(s.error!.errors!.length, 5);
    assert.equal(Object.keys(s.error!.errors![0]!).sort(), ['code', 'message']);
    assert.ok(JSON.stringify(s).length < 8 * 1024, `kept ${JSON.stringify(s).length} bytes`);
    const tooLongId = { labels: { id: 'i'.repeat(1000) }, bundles: {} };
    assert.is(
      (await fetch(`${t.server.url}/status`, { method: 'POST', body: JSON.stringify(tooLongId), headers: { authorization: `Bearer ${t.tokens[COLOR]}` } }))
        .status,
      400,
    );
    assert.is((await fetch(`${t.server.url}/status`, { method: 'POST', body: '[1,2]', headers: { authorization: `Bearer ${t.tokens[COLOR]}` } })).status, 400);
  } finally {
    await t.server.close();
  }
});

test('instance ids per agent are capped, the most recent kept', async () => {
  const t = await startTestServer();
  try {
    const auth = { authorization: `Bearer ${t.tokens[COLOR]}` };
    const keepAlive = { keepalive: true };
    for (let i = 0; i < 300; i++) {
      await fetch(`${t.server.url}/status`, {
        ...keepAlive,
        method: 'POST',
        body: JSON.stringify({ labels: { id: `instance-${String(i).padStart(3, '0')}` }, bundles: { custody: { active_revision: 'r' } } }),
        headers: auth,
      });
    }
    const kept = t.server.observations.statusOf(COLOR).map((s) => s.instance);
    assert.ok(kept.length <= 64, `${kept.length} instances kept`);
    assert.ok(kept.includes('instance-299'), 'the newest is kept');
    assert.not.ok(kept.includes('instance-000'), 'the oldest went first');
    const view = await fetch(`${t.server.url}/api/rollout`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    const agents = ((await view.json()) as { agents: { agent: string; moreSidecars?: { kept: number } }[] }).agents;
    assert.is(agents.find((a) => a.agent === 'color')!.moreSidecars?.kept, 64, 'the view says that it shows only some');
    assert.is(agents.find((a) => a.agent === 'hdr')!.moreSidecars, undefined);
  } finally {
    await t.server.close();
  }
});

/** Observations on a clock the test moves. */
function observationsAt(now: () => number): Observations {
  return new Observations({
    logFile: path.join(mkdtempSync(path.join(tmpdir(), 'custody-obs-')), 'd.jsonl'),
    maxBytes: 1 << 20,
    clock: () => new Date(now()),
  });
}

test('an instance not seen for an hour is forgotten', () => {
  let now = Date.parse('2026-03-01T10:00:00Z');
  const o = observationsAt(() => now);
  o.recordStatus(COLOR, { labels: { id: 'old-pod' }, bundles: { custody: { active_revision: 'a' } } });
  now += 30 * 60_000;
  o.recordStatus(COLOR, { labels: { id: 'new-pod' }, bundles: { custody: { active_revision: 'b' } } });
  assert.equal(
    o.statusOf(COLOR).map((s) => s.instance),
    ['new-pod', 'old-pod'],
  );
  now += 31 * 60_000;
  assert.equal(
    o.statusOf(COLOR).map((s) => s.instance),
    ['new-pod'],
  );
});

test('the view says when more instances reported within the hour than are kept, and stops saying it an hour later', () => {
  let now = Date.parse('2026-03-01T10:00:00Z');
  const o = observationsAt(() => now);
  const report = (i: number) => o.recordStatus(COLOR, { labels: { id: `pod-${i}` }, bundles: { custody: { active_revision: 'r' } } });
  for (let i = 0; i < 64; i++) report(i);
  assert.is(o.statusOf(COLOR).length, 64);
  assert.is(o.instancesDropped(COLOR), undefined, 'sixty-four fit: nothing dropped');
  now += 60_000;
  report(64);
  assert.equal(o.instancesDropped(COLOR), { kept: 64, lastDroppedAt: '2026-03-01T10:01:00.000Z' });
  assert.not.ok(
    o.statusOf(COLOR).some((s) => s.instance === 'pod-0'),
    'the one heard from least recently went',
  );
  assert.is(o.instancesDropped('movie-post-production/hdr'), undefined, 'another agent is not crowded');
  now += 59 * 60_000;
  assert.ok(o.instancesDropped(COLOR), 'still within the hour of the drop');
  now += 2 * 60_000;
  assert.is(o.instancesDropped(COLOR), undefined, 'an hour after the last drop, the others would have expired anyway');
});

test('an agent whose reports cannot be shown does not fail the view', async () => {
  const t = await startTestServer();
  try {
    class Broken extends Observations {
      override statusOf(key: string) {
        if (key === COLOR) throw new RangeError('Maximum call stack size exceeded');
        return super.statusOf(key);
      }
    }
    const broken = new Broken({ logFile: path.join(t.dir, 'x.jsonl'), maxBytes: 1 << 20 });
    broken.recordStatus('movie-post-production/hdr', { labels: { id: 'h' }, bundles: { custody: { active_revision: 'r' } } });
    const view = rolloutView(t.server.catalog, broken, { repository: t.repo, branch: 'main' });
    assert.is(view.agents.length, 13);
    const color = view.agents.find((a) => a.agent === 'color')!;
    assert.equal([color.sidecars, color.inSync, color.reportError], [[], false, 'the reports of this agent cannot be shown']);
    assert.equal(
      view.agents.find((a) => a.agent === 'hdr')!.sidecars.map((s) => s.instance),
      ['h'],
    );
  } finally {
    await t.server.close();
  }
});

test("what is kept of a long string is a copy: the sender's megabytes are not kept alive behind it", () => {
  // A slice of a long string can keep the whole string alive (V8's sliced strings): twenty statuses,
  // each cut from a 4 MiB message and a 4 MiB error, would hold 160 MiB.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const observations = new Observations({ logFile: path.join(mkdtempSync(path.join(tmpdir(), 'custody-own-')), 'd.jsonl'), maxBytes: 1e9 });
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 20; i++) {
    // Parsed, as a request body is: each string its own 4 MiB.
    const body = JSON.parse(
      `{"labels":{"id":"i${i}"},"bundles":{"custody":{"code":"c","message":"${'m'.repeat(4 << 20)}","errors":["${'e'.repeat(4 << 20)}"]}}}`,
    );
    observations.recordStatus(COLOR, body);
  }
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  assert.is(observations.statusOf(COLOR).length, 20);
  assert.ok(grown < 16 * 2 ** 20, `the statuses keep ${Math.round(grown / 2 ** 20)} MiB`);
});

test.run();
