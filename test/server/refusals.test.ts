/**
 * What refused callers are told, and what they can reach: malformed bodies are the caller's error
 * (4xx, logged), not the server's; callers are told little about why (a plain 401 or 403; the
 * details, such as a JWT's error code or an agent's cluster, only in the server's log); /metrics
 * is not open to everyone; ServiceAccount tokens may not live longer than Kubernetes lets
 * projected tokens live; a client that waits to send its body (Expect: 100-continue) is asked for
 * it only once it passed the checks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { isLoopback } from '../../src/server/metrics-access.js';
import { exampleRepository } from '../helpers/git-repo.js';
import { rawRequest } from '../helpers/raw-http.js';
import { startTestServer } from '../helpers/server.js';
import { clusterIssuers } from '../helpers/service-accounts.js';

const W = 'movie-post-production';
const PLAIN_401 = { code: 'unauthenticated', message: 'credentials missing or not valid' };
const PLAIN_403 = { code: 'forbidden', message: 'these credentials do not allow this' };

test('malformed bodies are 4xx and logged: a charset other than UTF-8, invalid gzip, a 0xff byte in a webhook signature', async () => {
  const t = await startTestServer({ webhookSecret: 'secret' });
  try {
    const auth = { authorization: `Bearer ${t.tokens[`${W}/color`]}` };
    const latin1 = await fetch(`${t.server.url}/status`, {
      method: 'POST',
      body: '{}',
      headers: { ...auth, 'content-type': 'application/json; charset=latin1' },
    });
    assert.is(latin1.status, 415);
    const badGzip = await fetch(`${t.server.url}/status`, {
      method: 'POST',
      body: Buffer.from('not gzip at all'),
      headers: { ...auth, 'content-encoding': 'gzip' },
    });
    assert.is(badGzip.status, 400);
    const cut = gzipSync(JSON.stringify([{ decision_id: 'x' }])).subarray(0, 12);
    assert.is(
      (await fetch(`${t.server.url}/logs`, { method: 'POST', body: cut, headers: { ...auth, 'content-encoding': 'gzip' } })).status,
      400,
      'truncated gzip',
    );
    const hook = await rawRequest(
      t.server.url,
      [
        'POST /hooks/github HTTP/1.1',
        'Host: x',
        'Content-Length: 2',
        `X-GitHub-Delivery: ${randomUUID()}`,
        `X-Hub-Signature-256: sha256=${'0'.repeat(63)}\xff`,
      ].join('\n'),
      { body: '{}' },
    );
    assert.is(hook.status, 401);
    const log = t.logs.join('\n');
    assert.match(log, /415.*character set "latin1"/);
    assert.match(log, /400.*not valid gzip/);
  } finally {
    await t.server.close();
  }
});

test('callers are told a plain 401 or 403; the reasons are in the server log only', async () => {
  const repo = exampleRepository();
  const issuers = await clusterIssuers(repo, ['color-central', 'hdr-west']);
  const t = await startTestServer({ clusters: issuers.clusters }, repo);
  try {
    const bundle = async (token: string) => {
      const r = await fetch(`${t.server.url}/bundles/${W}/color.tar.gz`, { headers: { authorization: `Bearer ${token}` } });
      return { status: r.status, body: (await r.json()) as unknown };
    };
    const now = Math.floor(Date.now() / 1000);
    const expired = await issuers.token({ cluster: 'color-central', account: `${W}:color`, iat: now - 7200, exp: now - 3600 });
    assert.equal(await bundle(expired), { status: 401, body: PLAIN_401 });
    const unknownKid = await issuers.token({ cluster: 'color-central', account: `${W}:color`, kid: 'rotated-away' });
    assert.equal(await bundle(unknownKid), { status: 401, body: PLAIN_401 });
    const wrongCluster = await issuers.token({ cluster: 'hdr-west', account: `${W}:color` });
    assert.equal(await bundle(wrongCluster), { status: 403, body: PLAIN_403 });
    const status = await fetch(`${t.server.url}/status`, { method: 'POST', body: '{}', headers: { authorization: 'Bearer nope' } });
    assert.equal([status.status, await status.json()], [401, PLAIN_401]);
    const nowhere = await fetch(`${t.server.url}/hooks/github`, { method: 'POST', body: '{}' });
    assert.equal([nowhere.status, await nowhere.json()], [401, PLAIN_401], 'not even whether a webhook secret is set');

    const log = t.logs.join('\n');
    assert.match(log, /ERR_JWT_EXPIRED/);
    assert.match(log, /ERR_JWKS_NO_MATCHING_KEY/);
    assert.match(log, /runs in cluster color-central/);
  } finally {
    await t.server.close();
  }
});

test('/metrics: loopback callers by default; with metricsAccess "admin" an admin token only', async () => {
  const local = await startTestServer();
  try {
    assert.is((await fetch(`${local.server.url}/metrics`)).status, 200);
  } finally {
    await local.server.close();
  }
  const t = await startTestServer({ metricsAccess: 'admin' });
  try {
    assert.is((await fetch(`${t.server.url}/metrics`)).status, 401);
    assert.is((await fetch(`${t.server.url}/metrics`, { headers: { authorization: `Bearer ${t.tokens[`${W}/color`]}` } })).status, 403);
    const ok = await fetch(`${t.server.url}/metrics`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    assert.is(ok.status, 200);
    assert.match(await ok.text(), /custody_bundle_requests_total/);
  } finally {
    await t.server.close();
  }
  for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(a), a);
  for (const a of ['10.0.0.5', '::ffff:10.0.0.5', '192.168.1.1', 'fe80::1', '', undefined]) assert.not.ok(isLoopback(a), String(a));
});

test('ServiceAccount tokens living longer than 48 hours are refused (configurable)', async () => {
  const repo = exampleRepository();
  const issuers = await clusterIssuers(repo, ['color-central']);
  const t = await startTestServer({ clusters: issuers.clusters }, repo);
  const now = Math.floor(Date.now() / 1000);
  const status = async (claims: { iat?: number; exp?: number }) =>
    (
      await fetch(`${t.server.url}/bundles/${W}/color.tar.gz`, {
        headers: { authorization: `Bearer ${await issuers.token({ cluster: 'color-central', account: `${W}:color`, ...claims })}` },
      })
    ).status;
  try {
    assert.is(await status({ iat: now, exp: now + 3600 }), 200, "the generated sidecars' hour");
    assert.is(await status({ iat: now - 60, exp: now + 48 * 3600 - 120 }), 200, 'within 48 hours');
    assert.is(await status({ iat: now, exp: now + 100 * 365 * 86400 }), 401, 'a hundred years');
    assert.is(await status({ iat: now + 100 * 365 * 86400, exp: now + 100 * 365 * 86400 + 3600 }), 401, 'issued in the future to last a hundred years');
  } finally {
    await t.server.close();
  }
  const strict = await startTestServer({ clusters: issuers.clusters, maxTokenLifetimeSeconds: 600 }, repo);
  try {
    const token = await issuers.token({ cluster: 'color-central', account: `${W}:color`, iat: now, exp: now + 3600 });
    assert.is((await fetch(`${strict.server.url}/bundles/${W}/color.tar.gz`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
    assert.match(strict.logs.join('\n'), /lifetime/);
  } finally {
    await strict.server.close();
  }
});

/**
 * Sends a request's head with `Expect: 100-continue`, and its body only once the server says 100;
 * resolves with the first status line and all that came back, once a final answer (JSON) is in.
 */
