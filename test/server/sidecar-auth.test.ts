/**
 * Sidecar authentication as deployed: the bundle server is started with exactly the configuration
 * `custody generate` renders for the owner's cluster (its ConfigMap written out as the pod mounts
 * it, key sets beside config.yaml), only the machine's places (repository, port, signing key file,
 * cache and log paths) pointed at this test. A real OPA presenting a ServiceAccount-style token of
 * its own cluster gets its bundle; a token of another cluster is refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { parse } from 'yaml';
import { desiredTrees } from '../../src/generate/index.js';
import { parseJwksFiles, readKeys } from '../../src/keys/index.js';
import { loadConfig, startServer } from '../../src/server/index.js';
import { loadWorkflows } from '../../src/workflow/index.js';
import { exampleRepository } from '../helpers/git-repo.js';
import { envoyInput } from '../helpers/opa.js';
import { repoPath } from '../helpers/paths.js';
import { makeKey } from '../helpers/server.js';
import { eventually, startSidecar } from '../helpers/sidecar.js';

const WORKFLOW = 'movie-post-production';
const VFX_ISSUER = 'https://issuer.vfx.example';
const COLOR_ISSUER = 'https://issuer.color.example';

/** An issuer's key pair and the JWKS its API server would publish. */
function issuerKey(kid: string) {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwks = JSON.stringify({ keys: [{ ...pair.publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' }] });
  return { privateKey: pair.privateKey, kid, jwks };
}

/** A projected ServiceAccount token as a kubelet would write it for the agent's OPA. */
function saToken(key: { privateKey: KeyObject; kid: string }, issuer: string, agent: string): Promise<string> {
  return new SignJWT({ 'kubernetes.io': { namespace: WORKFLOW, serviceaccount: { name: agent } } })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid })
    .setIssuer(issuer)
    .setAudience('custody-bundle-server')
    .setSubject(`system:serviceaccount:${WORKFLOW}:${agent}`)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key.privateKey);
}

interface EnvVar {
  name: string;
  value?: string;
}

test("the generated server configuration authenticates each cluster's sidecars, and only for its own agents", async () => {
  const vfx = issuerKey('vfx-2026');
  const color = issuerKey('color-2026');
  const spec = readFileSync(repoPath('workflows', `${WORKFLOW}.yaml`), 'utf8')
    .replace(
      'cluster: { name: vfx-central, region: us-central1, trustDomain: mesh.vfx.example, eastWestGateway: { address: 203.0.113.10 } }',
      `cluster: { name: vfx-central, region: us-central1, trustDomain: mesh.vfx.example, eastWestGateway: { address: 203.0.113.10 }, tokenIssuer: "${VFX_ISSUER}" }`,
    )
    .replace(
      'cluster: { name: color-central, region: us-central1, trustDomain: mesh.color.example, eastWestGateway: { address: 203.0.113.20, port: 443 } }',
      `cluster: { name: color-central, region: us-central1, trustDomain: mesh.color.example, eastWestGateway: { address: 203.0.113.20, port: 443 }, tokenIssuer: "${COLOR_ISSUER}" }`,
    );
  assert.is((spec.match(/tokenIssuer/g) ?? []).length, 2, 'the spec names both clusters as written here');
  const loaded = loadWorkflows([{ file: `workflows/${WORKFLOW}.yaml`, text: spec }]);
  assert.equal(
    loaded.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const keys = {
    ...(await readKeys(repoPath('keys'))),
    jwks: parseJwksFiles(
      new Map([
        ['vfx-central.json', vfx.jwks],
        ['color-central.json', color.jwks],
      ]),
    ),
  };
  const generated = desiredTrees(loaded.workflows, keys).find((t) => t.root === 'generated')!;
  const at = (f: string) => parse(generated.files.get(`clusters/studio-central/custody-system/${f}`)!) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  // The ConfigMap as the pod mounts it: every key a file in one directory.
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-auth-'));
  const mounted = path.join(dir, 'config');
  const data = at('configmap.yaml').data as Record<string, string>;
  assert.equal(Object.keys(data).sort(), ['config.yaml', 'jwks-color-central.json', 'jwks-vfx-central.json']);
  mkdirSync(mounted);
  for (const [name, text] of Object.entries(data)) writeFileSync(path.join(mounted, name), text);
  const env = Object.fromEntries(
    (at('deployment.yaml').spec.template.spec.containers[0].env as EnvVar[]).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]),
  );
  assert.is(env.CUSTODY_SIGNING_KEY_ID, 'custody-example');
  const signing = makeKey(dir, 'custody-example');
  const repo = exampleRepository();
  const config = loadConfig({
    file: path.join(mounted, 'config.yaml'),
    env: { ...env, CUSTODY_REPOSITORY: repo, CUSTODY_SIGNING_KEY_FILE: signing.file },
    cwd: dir,
    overrides: { host: '127.0.0.1', port: 0, pollSeconds: 0.2, cacheDir: path.join(dir, 'cache'), decisionLogFile: path.join(dir, 'decisions.jsonl') },
  });
  assert.equal(config.clusters, [
    { cluster: 'color-central', issuer: COLOR_ISSUER, jwksFile: path.join(mounted, 'jwks-color-central.json') },
    { cluster: 'vfx-central', issuer: VFX_ISSUER, jwksFile: path.join(mounted, 'jwks-vfx-central.json') },
  ]);
  const server = await startServer(config, { logger: { info: () => {}, error: () => {} } });
  // vfx-2 runs in vfx-central; its bundle's key is the one the generated sidecars trust.
  const sidecar = await startSidecar({
    serverUrl: server.url,
    workflow: WORKFLOW,
    agent: 'vfx-2',
    token: await saToken(vfx, VFX_ISSUER, 'vfx-2'),
    keyId: 'custody-example',
    publicKeyPem: signing.publicKeyPem,
  });
  try {
    const revision = await eventually(
      () => sidecar.revision(),
      (r) => r !== undefined,
      15_000,
      `activation with the vfx-central token (${sidecar.logs()})`,
    );
    assert.is(revision, server.catalog.status().head!.commit);
    assert.is(
      await sidecar.decide(envoyInput('spiffe://mesh.vfx.example/ns/movie-post-production/sa/vfx-1', 'POST', '/api/vfx-2/shots')),
      false,
      'no flow from vfx-1',
    );

    const fetchBundle = async (token: string) =>
      (await fetch(`${server.url}/bundles/${WORKFLOW}/vfx-2.tar.gz`, { headers: { authorization: `Bearer ${token}`, 'X-Custody-Key-Id': 'custody-example' } }))
        .status;
    assert.is(await fetchBundle(await saToken(vfx, VFX_ISSUER, 'vfx-2')), 200);
    // color-central's administrator can create a ServiceAccount named vfx-2 in its own cluster: its token names color-central.
    assert.is(await fetchBundle(await saToken(color, COLOR_ISSUER, 'vfx-2')), 403);
    // Nor can it sign for vfx-central's issuer.
    assert.is(await fetchBundle(await saToken(color, VFX_ISSUER, 'vfx-2')), 401);
    // color-central's own agent gets its own bundle with its own token.
    assert.is(
      (
        await fetch(`${server.url}/bundles/${WORKFLOW}/color.tar.gz`, {
          headers: { authorization: `Bearer ${await saToken(color, COLOR_ISSUER, 'color')}`, 'X-Custody-Key-Id': 'custody-example' },
        })
      ).status,
      200,
    );
  } finally {
    await sidecar.stop();
    await server.close();
  }
});

test.run();
