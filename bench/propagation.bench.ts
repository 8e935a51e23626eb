/**
 * Policy propagation: the time from a commit to every sidecar enforcing it, for 1 … 200 real OPA
 * processes long-polling one bundle server on this machine, against the same sidecars with OPA's
 * default periodic polling (60–120 s). The time is taken when each sidecar reports the new revision
 * as active (OPA's status update, timed on receipt), so it includes download, verification,
 * activation and the report; at the end each sidecar is also asked which revision it enforces.
 * The sidecars are spread over the movie workflow's agents (color first), and the commit changes
 * every agent's bundle: the server keeps the reports of at most 64 instances per agent (observe.ts),
 * so 200 replicas of one agent would hide most of their reports from the measurement.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { opaSidecarConfig } from '../src/policy/index.js';
import { loadConfig, sha256Hex, startServer, type RunningServer } from '../src/server/index.js';
import { freePort } from '../src/verify/index.js';
import { barChart, bundlesRepository, git, LoadLog, machine, percentile, publishIfQuiet, ROOT } from './lib.js';

const OPA = process.env.OPA_BIN ?? path.join(ROOT, '.tools', 'bin', 'opa');
const COUNTS = (process.env.BENCH_SIDECARS ?? '1,10,50,100,200').split(',').map(Number);
const DEFAULT_POLLING_COUNT = Number(process.env.BENCH_DEFAULT_POLLING_SIDECARS ?? 50);
const WORKFLOW = 'movie-post-production';
/** color first: one sidecar is color's, as in earlier runs. */
const AGENTS = readdirSync(path.join(ROOT, 'bundles', WORKFLOW)).sort((a, b) => (a === 'color' ? -1 : b === 'color' ? 1 : a < b ? -1 : 1));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(count: number, polling: 'long' | 'default') {
  const { work, repo } = bundlesRepository('custody-prop-');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = path.join(work, 'key.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const tokens = new Map(AGENTS.map((a) => [a, randomBytes(24).toString('base64url')]));
  for (const [agent, token] of tokens) writeFileSync(path.join(work, `token-${agent}`), token);
  writeFileSync(
    path.join(work, 'tokens.json'),
    JSON.stringify({ agents: Object.fromEntries([...tokens].map(([a, t]) => [`${WORKFLOW}/${a}`, sha256Hex(t)])), admins: [] }),
  );
  const server: RunningServer = await startServer(
    loadConfig({
      env: {},
      cwd: work,
      overrides: {
        repository: repo,
        port: 0,
        pollSeconds: 3600,
        signingKeys: [{ id: 'k', file: keyFile }],
        tokensFile: path.join(work, 'tokens.json'),
        decisionLogFile: path.join(work, 'd.jsonl'),
      },
    }),
    { logger: { info() {}, error() {} } },
  );
  const configOf = (agent: string) => {
    const config = path.join(work, `opa-${agent}.json`);
    const c = opaSidecarConfig({
      bundleServerUrl: server.url,
      workflow: WORKFLOW,
      agent,
      keyId: 'k',
      keys: [{ id: 'k', algorithm: 'RS256', publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }],
      tokenPath: path.join(work, `token-${agent}`),
      envoyPlugin: false,
      ...(polling === 'long' ? { longPollSeconds: 60 } : { longPollSeconds: undefined }),
    }) as { bundles: { custody: { polling: unknown } } };
    // OPA's defaults: no long polling, a random delay of 60-120 s between polls.
    if (polling === 'default') c.bundles.custody.polling = {};
    writeFileSync(config, JSON.stringify(c));
    return config;
  };
  const configs = new Map(AGENTS.map((a) => [a, configOf(a)]));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      ports.push(port);
      const config = configs.get(AGENTS[i % AGENTS.length]!)!;
      children.push(spawn(OPA, ['run', '--server', '--addr', `127.0.0.1:${port}`, '--config-file', config, '--log-level', 'error'], { stdio: 'ignore' }));
      if (i % 20 === 19) await sleep(200);
    }
    const first = server.catalog.status().head!.commit;
    const reports = () => AGENTS.flatMap((a) => server.observations.statusOf(`${WORKFLOW}/${a}`));
    const active = (rev: string) => reports().filter((s) => s.activeRevision === rev).length;
    const enforcing = async (rev: string) =>
      (
        await Promise.all(
          ports.map(async (port) => {
            try {
              return ((await (await fetch(`http://127.0.0.1:${port}/v1/data/system/bundles/custody/manifest/revision`)).json()) as { result?: string }).result;
            } catch {
              return undefined;
            }
          }),
        )
      ).filter((r) => r === rev).length;
    let deadline = Date.now() + 120_000;
    // Status reports first (cheap); OPA may drop one, so ask the sidecars themselves when they stall.
    for (let round = 1; active(first) < count && Date.now() < deadline; round++) {
      await sleep(500);
      if (round % 4 === 0 && (await enforcing(first)) === count) break;
    }
    if ((await enforcing(first)) < count) throw new Error(`only ${await enforcing(first)} of ${count} sidecars activated`);
    await sleep(polling === 'long' ? 1000 : 0);

    // Every agent's bundle changes (a comment in its policy), so every sidecar has a new bundle to fetch.
    for (const agent of AGENTS) {
      const policy = path.join(repo, 'bundles', WORKFLOW, agent, 'policy.rego');
      writeFileSync(policy, `${readFileSync(policy, 'utf8')}# ${randomBytes(4).toString('hex')}\n`);
    }
    const second = (git(repo, 'commit', '-q', '-am', 'change'), git(repo, 'rev-parse', 'HEAD'));
    const t0 = Date.now();
    await server.refresh();
    // Arrival: the sidecar's own status report of the new revision (timed on receipt, every 10 ms).
    const arrivals = new Map<string, number>();
    deadline = Date.now() + (polling === 'long' ? 30_000 : 200_000);
    while (arrivals.size < count && Date.now() < deadline) {
      for (const s of reports()) if (s.activeRevision === second && !arrivals.has(s.instance!)) arrivals.set(s.instance!, Date.now() - t0);
      await sleep(10);
    }
    const times = [...arrivals.values()].sort((a, b) => a - b);
    // And whether every sidecar enforces it, asked of each one (a status report can be lost).
    const enforcingAtEnd = await enforcing(second);
    const rss =
      Number(
        execFileSync('ps', ['-o', 'rss=', '-p', children.map((c) => c.pid).join(',')], { encoding: 'utf8' })
          .trim()
          .split(/\s+/)
          .reduce((n, x) => n + Number(x), 0),
      ) * 1024;
    return {
      sidecars: count,
      polling,
      reported: times.length,
      enforcingAtEnd,
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      allMs: times.at(-1),
      sidecarRssMiB: Math.round(rss / count / 2 ** 20),
    };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
    await server.close();
  }
}

