/** A bundle server on a temporary example repository, with keys and static tokens made for the test. */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, sha256Hex, startServer, type RunningServer, type ServerConfig } from '../../src/server/index.js';
import { exampleRepository } from './git-repo.js';

export interface TestServer {
  readonly server: RunningServer;
  readonly repo: string;
  readonly dir: string;
  readonly keyId: string;
  readonly publicKeyPem: string;
  readonly privateKeyFile: string;
  readonly adminToken: string;
  /** Tokens of every agent, by `<workflow>/<agent>`. */
  readonly tokens: Readonly<Record<string, string>>;
  readonly logs: string[];
}

export function makeKey(dir: string, name: string, type: 'rsa' | 'ec' = 'rsa') {
  const pair = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const file = path.join(dir, `${name}.key.pem`);
  writeFileSync(file, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { file, publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export async function startTestServer(overrides: Partial<Record<keyof ServerConfig, unknown>> = {}, repo = exampleRepository()): Promise<TestServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-server-'));
  const keyId = 'test-key';
  const key = makeKey(dir, keyId);
  const agents = [
    'clinical-trial-analysis/data-manager',
    'clinical-trial-analysis/lab-analyzer',
    'clinical-trial-analysis/lab-ingest',
    'clinical-trial-analysis/safety-desk',
    'clinical-trial-analysis/site-portal',
    'clinical-trial-analysis/stats-runner',
    'movie-post-production/color',
    'movie-post-production/hdr',
    'movie-post-production/owner',
    'movie-post-production/sound',
    'movie-post-production/vfx-1',
    'movie-post-production/vfx-2',
    'movie-post-production/vfx-3',
  ];
  const tokens = Object.fromEntries(agents.map((a) => [a, randomBytes(24).toString('base64url')]));
  const adminToken = randomBytes(24).toString('base64url');
  const tokensFile = path.join(dir, 'tokens.json');
  writeFileSync(
    tokensFile,
    JSON.stringify({ agents: Object.fromEntries(Object.entries(tokens).map(([k, t]) => [k, sha256Hex(t)])), admins: [sha256Hex(adminToken)] }),
  );
  const config = loadConfig({
    env: {},
    cwd: dir,
    overrides: {
      repository: repo,
      port: 0,
      pollSeconds: 0.2,
      signingKeys: [{ id: keyId, file: key.file }],
      tokensFile,
      decisionLogFile: path.join(dir, 'decisions.jsonl'),
      ...overrides,
    },
  });
  const logs: string[] = [];
  const server = await startServer(config, { logger: { info: (m) => logs.push(m), error: (m) => logs.push(`error: ${m}`) } });
  return { server, repo, dir, keyId, publicKeyPem: key.publicKeyPem, privateKeyFile: key.file, adminToken, tokens, logs };
}
