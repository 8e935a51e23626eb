/**
 * Where the bundle hot path spends its time: `node --import tsx bench/profile-server.ts [static|jwt]
 * [seconds]` (after `npm run build`) starts the compiled server in this process on a copy of bundles/, loads it with
 * `wrk -t1 -c64` (304 revalidations, then 200 downloads of color's bundle) and prints the share
 * of CPU samples per function (self time) and per part of the hot path (inclusive time), with the
 * V8 CPU profiler (what `node --cpu-prof` uses) running only while wrk does. Shares, not requests
 * per second: on a shared machine they hold where absolute numbers do not. Writes the profiles
 * (`.cpuprofile`, for Chrome's DevTools) into a temporary folder it names.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { sha256Hex } from '../src/server/index.js';
import { bundlesRepository, profileShares, requireTools, ROOT, type CpuProfile } from './lib.js';

const PARTS = [
  'serveBundle',
  'authenticate',
  'verifyJwt',
  'jwtVerify',
  'authorizeSidecar',
  'parseBundlePath',
  'preferredWait',
  'matches',
  'send',
  'notModified',
  'count',
  'writeHead',
  'end',
  'sendError',
  'parserOnIncoming',
  'parserOnHeadersComplete',
  '(garbage collector)',
];

const mode = process.argv[2] === 'jwt' ? 'jwt' : 'static';
const seconds = Number(process.argv[3] ?? 5);
requireTools(['wrk']);
// The compiled server (npm run build), as `custody serve` runs it: tsx's transform adds wrappers of its own.
const { loadConfig, startServer } = (await import(
  pathToFileURL(path.join(ROOT, 'dist', 'server', 'index.js')).href
)) as typeof import('../src/server/index.js');

const { work, repo } = bundlesRepository('custody-profile-');
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyFile = path.join(work, 'signing.pem');
writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
const color = 'movie-post-production/color';
const staticToken = randomBytes(24).toString('base64url');
writeFileSync(path.join(work, 'tokens.json'), JSON.stringify({ agents: { [color]: sha256Hex(staticToken) }, admins: [] }));
const pair = await generateKeyPair('RS256');
const jwksFile = path.join(work, 'jwks.json');
writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] }));
const now = Math.floor(Date.now() / 1000);
const jwt = await new SignJWT({})
  .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
  .setSubject(`system:serviceaccount:${color.replace('/', ':')}`)
  .setAudience('custody-bundle-server')
  .setIssuer('https://color-central.example')
  .setIssuedAt(now)
  .setExpirationTime(now + 3600)
  .sign(pair.privateKey);
const token = mode === 'jwt' ? jwt : staticToken;

const config = loadConfig({
  env: {},
  cwd: work,
  overrides: {
    repository: repo,
    host: '127.0.0.1',
    port: 0,
    pollSeconds: 3600,
    signingKeys: [{ id: 'bench', file: keyFile }],
    tokensFile: path.join(work, 'tokens.json'),
    decisionLogFile: path.join(work, 'd.jsonl'),
    clusters: [{ cluster: 'color-central', issuer: 'https://color-central.example', jwksFile }],
  },
});
const server = await startServer(config, { logger: { info: () => undefined, error: (m) => console.error(m) } });
const url = `${server.url}/bundles/${color}.tar.gz`;
const first = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
if (first.status !== 200) throw new Error(`the server answered ${first.status} to the ${mode} token`);
const etag = first.headers.get('etag')!;

function wrk(headers: Record<string, string>): Promise<string> {
  const script = path.join(work, `wrk-${randomBytes(4).toString('hex')}.lua`);
  writeFileSync(
    script,
    Object.entries(headers)
      .map(([k, v]) => `wrk.headers["${k}"] = ${JSON.stringify(v)}`)
      .join('\n') + '\n',
  );
  // Not execFileSync: the server runs in this process and must keep answering.
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', '-c64', `-d${seconds}s`, '-s', script, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => resolve(out));
  });
}

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
for (const [name, headers] of [
  ['304', { Authorization: `Bearer ${token}`, 'If-None-Match': etag }],
  ['200', { Authorization: `Bearer ${token}` }],
] as const) {
  const load = os.loadavg()[0]!;
  await session.post('Profiler.start');
  const out = await wrk(headers);
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  const file = path.join(work, `${mode}-${name}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  const s = profileShares(profile, PARTS);
  console.log(
    `\n== ${mode} token, ${name}: ${/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? '?'} requests/s (1-minute load average ${load.toFixed(2)} on ${os.cpus().length} cores; compare shares, not rates)`,
  );
  console.log(`-- self time, share of ${s.busySamples} busy samples:\n${s.top.join('\n')}`);
  console.log(`-- inclusive:\n${s.parts.join('\n')}`);
  console.log(`profile: ${file}`);
}
session.disconnect();
await server.close();
