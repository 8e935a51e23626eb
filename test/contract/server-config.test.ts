/**
 * The bundle server's configuration as `custody generate` renders it for the owner's cluster
 * (ConfigMap and Deployment environment), loaded by the server's own loader: every setting the
 * renderer writes is one the server reads, with the value the deployment means.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { desiredTrees } from '../../src/generate/index.js';
import { readKeys } from '../../src/keys/index.js';
import { loadConfig } from '../../src/server/index.js';
import { loadWorkflows } from '../../src/workflow/index.js';
import { repoPath } from '../helpers/paths.js';

const MOVIE = readFileSync(repoPath('workflows', 'movie-post-production.yaml'), 'utf8');

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

/** The owner's cluster's config.yaml (written to a file, as the ConfigMap is mounted) and the server container's environment. */
async function deployed(spec: string): Promise<{ file: string; env: EnvVar[] }> {
  const loaded = loadWorkflows([{ file: 'workflows/movie-post-production.yaml', text: spec }]);
  assert.equal(
    loaded.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const generated = desiredTrees(loaded.workflows, await readKeys(repoPath('keys'))).find((t) => t.root === 'generated')!;
  const at = (f: string) => parse(generated.files.get(`clusters/studio-central/custody-system/${f}`)!) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'custody-config-')), 'config.yaml');
  writeFileSync(file, at('configmap.yaml').data['config.yaml'] as string);
  const containers = at('deployment.yaml').spec.template.spec.containers as { name: string; env: EnvVar[] }[];
  return { file, env: containers.find((c) => c.name === 'server')!.env };
}

const plainEnv = (env: EnvVar[]) => Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));

test("the owner cluster's server configuration loads into the settings the deployment means", async () => {
  const { file, env } = await deployed(MOVIE);
  assert.is(
    readFileSync(file, 'utf8'),
    'cacheDir: /var/cache/custody\nclusters: []\ndecisionLogFile: /var/lib/custody/decisions.jsonl\nmetricsAccess: admin\n',
  );
  // The connection bound follows this machine's descriptor limit: checked for its floor, the rest literally.
  const { maxConnections, maxUnauthenticatedConnections, maxConnectionsPerAgent, ...config } = loadConfig({ file, env: plainEnv(env), cwd: '/nowhere' });
  assert.ok(maxConnections >= 64, `maxConnections ${maxConnections}`);
  assert.ok(maxUnauthenticatedConnections >= 1 && maxUnauthenticatedConnections < maxConnections, 'room kept for authenticated sidecars');
  assert.is(maxConnectionsPerAgent, Math.min(256, maxConnections - maxUnauthenticatedConnections));
  assert.equal(config, {
    host: '0.0.0.0',
    port: 8080,
    repository: 'https://github.com/custody-dev/custody.git',
    branch: 'main',
    pollSeconds: 30,
    cacheDir: '/var/cache/custody',
    signingKeys: [{ id: 'custody-example', file: '/etc/custody/signing-key/private-key.pem' }],
    activeKeyId: 'custody-example',
    tokenAudience: 'custody-bundle-server',
    clusters: [],
    decisionLogFile: '/var/lib/custody/decisions.jsonl',
    decisionLogMaxBytes: 67108864,
    longPollMaxSeconds: 120,
    maxBodyBytes: 8388608,
    maxTokenLifetimeSeconds: 172800,
    webhookMaxBodyBytes: 1048576,
    metricsAccess: 'admin',
    maxBundleBytes: 67108864,
  });
});

test('the secrets the Deployment passes from Secrets are variables the server reads', async () => {
  const { file, env } = await deployed(MOVIE);
  assert.equal(
    env.filter((e) => e.valueFrom !== undefined).map((e) => e.name),
    ['CUSTODY_GIT_TOKEN', 'CUSTODY_WEBHOOK_SECRET'],
  );
  assert.is(loadConfig({ file, env: { ...plainEnv(env), CUSTODY_WEBHOOK_SECRET: 'hook' }, cwd: '/nowhere' }).webhookSecret, 'hook');
});

test("token issuers of the served clusters load as the server's issuers", async () => {
  const spec = MOVIE.replace(
    'cluster: { name: hdr-west, region: us-west2, trustDomain: mesh.hdr.example, eastWestGateway: { address: "2001:db8:4d::10", network: hdr-net } }',
    'cluster: { name: hdr-west, region: us-west2, trustDomain: mesh.hdr.example, eastWestGateway: { address: "2001:db8:4d::10", network: hdr-net }, tokenIssuer: "https://issuer.hdr.example", tokenJwksUrl: "https://issuer.hdr.example/openid/v1/jwks" }',
  );
  assert.ok(spec !== MOVIE, 'the spec names hdr-west as written here');
  const { file, env } = await deployed(spec);
  assert.equal(loadConfig({ file, env: plainEnv(env), cwd: '/nowhere' }).clusters, [
    { cluster: 'hdr-west', issuer: 'https://issuer.hdr.example', jwksUrl: 'https://issuer.hdr.example/openid/v1/jwks' },
  ]);
});

test.run();