function expectContinue(url: string, head: string, body: string): Promise<{ first: string; all: string }> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(u.port), u.hostname);
    let text = '';
    let sent = false;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ first: text.split('\r\n')[0]!, all: text });
    };
    const timer = setTimeout(done, 3000);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const interim = /^HTTP\/1\.1 100 [^\r]*\r\n\r\n/.exec(text)?.[0];
      if (interim && !sent) {
        sent = true;
        socket.write(body);
      }
      if (/^HTTP\/1\.1 [2-5]\d\d [^]*\r\n\r\n[^]*\}$/.test(text.slice(interim?.length ?? 0))) done();
    });
    socket.on('error', () => undefined);
    socket.on('close', done);
    socket.write(`${head.replace(/\n/g, '\r\n')}\r\nExpect: 100-continue\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
  });
}

test('a client waiting to send its body (Expect: 100-continue) is asked for it only after the checks: never when refused', async () => {
  const t = await startTestServer({ webhookSecret: 'secret' });
  try {
    const host = `Host: ${new URL(t.server.url).host}`;
    // Refused callers: the answer is the refusal, with no 100 before it, and the body is never asked for.
    for (const head of [
      `POST /logs HTTP/1.1\n${host}\nAuthorization: Bearer not-a-token`,
      `POST /status HTTP/1.1\n${host}`,
      `POST /hooks/github HTTP/1.1\n${host}\nX-GitHub-Delivery: ${randomUUID()}`,
    ]) {
      const r = await expectContinue(t.server.url, head, '[]');
      assert.is(r.first, 'HTTP/1.1 401 Unauthorized', head);
      assert.not.match(r.all, 'HTTP/1.1 100', head);
    }
    // A sidecar: asked for its body, which is then read and stored.
    const ok = await expectContinue(
      t.server.url,
      `POST /logs HTTP/1.1\n${host}\nAuthorization: Bearer ${t.tokens[`${W}/color`]}\nContent-Type: application/json`,
      '[]',
    );
    assert.is(ok.first, 'HTTP/1.1 100 Continue');
    assert.match(ok.all, /HTTP\/1\.1 200 OK[^]*\{"written":0\}/);
  } finally {
    await t.server.close();
  }
});

test.run();
