/** OPA's download protocol as the server speaks it, and who may fetch what. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { readTarball } from '../../src/bundle/index.js';
import { LONG_POLL_CONTENT_TYPE, loadConfig, startServer } from '../../src/server/index.js';
import { commitAll, exampleRepository } from '../helpers/git-repo.js';
import { makeKey, startTestServer } from '../helpers/server.js';

const bundleUrl = (base: string, agent = 'color') => `${base}/bundles/movie-post-production/${agent}.tar.gz`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('200 with a strong ETag and the right types, 304 on If-None-Match, HEAD, never a Content-Encoding', async () => {
  const t = await startTestServer();
  try {
    const auth = bearer(t.tokens['movie-post-production/color']!);
    const r = await fetch(bundleUrl(t.server.url), { headers: { ...auth, 'accept-encoding': 'gzip' } });
    assert.is(r.status, 200);
    assert.is(r.headers.get('content-type'), 'application/gzip');
    assert.is(r.headers.get('content-encoding'), null);
    const etag = r.headers.get('etag')!;
    assert.match(etag, /^"[0-9a-f]{64}"$/);
    const files = await readTarball(Buffer.from(await r.arrayBuffer()));
    assert.equal([...files.keys()].sort(), ['.manifest', '.signatures.json', 'data.json', 'log.rego', 'policy.rego']);
    assert.is(JSON.parse(files.get('.manifest')!.toString()).revision, t.server.catalog.status().head!.commit);
    const again = await fetch(bundleUrl(t.server.url), { headers: { ...auth, 'if-none-match': etag } });
    assert.is(again.status, 304);
    assert.is(again.headers.get('etag'), etag);
    const head = await fetch(bundleUrl(t.server.url), { method: 'HEAD', headers: auth });
    assert.is(head.status, 200);
    assert.is(head.headers.get('etag'), etag);
    // Built once per revision: the same bytes on every request.
    const third = await fetch(bundleUrl(t.server.url), { headers: auth });
    assert.is(third.headers.get('etag'), etag);
  } finally {
    await t.server.close();
  }
});

test('long polling: held until the bundle changes (exact OPA content type), 304 when the wait ends', async () => {
  const t = await startTestServer();
  try {
    const auth = bearer(t.tokens['movie-post-production/color']!);
    const first = await fetch(bundleUrl(t.server.url), { headers: { ...auth, prefer: 'modes=snapshot,delta;wait=30' } });
    assert.is(first.headers.get('content-type'), LONG_POLL_CONTENT_TYPE);
    const etag = first.headers.get('etag')!;
    await first.arrayBuffer();

    const started = Date.now();
    const timeout = await fetch(bundleUrl(t.server.url), { headers: { ...auth, 'if-none-match': etag, prefer: 'modes=snapshot,delta;wait=1' } });
    assert.is(timeout.status, 304);
    assert.ok(Date.now() - started >= 900, 'held for the wait');
    assert.is(timeout.headers.get('content-type'), LONG_POLL_CONTENT_TYPE);

    const waiting = fetch(bundleUrl(t.server.url), { headers: { ...auth, 'if-none-match': etag, prefer: 'modes=snapshot,delta;wait=30' } });
    await new Promise((r) => setTimeout(r, 300));
    const data = path.join(t.repo, 'bundles', 'movie-post-production', 'color', 'data.json');
    writeFileSync(data, readFileSync(data, 'utf8').replace('"08:00"', '"07:30"'));
    const commit = commitAll(t.repo, 'earlier start');
    await t.server.refresh();
    const woken = await waiting;
    assert.is(woken.status, 200);
    assert.is(woken.headers.get('content-type'), LONG_POLL_CONTENT_TYPE);
    assert.is.not(woken.headers.get('etag'), etag);
    const files = await readTarball(Buffer.from(await woken.arrayBuffer()));
    assert.is(JSON.parse(files.get('.manifest')!.toString()).revision, commit);
    // Another agent's poll is not woken by color's change.
    const hdr = bearer(t.tokens['movie-post-production/hdr']!);
    const hdrEtag = (await fetch(bundleUrl(t.server.url, 'hdr'), { headers: hdr })).headers.get('etag')!;
    const hdrPoll = fetch(bundleUrl(t.server.url, 'hdr'), { headers: { ...hdr, 'if-none-match': hdrEtag, prefer: 'wait=1' } });
    writeFileSync(data, readFileSync(data, 'utf8').replace('"07:30"', '"07:00"'));
    commitAll(t.repo, 'even earlier');
    await t.server.refresh();
    assert.is((await hdrPoll).status, 304);
  } finally {
    await t.server.close();
  }
});

test('long polling: more polls of one agent than one wake-up batch are all answered with the new bundle', async () => {
  // 600 connections of one agent: above its default bound on connections (256).
  const t = await startTestServer({ maxConnectionsPerAgent: 1000 });
  try {
    const auth = bearer(t.tokens['movie-post-production/color']!);
    const etag = (await fetch(bundleUrl(t.server.url), { headers: auth })).headers.get('etag')!;
    // 600: more than two batches of 256, so the last are answered two turns of the event loop later.
    const polls = Array.from({ length: 600 }, () =>
      fetch(bundleUrl(t.server.url), { headers: { ...auth, 'if-none-match': etag, prefer: 'wait=30' } }).then(async (r) => {
        const files = await readTarball(Buffer.from(await r.arrayBuffer()));
        return `${r.status} ${JSON.parse(files.get('.manifest')!.toString()).revision}`;
      }),
    );
    for (let i = 0; i < 200 && t.server.catalog.waiting() < 600; i++) await new Promise((r) => setTimeout(r, 50));
    assert.is(t.server.catalog.waiting(), 600);
    const data = path.join(t.repo, 'bundles', 'movie-post-production', 'color', 'data.json');
    writeFileSync(data, readFileSync(data, 'utf8').replace('"08:00"', '"07:30"'));
    const commit = commitAll(t.repo, 'earlier start');
    await t.server.refresh();
    const answers = await Promise.all(polls);
    assert.equal(new Set(answers), new Set([`200 ${commit}`]));
    assert.is(answers.length, 600);
    assert.is(t.server.catalog.waiting(), 0);
  } finally {
    await t.server.close();
  }
});

test("static tokens: none 401, unknown 401, another agent's bundle 403, admin only for the rollout view", async () => {
  const t = await startTestServer();
  try {
    const u = bundleUrl(t.server.url);
    const none = await fetch(u);
    assert.is(none.status, 401);
    assert.is(none.headers.get('www-authenticate'), 'Bearer');
    assert.is((await fetch(u, { headers: bearer('not-a-token') })).status, 401);
    assert.is((await fetch(u, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } })).status, 401);
    assert.is((await fetch(u, { headers: bearer(t.tokens['movie-post-production/hdr']!) })).status, 403);
    assert.is((await fetch(u, { headers: bearer(t.adminToken) })).status, 403, 'the admin token fetches no bundle');
    assert.is((await fetch(`${t.server.url}/api/rollout`, { headers: bearer(t.tokens['movie-post-production/color']!) })).status, 403);
    assert.is((await fetch(`${t.server.url}/api/rollout`)).status, 401);
    assert.is(
      (await fetch(`${t.server.url}/bundles/movie-post-production/nobody.tar.gz`, { headers: bearer(t.tokens['movie-post-production/color']!) })).status,
      403,
    );
    assert.is((await fetch(`${t.server.url}/bundles/../etc/passwd`, { headers: bearer(t.tokens['movie-post-production/color']!) })).status, 404);
    assert.is((await fetch(`${t.server.url}/status`, { method: 'POST', body: '{}' })).status, 401);
    assert.ok(!t.logs.join('\n').includes(t.tokens['movie-post-production/color']!), 'no token in the logs');
  } finally {
    await t.server.close();
  }
});

test('ServiceAccount tokens: issuer keys, audience, expiry, subject and cluster all checked', async () => {
  const dir = exampleRepository();
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwksFile = path.join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] }));
  const key = makeKey(dir, 'sa-test');
  const config = loadConfig({
    env: {},
    cwd: dir,
    overrides: {
      repository: dir,
      port: 0,
      signingKeys: [{ id: 'k', file: key.file }],
      decisionLogFile: path.join(dir, 'd.jsonl'),
      clusters: [
        { cluster: 'color-central', issuer: 'https://color.example', jwksFile },
        { cluster: 'hdr-west', issuer: 'https://hdr.example', jwksFile },
      ],
    },
  });
  const server = await startServer(config, { logger: { info() {}, error() {} } });
  const jwt = async (o: { sub?: string; aud?: string; iss?: string; exp?: number; key?: Parameters<SignJWT['sign']>[0] }) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject(o.sub ?? 'system:serviceaccount:movie-post-production:color')
      .setAudience(o.aud ?? 'custody-bundle-server')
      .setIssuer(o.iss ?? 'https://color.example')
      .setIssuedAt()
      .setExpirationTime(o.exp ?? Math.floor(Date.now() / 1000) + 600)
      .sign(o.key ?? privateKey);
  const status = async (token: string) => (await fetch(bundleUrl(server.url), { headers: bearer(token) })).status;
  try {
    assert.is(await status(await jwt({})), 200);
    assert.is(await status(await jwt({ exp: Math.floor(Date.now() / 1000) - 60 })), 401, 'expired');
    assert.is(await status(await jwt({ aud: 'kubernetes.default.svc' })), 401, 'wrong audience');
    assert.is(await status(await jwt({ key: other.privateKey })), 401, 'bad signature');
    assert.is(await status(await jwt({ iss: 'https://evil.example' })), 401, 'unknown issuer');
    assert.is(await status(await jwt({ sub: 'system:serviceaccount:movie-post-production:hdr' })), 403, 'another agent');
    assert.is(await status(await jwt({ sub: 'alice@example.com' })), 403, 'not a ServiceAccount');
    // A token from hdr's cluster that names color's ServiceAccount: that cluster's admin could
    // create such an account, but color does not run there.
    assert.is(await status(await jwt({ iss: 'https://hdr.example' })), 403, 'wrong cluster');
  } finally {
    await server.close();
  }
});

test('GitHub webhook: HMAC checked in constant time; a push refreshes at once', async () => {
  const t = await startTestServer({ webhookSecret: 's3cret', pollSeconds: 3600 });
  try {
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const sign = (secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const post = (sig?: string) =>
      fetch(`${t.server.url}/hooks/github`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': randomUUID(),
          ...(sig ? { 'x-hub-signature-256': sig } : {}),
        },
      });
    assert.is((await post()).status, 401);
    assert.is((await post(sign('wrong'))).status, 401);
    const data = path.join(t.repo, 'bundles', 'movie-post-production', 'hdr', 'data.json');
    writeFileSync(data, readFileSync(data, 'utf8').replace('"/api/hdr"', '"/api/hdr2"'));
    const commit = commitAll(t.repo, 'hdr path');
    assert.is((await post(sign('s3cret'))).status, 202);
    const deadline = Date.now() + 5000;
    while (t.server.catalog.get('movie-post-production', 'hdr')!.revision !== commit && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.is(t.server.catalog.get('movie-post-production', 'hdr')!.revision, commit);
  } finally {
    await t.server.close();
  }
});

test('decision logs: gzip JSON arrays, de-duplicated by decision id, size-bounded file; status and bodies bounded', async () => {
  const t = await startTestServer({ decisionLogMaxBytes: 4096, maxBodyBytes: 64 * 1024 });
  try {
    const auth = bearer(t.tokens['movie-post-production/color']!);
    const events = Array.from({ length: 10 }, (_, i) => ({
      decision_id: `d${i}`,
      path: 'custody/authz/allow',
      result: i % 2 === 0,
      input: { attributes: { request: { http: { method: 'POST', path: `/p${i}` } } } },
    }));
    const post = (payload: unknown) =>
      fetch(`${t.server.url}/logs`, {
        method: 'POST',
        body: gzipSync(JSON.stringify(payload)),
        headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      });
    const r = await post(events);
    assert.is(r.status, 200);
    assert.equal(await r.json(), { written: 10 });
    assert.equal(await (await post(events)).json(), { written: 0 }, 'retried uploads are not written twice');
    for (let i = 0; i < 20; i++) await post(Array.from({ length: 5 }, (_, j) => ({ decision_id: `x${i}-${j}`, result: true, padding: 'x'.repeat(100) })));
    const file = path.join(t.dir, 'decisions.movie-post-production.color.jsonl');
    assert.ok(statSync(file).size <= 4096, `the log stays under its bound (${statSync(file).size})`);
    assert.ok(statSync(`${file}.1`).size > 0, 'one rotated file kept');
    assert.is((await post({ not: 'an array' })).status, 400);
    assert.is(
      (await fetch(`${t.server.url}/logs`, { method: 'POST', body: gzipSync('x'.repeat(200_000)), headers: { ...auth, 'content-encoding': 'gzip' } })).status,
      413,
      'a gzip bomb is refused',
    );
    assert.is(
      (
        await fetch(`${t.server.url}/status`, {
          method: 'POST',
          body: '{"bundles": {"custody": {"active_revision": "abc"}}, "labels": {"id": "i1"}}',
          headers: auth,
        })
      ).status,
      200,
    );
    assert.equal(
      t.server.observations.statusOf('movie-post-production/color').map((s) => s.activeRevision),
      ['abc'],
    );
  } finally {
    await t.server.close();
  }
});

test('health, readiness and metrics', async () => {
  const t = await startTestServer();
  try {
    assert.is(await (await fetch(`${t.server.url}/healthz`)).text(), 'ok\n');
    assert.is((await fetch(`${t.server.url}/readyz`)).status, 200);
    const auth = bearer(t.tokens['movie-post-production/color']!);
    const etag = (await fetch(bundleUrl(t.server.url), { headers: auth })).headers.get('etag')!;
    await fetch(bundleUrl(t.server.url), { headers: { ...auth, 'if-none-match': etag } });
    await fetch(bundleUrl(t.server.url));
    const metrics = await (await fetch(`${t.server.url}/metrics`)).text();
    assert.match(metrics, /custody_bundle_requests_total\{outcome="200"\} 1/);
    assert.match(metrics, /custody_bundle_requests_total\{outcome="304"\} 1/);
    assert.match(metrics, /custody_bundle_requests_total\{outcome="401"\} 1/);
    assert.match(metrics, /custody_bundle_build_seconds_count 13/);
    assert.match(metrics, /custody_long_polls_waiting 0/);
  } finally {
    await t.server.close();
  }
});

test('several signing keys: each sidecar gets the bundle signed with the key it names (rotation)', async () => {
  const dir = exampleRepository();
  const oldKey = makeKey(dir, 'old');
  const newKey = makeKey(dir, 'new', 'ec');
  const t = await startTestServer(
    {
      signingKeys: [
        { id: 'old', file: oldKey.file },
        { id: 'new', file: newKey.file },
      ],
      activeKeyId: 'old',
    },
    dir,
  );
  try {
    const auth = bearer(t.tokens['movie-post-production/color']!);
    const sigOf = async (headers: Record<string, string>) => {
      const r = await fetch(bundleUrl(t.server.url), { headers: { ...auth, ...headers } });
      const files = await readTarball(Buffer.from(await r.arrayBuffer()));
      const jws = (JSON.parse(files.get('.signatures.json')!.toString()) as { signatures: string[] }).signatures[0]!;
      return JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString()) as { alg: string; kid: string };
    };
    assert.equal(await sigOf({}), { alg: 'RS256', kid: 'old' });
    assert.equal(await sigOf({ 'x-custody-key-id': 'new' }), { alg: 'ES256', kid: 'new' });
    assert.is((await fetch(bundleUrl(t.server.url), { headers: { ...auth, 'x-custody-key-id': 'unknown' } })).status, 400);
  } finally {
    await t.server.close();
  }
});

test('a server with no way to authenticate sidecars starts, says so, and refuses every bundle request', async () => {
  const dir = exampleRepository();
  const key = makeKey(dir, 'k');
  const logs: string[] = [];
  const server = await startServer(
    loadConfig({
      env: {},
      cwd: dir,
      overrides: { repository: dir, port: 0, signingKeys: [{ id: 'k', file: key.file }], decisionLogFile: path.join(dir, 'd.jsonl') },
    }),
    { logger: { info() {}, error: (m) => logs.push(m) } },
  );
  try {
    assert.match(logs.join('\n'), /no way to authenticate sidecars/);
    assert.is((await fetch(`${server.url}/readyz`)).status, 200);
    assert.is((await fetch(bundleUrl(server.url), { headers: bearer('anything') })).status, 401);
  } finally {
    await server.close();
  }
});

test('configuration is checked before anything starts', () => {
  const dir = exampleRepository();
  const key = makeKey(dir, 'k');
  const bad = (overrides: Record<string, unknown>) => {
    try {
      loadConfig({ env: {}, cwd: dir, overrides: { repository: dir, signingKeys: [{ id: 'k', file: key.file }], tokensFile: 'x.json', ...overrides } });
      return 'accepted';
    } catch (err) {
      return (err as Error).message;
    }
  };
  assert.match(bad({ signingKeys: [] }), /never serves unsigned bundles/);
  assert.is(bad({ tokensFile: undefined }), 'accepted', 'no authentication configured: starts, and refuses every sidecar');
  assert.match(bad({ activeKeyId: 'zz' }), /not one of the signing keys/);
  assert.match(bad({ port: 70000 }), /port must be/);
  assert.match(bad({ colour: 1 }), /unknown setting "colour"/);
  assert.is(bad({}), 'accepted');
});

test.run();
