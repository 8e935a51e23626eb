/**
 * What one authenticated agent (a contractor holding its sidecar's token) must not do to the
 * server or to the other organisations: forge or colour the server's log, grow its memory with
 * what it sends, or take the connections every other sidecar needs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { startTestServer } from '../helpers/server.js';

const COLOR = 'movie-post-production/color';
const VFX1 = 'movie-post-production/vfx-1';

test('text an agent sends reaches the log on one line, with no control character raw', async () => {
  const t = await startTestServer();
  try {
    const forged = 'vfx-1\n2026-12-03T10:00:00Z revision deadbeef: FAKE LOG LINE\u001b[31m red \u001b]0;pwned\u0007\u009b\u202e';
    const r = await fetch(`${t.server.url}/status`, {
      method: 'POST',
      body: JSON.stringify({ labels: { id: 'i1', agent: forged }, bundles: {} }),
      headers: { authorization: `Bearer ${t.tokens[COLOR]}` },
    });
    assert.is(r.status, 403);
    const line = t.logs.find((l) => l.includes('FAKE LOG LINE'));
    assert.ok(line, `the refusal is logged: ${JSON.stringify(t.logs)}`);
    for (const l of t.logs) {
      assert.not.match(l, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/, `raw control character in ${JSON.stringify(l)}`);
    }
    assert.match(line!, 'vfx-1\\n2026-12-03T10:00:00Z revision deadbeef: FAKE LOG LINE\\u001b[31m');
  } finally {
    await t.server.close();
  }
});

test('a decision id longer than 128 characters is refused (400): ids are kept per agent to store each once', async () => {
  const t = await startTestServer();
  try {
    const post = (id: string) =>
      fetch(`${t.server.url}/logs`, {
        method: 'POST',
        body: gzipSync(JSON.stringify([{ decision_id: id, result: true, timestamp: '2026-12-03T10:00:00Z' }])),
        headers: { authorization: `Bearer ${t.tokens[COLOR]}`, 'content-encoding': 'gzip', 'content-type': 'application/json' },
      });
    const long = await post('d'.repeat(129));
    assert.is(long.status, 400);
    assert.match(await long.text(), '128');
    const ok = await post('d'.repeat(128));
    assert.is(ok.status, 200);
    assert.equal(await ok.json(), { written: 1 });
    const number = await fetch(`${t.server.url}/logs`, {
      method: 'POST',
      body: JSON.stringify([{ decision_id: 42 }]),
      headers: { authorization: `Bearer ${t.tokens[COLOR]}`, 'content-type': 'application/json' },
    });
    assert.is(number.status, 400, 'a decision id is a string');
  } finally {
    await t.server.close();
  }
});

/** Keep-alive connections that each fetched a bundle once, with the agent's token. */
function openConnections(url: string, token: string, count: number) {
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      return new Promise<{ agent: http.Agent; closed: () => boolean; index: number }>((resolve, reject) => {
        const req = http.get(`${url}/bundles/${COLOR}.tar.gz`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
          let closed = false;
          res.socket.on('close', () => (closed = true));
          res.resume();
          res.on('end', () => resolve({ agent, closed: () => closed, index: i }));
        });
        req.on('error', reject);
      });
    }),
  );
}

test("one agent's connections are bounded: beyond maxConnectionsPerAgent its oldest are closed, and other agents are served", async () => {
  const t = await startTestServer({ maxConnectionsPerAgent: 3 });
  try {
    // One after the other, so that age is the order of opening.
    const held = [];
    for (let i = 0; i < 5; i++) held.push(...(await openConnections(t.server.url, t.tokens[COLOR]!, 1)));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(
      held.map((c) => c.closed()),
      [true, true, false, false, false],
      'the two oldest of five were closed; the three most recent stay',
    );
    const other = await fetch(`${t.server.url}/bundles/${VFX1}.tar.gz`, { headers: { authorization: `Bearer ${t.tokens[VFX1]}` } });
    assert.is(other.status, 200);
    const metrics = await (await fetch(`${t.server.url}/metrics`)).text();
    assert.match(metrics, 'custody_connections_shed_total{reason="agent connection budget"} 2');
    for (const c of held) c.agent.destroy();
  } finally {
    await t.server.close();
  }
});

/** An upload of decision logs whose body is sent in part, the rest when `finish` is called. */
function partialUpload(url: string, token: string, bytes: number) {
  const req = http.request(`${url}/logs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', () => resolve(-1));
    void reject;
  });
  req.write(`[{"decision_id":"${Math.random()}","result":true,"pad":"${'x'.repeat(bytes)}`);
  return { status, finish: () => req.end('"}]') };
}

test("bodies in flight are bounded per agent: one agent's unfinished uploads cannot hold the server's memory, other agents' still land", async () => {
  const t = await startTestServer({ maxBodyBytes: 1024 * 1024 });
  try {
    // Four times maxBodyBytes per agent: the fifth 900 KiB upload of one agent crosses it.
    const uploads = [];
    for (let i = 0; i < 5; i++) {
      uploads.push(partialUpload(t.server.url, t.tokens[COLOR]!, 900 * 1024));
      await new Promise((r) => setTimeout(r, 100));
    }
    const refused = await Promise.race([uploads[4]!.status, new Promise((r) => setTimeout(() => r('no answer'), 3000))]);
    assert.is(refused, 503, 'the upload beyond the budget is refused at once (OPA retries it)');
    const other = await fetch(`${t.server.url}/logs`, {
      method: 'POST',
      body: JSON.stringify([{ decision_id: 'v1', result: true }]),
      headers: { authorization: `Bearer ${t.tokens[VFX1]}`, 'content-type': 'application/json' },
    });
    assert.is(other.status, 200, "another agent's upload lands");
    for (const u of uploads.slice(0, 4)) u.finish();
    assert.equal(await Promise.all(uploads.slice(0, 4).map((u) => u.status)), [200, 200, 200, 200], 'the uploads within the budget complete');
    // Given back: the same agent uploads again.
    const again = partialUpload(t.server.url, t.tokens[COLOR]!, 900 * 1024);
    again.finish();
    assert.is(await again.status, 200);
  } finally {
    await t.server.close();
  }
});

test.run();
