/**
 * Bundle server benchmarks, each against its peer in the same run:
 *  - 304 revalidations and 200 downloads per second, against nginx serving the same file with ETags;
 *  - N concurrent long polls held (memory per poll) and the time until all get a new revision after
 *    a commit, against the same clients short-polling at 1-2 s (OPA's default is 60-120 s);
 *  - build + sign of one bundle, against `opa build --signing-key` on the same sources.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { buildBundle, createSigner } from '../src/bundle/index.js';
import { sha256Hex } from '../src/server/index.js';
import { barChart, bundlesRepository, git, machine, percentile, ROOT, writeChart, writeResults } from './lib.js';

const LONG_POLLS = Number(process.env.BENCH_LONG_POLLS ?? 10_000);
const WRK_SECONDS = Number(process.env.BENCH_WRK_SECONDS ?? 8);
const OPA = process.env.OPA_BIN ?? path.join(ROOT, '.tools', 'bin', 'opa');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


async function waitFor(check: () => Promise<boolean> | boolean, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function main() {
  const { work, repo } = bundlesRepository('custody-bench-');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = path.join(work, 'signing.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const agents = readdirSync(path.join(repo, 'bundles')).flatMap((w) => readdirSync(path.join(repo, 'bundles', w)).map((a) => `${w}/${a}`));
  const tokens = Object.fromEntries(agents.map((a) => [a, randomBytes(24).toString('base64url')]));
  const admin = randomBytes(24).toString('base64url');
  writeFileSync(path.join(work, 'tokens.json'), JSON.stringify({ agents: Object.fromEntries(agents.map((a) => [a, sha256Hex(tokens[a]!)])), admins: [sha256Hex(admin)] }));
  const port = 18800 + Math.floor(Math.random() * 500);
  writeFileSync(path.join(work, 'server.yaml'), `repository: ${repo}\nport: ${port}\npollSeconds: 3600\nsigningKeys: [{ id: bench, file: ${keyFile} }]\ntokensFile: ${path.join(work, 'tokens.json')}\ndecisionLogFile: ${path.join(work, 'd.jsonl')}\nlongPollMaxSeconds: 300\n`);
  const server = spawn(process.execPath, [path.join(ROOT, 'bin', 'custody.js'), 'serve', '--config', path.join(work, 'server.yaml')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let serverOut = '';
  server.stdout!.on('data', (d: Buffer) => (serverOut += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  let nginx: ChildProcess | undefined;
  try {
    await waitFor(() => /serving/.test(serverOut), 20_000, 'the server');
    const color = 'movie-post-production/color';
    const bundleUrl = `${base}/bundles/${color}.tar.gz`;
    const auth = `Bearer ${tokens[color]}`;
    const first = await fetch(bundleUrl, { headers: { authorization: auth } });
    const bytes = Buffer.from(await first.arrayBuffer());
    const etag = first.headers.get('etag')!;

    // nginx, one worker (the server is one process), serving the same bytes from disk with its ETags.
    const www = path.join(work, 'www', 'bundles', 'movie-post-production');
    mkdirSync(www, { recursive: true });
    writeFileSync(path.join(www, 'color.tar.gz'), bytes, { mode: 0o644 });
    // nginx's workers run as an unprivileged user: let them read the copy (and nothing else of the work folder).
    for (let d = www; d.startsWith(work); d = path.dirname(d)) chmodSync(d, 0o755);
    const nginxPort = port + 1000;
    writeFileSync(path.join(work, 'nginx.conf'), `worker_processes 1;\ndaemon off;\npid ${work}/nginx.pid;\nerror_log ${work}/nginx-error.log;\nevents { worker_connections 4096; }\nhttp {\n access_log off;\n sendfile on;\n etag on;\n types { application/gzip gz; }\n server { listen 127.0.0.1:${nginxPort}; root ${work}/www; }\n}\n`);
    nginx = spawn('nginx', ['-c', path.join(work, 'nginx.conf'), '-p', work], { stdio: 'ignore' });
    const nginxUrl = `http://127.0.0.1:${nginxPort}/bundles/movie-post-production/color.tar.gz`;
    await waitFor(async () => (await fetch(nginxUrl).catch(() => undefined))?.status === 200, 10_000, 'nginx');
    const nginxEtag = (await fetch(nginxUrl)).headers.get('etag')!;
    if ((await fetch(nginxUrl, { headers: { 'if-none-match': nginxEtag } })).status !== 304) throw new Error('nginx does not answer 304');
    if ((await fetch(bundleUrl, { headers: { authorization: auth, 'if-none-match': etag } })).status !== 304) throw new Error('custody does not answer 304');

    const wrk = (url: string, headers: Record<string, string>) => {
      const script = path.join(work, `wrk-${randomBytes(4).toString('hex')}.lua`);
      writeFileSync(script, Object.entries(headers).map(([k, v]) => `wrk.headers["${k}"] = ${JSON.stringify(v)}`).join('\n') + '\n');
      execFileSync('wrk', ['-t1', '-c64', '-d2s', '-s', script, url], { encoding: 'utf8' });
      const out = execFileSync('wrk', ['-t1', '-c64', `-d${WRK_SECONDS}s`, '-s', script, url], { encoding: 'utf8' });
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
      if (/Non-2xx or 3xx responses/.test(out) || !rps) throw new Error(`wrk saw errors:\n${out}`);
      return rps;
    };
    const throughput = {
      custody304: wrk(bundleUrl, { Authorization: auth, 'If-None-Match': etag }),
      nginx304: wrk(nginxUrl, { 'If-None-Match': nginxEtag }),
      custody200: wrk(bundleUrl, { Authorization: auth }),
      nginx200: wrk(nginxUrl, {}),
    };
    nginx.kill('SIGTERM');

    const longPoll = await longPolls(base, repo, agents, tokens, admin);
    const build = await buildVersusOpa(path.join(ROOT, 'bundles', 'movie-post-production', 'color'), keyFile, work);

    const results = {
      benchmark: 'bundle server',
      machine: machine(),
      peers: { nginx: spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim(), wrk: spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0]?.trim() + ' (-t1 -c64)', opa: execFileSync(OPA, ['version'], { encoding: 'utf8' }).split('\n')[0] },
      notes: [
        'Same machine, same run. nginx: 1 worker process, sendfile, ETag on, no auth. custody: one Node.js process, bearer token checked on every request, bundle and ETag kept in memory, the bundle path answered before express routing.',
        `Bundle: movie-post-production/color, ${bytes.length} bytes.`,
        'Short polling at 1-2 s is far more aggressive than OPA\'s default 60-120 s; with the default, a change takes up to 120 s to reach every sidecar.',
        'opa build is timed as a command (process start included), the way a CI pipeline runs it; custody builds in its running process.',
      ],
      throughput: { ...throughput, ratio304: throughput.custody304 / throughput.nginx304, ratio200: throughput.custody200 / throughput.nginx200, targets: { ratio304: 0.5, ratio200: 0.8 } },
      longPoll,
      build,
    };
    console.log(JSON.stringify(results, null, 2));
    writeResults('server', results);
    writeChart('server', barChart('Bundle server, measured with its peers in one run', '', [
      { label: '304 revalidations per second (higher is better)', bars: [{ label: 'custody', value: throughput.custody304 }, { label: 'nginx', value: throughput.nginx304 }] },
      { label: '200 downloads per second (higher is better)', bars: [{ label: 'custody', value: throughput.custody200 }, { label: 'nginx', value: throughput.nginx200 }] },
      { label: `ms until all ${longPoll.clients} sidecars have a new commit (p99)`, bars: [{ label: 'custody long polling', value: longPoll.longPolling.p99Ms }, { label: 'short polling every 1-2 s', value: longPoll.shortPolling.p99Ms }] },
      { label: 'ms to build and sign one bundle', bars: [{ label: 'custody (in process)', value: build.custodyMs }, { label: 'opa build --signing-key', value: build.opaBuildMs }] },
    ], `${String(results.machine.cpu)}, ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB, Node ${results.machine.node}`));
  } finally {
    nginx?.kill('SIGTERM');
    server.kill('SIGTERM');
  }
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

async function longPolls(base: string, repo: string, agents: string[], tokens: Record<string, string>, admin: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const etags = new Map<string, string>();
  for (const a of agents) etags.set(a, (await fetch(`${base}/bundles/${a}.tar.gz`, { headers: { authorization: `Bearer ${tokens[a]}` } })).headers.get('etag')!);
  const changeAll = async () => {
    for (const a of agents) writeFileSync(path.join(repo, 'bundles', a, 'policy.rego'), `${readFileSync(path.join(repo, 'bundles', a, 'policy.rego'), 'utf8')}# ${randomBytes(4).toString('hex')}\n`);
    git(repo, 'commit', '-q', '-am', 'change every bundle');
    const t0 = performance.now();
    await fetch(`${base}/api/refresh`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    return t0;
  };
  const request = (a: string, wait: number | undefined, done: (status: number, at: number) => void) => {
    const req = http.request(`${base}/bundles/${a}.tar.gz`, { agent, headers: { authorization: `Bearer ${tokens[a]}`, 'if-none-match': etags.get(a)!, ...(wait ? { prefer: `modes=snapshot,delta;wait=${wait}` } : {}) } }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0, performance.now()));
    });
    req.on('error', () => done(0, performance.now()));
    req.end();
  };

  // Long polling: every client holds one request; one commit wakes them all.
  global.gc?.();
  const rssBefore = await metric(base, 'process_resident_memory_bytes');
  const arrivals: number[] = [];
  let failures = 0;
  for (let i = 0; i < LONG_POLLS; i++) {
    const a = agents[i % agents.length]!;
    request(a, 280, (status, at) => (status === 200 ? arrivals.push(at) : failures++));
    if (i % 500 === 499) await sleep(20);
  }
  await waitFor(async () => (await metric(base, 'custody_long_polls_waiting')) >= LONG_POLLS, 60_000, 'every long poll held');
  await sleep(1000);
  const rssHeld = await metric(base, 'process_resident_memory_bytes');
  const t0 = await changeAll();
  await waitFor(() => arrivals.length + failures >= LONG_POLLS, 60_000, 'every long poll answered');
  const lp = arrivals.map((t) => t - t0).sort((x, y) => x - y);
  for (const a of agents) etags.set(a, (await fetch(`${base}/bundles/${a}.tar.gz`, { headers: { authorization: `Bearer ${tokens[a]}` } })).headers.get('etag')!);

  // Short polling: every client asks every 1-2 s; one commit is seen at each client's next poll.
  const got: number[] = [];
  let stop = false;
  let requests = 0;
  let t1 = Infinity;
  const loop = (a: string) => {
    if (stop) return;
    requests++;
    request(a, undefined, (status, at) => {
      if (status === 200 && at > t1) return void got.push(at);
      setTimeout(() => loop(a), 1000 + Math.random() * 1000);
    });
  };
  for (let i = 0; i < LONG_POLLS; i++) setTimeout(() => loop(agents[i % agents.length]!), Math.random() * 2000);
  await sleep(4000);
  const before = requests;
  await sleep(2000);
  const shortRate = (requests - before) / 2;
  t1 = await changeAll();
  await waitFor(() => got.length >= LONG_POLLS, 60_000, 'every short poller saw the commit');
  stop = true;
  const sp = got.map((t) => t - t1).sort((x, y) => x - y);
  agent.destroy();
  return {
    clients: LONG_POLLS,
    longPolling: {
      failures,
      serverRssHeldBytes: rssHeld,
      bytesPerWaitingPoll: Math.round((rssHeld - rssBefore) / LONG_POLLS),
      p50Ms: percentile(lp, 50),
      p99Ms: percentile(lp, 99),
      maxMs: lp.at(-1),
      target: 'p99 under 2000 ms',
    },
    shortPolling: { requestsPerSecond: Math.round(shortRate), p50Ms: percentile(sp, 50), p99Ms: percentile(sp, 99), maxMs: sp.at(-1) },
  };
}

async function buildVersusOpa(sourceDir: string, keyFile: string, work: string) {
  const files = new Map(readdirSync(sourceDir).map((f) => [f, readFileSync(path.join(sourceDir, f))]));
  const signer = createSigner({ keyId: 'bench', privateKeyPem: readFileSync(keyFile) });
  for (let i = 0; i < 20; i++) await buildBundle({ files, revision: `warm${i}`, signer, iat: 1 });
  const runs = 200;
  let t = performance.now();
  for (let i = 0; i < runs; i++) await buildBundle({ files, revision: `r${i}`, signer, iat: 1 });
  const custodyMs = (performance.now() - t) / runs;
  const opaRuns = 10;
  execFileSync(OPA, ['build', '-b', sourceDir, '--signing-key', keyFile, '--signing-alg', 'RS256', '-o', path.join(work, 'warm.tar.gz')]);
  t = performance.now();
  for (let i = 0; i < opaRuns; i++) execFileSync(OPA, ['build', '-b', sourceDir, '--signing-key', keyFile, '--signing-alg', 'RS256', '-o', path.join(work, `opa${i}.tar.gz`)]);
  const opaBuildMs = (performance.now() - t) / opaRuns;
  return { custodyMs, opaBuildMs, ratio: custodyMs / opaBuildMs, runs: { custody: runs, opa: opaRuns } };
}

await main();