async function main() {
  const rows: Awaited<ReturnType<typeof run>>[] = [];
  // Up to 200 OPA processes on 2 cores load the machine themselves; a pause lets the average settle before each run.
  const log = new LoadLog(true, Number(process.env.BENCH_PAUSE_SECONDS ?? 30));
  for (const n of COUNTS) {
    const r = await log.measure(`${n} sidecars long polling`, () => run(n, 'long'));
    console.log(JSON.stringify(r));
    rows.push(r);
  }
  const periodic =
    DEFAULT_POLLING_COUNT > 0 ? await log.measure(`${DEFAULT_POLLING_COUNT} sidecars default polling`, () => run(DEFAULT_POLLING_COUNT, 'default')) : undefined;
  if (periodic) console.log(JSON.stringify(periodic));
  const results = {
    benchmark: 'policy propagation',
    ...log.verdict(),
    machine: machine(),
    peer: `${execFileSync(OPA, ['version'], { encoding: 'utf8' }).split('\n')[0]}, OPA's default periodic polling (60-120 s), same server, same run`,
    notes: [
      'Time from the commit being read by the server (refresh) to each sidecar reporting the new revision as active in its status update (timed on receipt). enforcingAtEnd: sidecars whose own API shows the new revision at the end; OPA occasionally drops a status update (about 1 in 100 here), so reported can be one less.',
      `All sidecars are real OPA processes on this machine (2 cores), long polling with a 60 s wait, spread over the ${AGENTS.length} agents of ${WORKFLOW} (color first; one sidecar is color's); the commit changes every agent's bundle. The server keeps the reports of at most 64 instances per agent, so more replicas of one agent would hide reports from this measurement.`,
    ],
    longPolling: rows,
    ...(periodic ? { defaultPolling: periodic } : {}),
  };
  const m = results.machine;
  publishIfQuiet('propagation', results, () =>
    barChart(
      'Time until every sidecar enforces a new commit',
      'ms',
      [
        ...rows.map((r) => ({
          label: `${r.sidecars} sidecar${r.sidecars === 1 ? '' : 's'}, long polling`,
          bars: [
            { label: 'median', value: r.p50Ms },
            { label: 'last to report', value: r.allMs ?? NaN },
          ],
        })),
        ...(periodic
          ? [
              {
                label: `${periodic.sidecars} sidecars, OPA default polling`,
                bars: [
                  { label: 'median', value: periodic.p50Ms },
                  { label: 'last to report', value: periodic.allMs ?? NaN },
                ],
              },
            ]
          : []),
      ],
      `${String(m.cpu)}, ${m.cores} cores, ${m.memoryGiB} GiB; real OPA processes; highest 1-minute load before a run ${results.load.highest}`,
    ),
  );
}

await main();
