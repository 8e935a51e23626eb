/**
 * `custody verify` and the Envoy ext_authz path: real OPA with the Envoy plugin, asked over
 * gRPC with the CheckRequest Envoy sends, decides every triple as the spec says; and verify
 * fails, with a readable table, when a flow is edited in bundles/ by hand or a bundle is tampered with.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildBundle, createSigner, readTarball, writeTarball } from '../../src/bundle/index.js';
import { ExtAuthzClient, freePort } from '../../src/verify/index.js';
import { commitAll, exampleRepository } from '../helpers/git-repo.js';
import { repoPath } from '../helpers/paths.js';
import { makeKey, startTestServer } from '../helpers/server.js';

const ENVOY_OPA = process.env.OPA_ENVOY_BIN ?? repoPath('.tools', 'bin', 'opa-envoy-plugin');

function custody(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [repoPath('bin', 'custody.js'), ...args], { cwd, env: { ...process.env, OPA_ENVOY_BIN: ENVOY_OPA } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

test('the Envoy plugin binary is there (npm run tools builds it)', () => {
  assert.ok(existsSync(ENVOY_OPA), `${ENVOY_OPA} is missing: run npm run tools`);
});

test('ext_authz over gRPC: OPA with the Envoy plugin decides from the CheckRequest Envoy sends', async () => {
  const port = await freePort();
  const grpcPort = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-envoy-'));
  const config = path.join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({ plugins: { envoy_ext_authz_grpc: { addr: `127.0.0.1:${grpcPort}`, path: 'custody/authz/allow' } }, decision_logs: { console: false } }),
  );
  const { spawn } = await import('node:child_process');
  const child = spawn(
    ENVOY_OPA,
    ['run', '--server', '--addr', `127.0.0.1:${port}`, '--config-file', config, '-b', repoPath('bundles', 'movie-post-production', 'color')],
    { stdio: 'ignore' },
  );
  const client = new ExtAuthzClient(`127.0.0.1:${grpcPort}`);
  try {
    const vfx2 = 'spiffe://mesh.vfx.example/ns/movie-post-production/sa/vfx-2';
    const check = (sourcePrincipal: string | undefined, method: string, p: string) =>
      client.check({
        ...(sourcePrincipal ? { sourcePrincipal } : {}),
        destinationPrincipal: 'spiffe://mesh.color.example/ns/movie-post-production/sa/color',
        method,
        path: p,
      });
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await check(vfx2, 'POST', '/api/color');
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.is(await check(vfx2, 'POST', '/api/color'), true);
    assert.is(await check(vfx2, 'POST', '/api/color?draft=1'), true, 'the query string is not part of the path');
    assert.is(await check(vfx2, 'GET', '/api/color'), false);
    assert.is(await check(vfx2, 'POST', '/api/colorx'), false);
    assert.is(await check(undefined, 'POST', '/api/color'), false, 'no peer identity (plaintext)');
    assert.is(await check('spiffe://mesh.vfx.example/ns/movie-post-production/sa/vfx-1', 'POST', '/api/color'), false);
    // What the colour house's own administrator could mint (namespace and ServiceAccount "vfx-2"
    // in their cluster), and the old shared default domain: neither is the visual-effects house's agent.
    assert.is(
      await check('spiffe://mesh.color.example/ns/movie-post-production/sa/vfx-2', 'POST', '/api/color'),
      false,
      "vfx-2 minted in the receiver's trust domain",
    );
    assert.is(await check('spiffe://cluster.local/ns/movie-post-production/sa/vfx-2', 'POST', '/api/color'), false, 'vfx-2 in the default trust domain');
  } finally {
    client.close();
    child.kill('SIGTERM');
  }
});

test('verify passes on both example workflows, through ext_authz gRPC', async () => {
  const repo = exampleRepository();
  const r = await custody(['verify'], repo);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /clinical-trial-analysis: 90\/90 triples as the spec says, via ext_authz gRPC/);
  assert.match(r.stdout, /movie-post-production: 84\/84 triples as the spec says, via ext_authz gRPC/);
  assert.match(r.stdout, /verified: every sidecar enforces exactly its workflow \(174 triples\)/);
});

test('verify --at decides time windows at a fixed instant (inside and outside the night window)', async () => {
  const repo = exampleRepository();
  const row = (out: string) => /lab-analyzer\s+stats-runner\s+POST\s+\/results\s+(\w+)\s+(\w+)\s+ok/.exec(out)?.slice(1, 3);
  const night = await custody(['verify', '--workflow', 'clinical-trial-analysis', '--at', '2026-11-25T04:00:00Z'], repo);
  assert.is(night.code, 0, night.stdout);
  assert.equal(row(night.stdout), ['allow', 'allow']);
  const day = await custody(['verify', '--workflow', 'clinical-trial-analysis', '--at', '2026-11-24T20:00:00Z'], repo);
  assert.is(day.code, 0, day.stdout);
  assert.equal(row(day.stdout), ['deny', 'deny']);
});

test('verify and demo with a spec not committed: exit 2 at once, saying so, never a policy mismatch', async () => {
  const repo = exampleRepository();
  const movie = readFileSync(path.join(repo, 'workflows', 'movie-post-production.yaml'), 'utf8');
  writeFileSync(path.join(repo, 'workflows', 'bank-audit.yaml'), movie.replace('name: movie-post-production', 'name: bank-audit'));
  const started = Date.now();
  const r = await custody(['verify', '--workflow', 'bank-audit'], repo);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.ok(Date.now() - started < 15_000, 'no sidecar waited for');
  assert.match(
    r.stderr,
    /^custody verify: error\[uncommitted-changes\]: bank-audit \(workflows\/bank-audit\.yaml\) is in workflows\/ but not committed: verify asks sidecars fed by the bundle server, which serves only what is committed \(main at [0-9a-f]{12}\)/,
  );
  assert.match(r.stderr, '(run custody commit: it generates the trees and commits them with their specs; then run custody verify again)');
  assert.not.match(r.stdout + r.stderr, /\d+ mismatch/);
  // An edited spec of the demo's workflow: the demo refuses the same way.
  writeFileSync(path.join(repo, 'workflows', 'movie-post-production.yaml'), `${movie}# edited\n`);
  const demo = await custody(['demo'], repo);
  assert.is(demo.code, 2, demo.stdout + demo.stderr);
  assert.match(
    demo.stderr,
    'custody demo: error[uncommitted-changes]: movie-post-production (workflows/movie-post-production.yaml) has changes that are not committed',
  );
});

test('verify fails with a readable table when a flow is edited in bundles/ by hand', async () => {
  const repo = exampleRepository();
  const data = path.join(repo, 'bundles', 'movie-post-production', 'hdr', 'data.json');
  // Someone gives owner a flow to hdr without changing the spec: the server signs what Git holds.
  const edited = JSON.parse(readFileSync(data, 'utf8')) as { custody: { agent: { sources: Record<string, unknown> } } };
  edited.custody.agent.sources['spiffe://mesh.studio.example/ns/movie-post-production/sa/owner'] = {
    agent: 'owner',
    attributes: {},
    flows: [{ methods: ['GET'], path: '/api/hdr' }],
  };
  writeFileSync(data, JSON.stringify(edited, null, 2));
  commitAll(repo, 'hand edit');
  const r = await custody(['verify', '--workflow', 'movie-post-production'], repo);
  assert.is(r.code, 1);
  assert.match(r.stdout, /owner\s+hdr\s+GET\s+\/api\/hdr\s+deny\s+allow\s+MISMATCH/);
  assert.match(r.stdout, /movie-post-production: 83\/84 triples as the spec says/);
  assert.match(r.stdout, /NOT VERIFIED: 1 mismatch/);
});

test('verify fails when a sidecar is served a tampered bundle: it activates nothing, so nothing is allowed', async () => {
  const repo = exampleRepository();
  const key = makeKey(repo, 'k');
  const signer = createSigner({ keyId: 'k', privateKeyPem: readFileSync(key.file) });
  const bundles = new Map<string, Buffer>();
  for (const agent of readdirSync(path.join(repo, 'bundles', 'movie-post-production'))) {
    const dir = path.join(repo, 'bundles', 'movie-post-production', agent);
    const files = new Map(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f))]));
    let bytes = (await buildBundle({ files, revision: 'r1', signer, iat: 1 })).bytes;
    if (agent === 'color') {
      const t = await readTarball(bytes);
      t.set('data.json', Buffer.from(t.get('data.json')!.toString().replace('"POST"', '"GET"')));
      bytes = await writeTarball(t);
    }
    bundles.set(agent, bytes);
  }
  const tokens = path.join(repo, 'tokens');
  for (const agent of bundles.keys()) {
    const f = path.join(tokens, 'movie-post-production', `${agent}.token`);
    (await import('node:fs')).mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, 't\n');
  }
  const server = http.createServer((req, res) => {
    const m = /^\/bundles\/movie-post-production\/([a-z0-9-]+)\.tar\.gz$/.exec(req.url ?? '');
    const b = m ? bundles.get(m[1]!) : undefined;
    if (req.method !== 'GET' || !b) return void res.writeHead(req.method === 'POST' ? 200 : 404).end('{}');
    res.writeHead(200, { 'content-type': 'application/gzip', etag: '"x"' }).end(b);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pub = path.join(repo, 'k.pub.pem');
    writeFileSync(pub, key.publicKeyPem);
    const r = await custody(
      ['verify', '--workflow', 'movie-post-production', '--server', url, '--public-key', pub, '--key-id', 'k', '--tokens', tokens, '--wait', '4'],
      repo,
    );
    assert.is(r.code, 1, r.stdout);
    assert.match(r.stdout, /sidecar color: no bundle activated/);
    assert.match(r.stdout, /vfx-2\s+color\s+POST\s+\/api\/color\s+allow\s+no answer\s+MISMATCH/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

/** A stand-in bundle server answering every request with `status`. */
async function refusingServer(status: number): Promise<{ url: string; close(): void }> {
  const server = http.createServer((_req, res) => void res.writeHead(status).end('{}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

test('verify against a server it cannot reach, or that refuses it: exit 3 within seconds, said plainly, no mismatch table', async () => {
  const repo = exampleRepository();
  const key = makeKey(repo, 'k');
  const pub = path.join(repo, 'k.pub.pem');
  writeFileSync(pub, key.publicKeyPem);
  const tokens = path.join(repo, 'tokens');
  for (const agent of readdirSync(path.join(repo, 'bundles', 'movie-post-production'))) {
    mkdirSync(path.join(tokens, 'movie-post-production'), { recursive: true });
    writeFileSync(path.join(tokens, 'movie-post-production', `${agent}.token`), 't\n');
  }
  const args = (url: string) => ['verify', '--workflow', 'movie-post-production', '--server', url, '--public-key', pub, '--key-id', 'k', '--tokens', tokens];
  const closed = await refusingServer(200);
  closed.close();
  let started = Date.now();
  const unreachable = await custody(args(closed.url), repo);
  assert.is(unreachable.code, 3, unreachable.stdout + unreachable.stderr);
  assert.match(
    unreachable.stderr,
    `custody verify: error[server-unreachable]: cannot reach the bundle server at ${closed.url} (ECONNREFUSED): nothing was verified (start it (custody serve) or pass the URL it listens on with --server)`,
  );
  assert.ok(Date.now() - started < 10_000, 'found in the first seconds');
  for (const [status, code] of [
    [401, 'server-refused'],
    [403, 'server-refused'],
    [404, 'bundle-not-served'],
    [500, 'server-failed'],
  ] as const) {
    const server = await refusingServer(status);
    try {
      started = Date.now();
      const r = await custody(args(server.url), repo);
      assert.is(r.code, 3, `${status}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, `custody verify: error[${code}]: the bundle server at ${server.url} `);
      assert.match(r.stderr, `every agent (HTTP ${status}): nothing was verified`);
      assert.is(r.stdout, '', 'no table');
      assert.ok(Date.now() - started < 10_000, 'found in the first seconds');
    } finally {
      server.close();
    }
  }
  // Tokens missing for the agents: a usage error naming them.
  const none = await custody([...args(closed.url).slice(0, -2), '--tokens', path.join(repo, 'nowhere')], repo);
  assert.is(none.code, 2);
  assert.match(
    none.stderr,
    'error[missing-token]: no bundle-server token for movie-post-production/color, movie-post-production/hdr, movie-post-production/owner and 4 more',
  );
});

test('verify against a live server leaves nothing in its rollout view: its sidecars say they are a check', async () => {
  const t = await startTestServer();
  try {
    const tokens = path.join(t.dir, 'agent-tokens');
    for (const [key, token] of Object.entries(t.tokens)) {
      mkdirSync(path.join(tokens, key.split('/')[0]!), { recursive: true });
      writeFileSync(path.join(tokens, `${key}.token`), `${token}\n`);
    }
    const pub = path.join(t.dir, 'public.pem');
    writeFileSync(pub, t.publicKeyPem);
    const r = await custody(
      ['verify', '--workflow', 'movie-post-production', '--server', t.server.url, '--public-key', pub, '--key-id', t.keyId, '--tokens', tokens],
      t.repo,
    );
    assert.is(r.code, 0, r.stdout + r.stderr);
    for (const agent of ['color', 'hdr', 'owner', 'sound', 'vfx-1', 'vfx-2', 'vfx-3']) {
      assert.equal(t.server.observations.statusOf(`movie-post-production/${agent}`), [], `${agent}: no status kept`);
      assert.equal(t.server.observations.deniedOf(`movie-post-production/${agent}`), [], `${agent}: no denial kept`);
    }
  } finally {
    await t.server.close();
  }
});

test.run();
