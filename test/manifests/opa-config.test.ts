/**
 * The OPA configuration as generated (the text in the agent's ConfigMap) read by the real OPA: Go's
 * YAML reads it as we meant it, and an OPA started from it (only the server URL and the token file
 * pointed at this machine, the Envoy plugin left out of the plain binary) downloads its bundle from
 * a real bundle server, verifies the signature with the listed key and enforces it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { renderManifests } from '../../src/manifests/index.js';
import { envoyInput, opa, opaBinary } from '../helpers/opa.js';
import { startTestServer } from '../helpers/server.js';
import { eventually, freePort } from '../helpers/sidecar.js';
import { exampleWorkflows } from '../helpers/workflows.js';

const movie = exampleWorkflows().find((w) => w.name === 'movie-post-production')!;
const FILE = 'clusters/color-central/movie-post-production/color/configmap-opa.yaml';

test('Go reads the generated OPA configuration as JavaScript does', async () => {
  const inputs = {
    keys: [{ id: 'k1', algorithm: 'RS256', publicKeyPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }],
    activeKeyId: 'k1',
    version: '0.0.0',
  };
  const text = (parse(renderManifests([movie], inputs).files.get(FILE)!) as { data: Record<string, string> }).data['config.yaml']!;
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-opa-yaml-'));
  writeFileSync(path.join(dir, 'input.json'), JSON.stringify({ text }));
  const { stdout } = await opa(['eval', '-f', 'raw', '-i', path.join(dir, 'input.json'), 'yaml.unmarshal(input.text)']);
  assert.equal(JSON.parse(stdout), parse(text));
  assert.is((JSON.parse(stdout) as { plugins: { envoy_ext_authz_grpc: { addr: string } } }).plugins.envoy_ext_authz_grpc.addr, '127.0.0.1:9191');
});

test('a real OPA started from the generated configuration activates its signed bundle and enforces it', async () => {
  const t = await startTestServer();
  const inputs = { keys: [{ id: t.keyId, algorithm: 'RS256', publicKeyPem: t.publicKeyPem }], activeKeyId: t.keyId, version: '0.0.0' };
  const text = (parse(renderManifests([movie], inputs).files.get(FILE)!) as { data: Record<string, string> }).data['config.yaml']!;
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-opa-run-'));
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, `${t.tokens[`${movie.name}/color`]}\n`, { mode: 0o600 });
  const local = text
    .replace('url: http://custody-bundle-server-studio-central.custody-system.svc.cluster.local:8080', `url: ${t.server.url}`)
    .replace('token_path: /var/run/secrets/custody/token', `token_path: ${tokenFile}`)
    .replace(/^plugins:\n(?: {2}.*\n)+/m, '');
  assert.not.equal(local, text);
  assert.not.match(local, /plugins:|svc\.cluster\.local|\/var\/run/);
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, local);
  const port = await freePort();
  const child = spawn(opaBinary(), ['run', '--server', '--addr', `127.0.0.1:${port}`, '--config-file', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr.on('data', (d: Buffer) => (logs += d.toString()));
  try {
    const url = `http://127.0.0.1:${port}`;
    const head = t.server.catalog.status().head!.commit;
    await eventually(
      async () => {
        try {
          return ((await (await fetch(`${url}/v1/data/system/bundles/custody/manifest/revision`)).json()) as { result?: string }).result;
        } catch {
          return undefined;
        }
      },
      (r) => r === head,
      15_000,
      `activation (${logs})`,
    );
    const decide = async (from: string, method: string, p: string) =>
      (
        (await (
          await fetch(`${url}/v1/data/custody/authz/allow`, {
            method: 'POST',
            body: JSON.stringify({ input: envoyInput(movie.agents.find((a) => a.name === from)!.principal, method, p) }),
          })
        ).json()) as { result?: boolean }
      ).result;
    assert.is(await decide('vfx-2', 'POST', '/api/color'), true);
    assert.is(await decide('vfx-1', 'POST', '/api/color'), false);
    assert.is(await decide('vfx-2', 'GET', '/api/color'), false);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await t.server.close();
  }
});

test.run();
