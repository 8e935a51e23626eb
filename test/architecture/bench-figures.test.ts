/**
 * The documentation quotes only the committed benchmark results: each figure the docs give from a
 * benchmark (the bundle server, held long polls, generate, Git commits, policy size, propagation)
 * is read here from docs/bench/*.json and must appear in the docs as written. A rerun that
 * publishes new results fails this test until the docs say what the new run measured; figures from
 * a run that was never committed cannot pass it.
 *
 * The phrases are the docs' own wording; only the numbers come from the results, formatted as the
 * docs write them (thousands separated in prose, ratios to two places). The charts beside the
 * results (docs/bench/*.svg) must be of the same run: their labels and values are read as text.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoPath } from '../helpers/paths.js';

const read = (file: string) => readFileSync(repoPath(file), 'utf8').replace(/\s+/g, ' ');
const results = (name: string) => JSON.parse(readFileSync(repoPath('docs', 'bench', `${name}.json`), 'utf8'));
/** 32278 as prose writes it: 32,278. */
const grouped = (n: number) => n.toLocaleString('en-US');
const times = (ratio: number) => `${ratio.toFixed(2)}×`;

type Rates = Record<'custodyStatic' | 'custodyJwt' | 'bareNode' | 'bareNodeJwtHeader' | 'bareNodeTwoProcesses' | 'nginx', number>;
/** A ratio's median over the rounds and the interval for it (bench/statistics.ts). */
interface Ratio {
  median: number;
  low: number;
  high: number;
}
interface Goal {
  toNginx: number;
  verdict: 'met' | 'missed' | 'undecided';
}
interface Throughput {
  requestsPerSecond: Rates;
  staticToken: { toNginx: Ratio; toBareNode: Ratio; goal: Goal };
  serviceAccountJwt: { toNginx: Ratio; toBareNode: Ratio; toBareNodeSameHeader: Ratio; goal: Goal };
  bareNodeToNginx: Ratio;
  bareNodeJwtHeaderToNginx: Ratio;
  bareNodeTwoProcessesToNginx: Ratio;
}
/** 0.48× [0.44–0.53]: a ratio as the docs give it, with its interval. */
const within = (r: Ratio) => `${times(r.median)} [${r.low.toFixed(2)}–${r.high.toFixed(2)}]`;
interface Level {
  clients: number;
  failures: number;
  p99Ms: number;
  serverRssHeldBytes: number;
}

function missing(file: string, phrases: readonly string[]): string[] {
  const text = read(file);
  return phrases.filter((p) => !text.includes(p)).map((p) => `${file} does not say: ${p}`);
}

test('docs/evaluation.md and docs/server.md quote the committed bundle server results', () => {
  const server = results('server');
  assert.ok(server.quiet, 'the committed server results are from a quiet run');
  const t304: Throughput = server.throughput['304'];
  const t200: Throughput = server.throughput['200'];
  const [r304, r200] = [t304.requestsPerSecond, t200.requestsPerSecond];
  const levels: Level[] = server.longPoll.levels;
  const most = levels.find((l) => l.clients === server.longPoll.mostWithinGoal)!;
  /** A throughput row of the table; `jwtHeader` is how that row names the bare peer with the JWT. */
  const throughputRow = (t: Throughput, jwtHeader: string) => {
    const r = t.requestsPerSecond;
    return (
      `| ${r.custodyStatic} / ${r.custodyJwt} | nginx ${r.nginx} (${within(t.staticToken.toNginx)} / ${within(t.serviceAccountJwt.toNginx)}); ` +
      `bare \`node:http\` ${r.bareNode}, ${jwtHeader} ${r.bareNodeJwtHeader} ` +
      `(${within(t.staticToken.toBareNode)} / ${within(t.serviceAccountJwt.toBareNodeSameHeader)}); ` +
      `two bare processes ${r.bareNodeTwoProcesses} (${within(t.bareNodeTwoProcessesToNginx)} nginx) | ` +
      `≥ ${times(t.staticToken.goal.toNginx)} nginx: ${t.staticToken.goal.verdict} with a static token, ${t.serviceAccountJwt.goal.verdict} with a JWT`
    );
  };
  const evaluation = [
    throughputRow(t304, 'with the JWT as its header'),
    throughputRow(t200, 'with the JWT header'),
    `| ${Math.round(server.longPoll.longPolling.p99Ms)} ms, about ${Math.round(server.longPoll.longPolling.bytesPerWaitingPoll / 1000)} KB per held poll | ` +
      `short polling every 1–2 s: ${Math.round(server.longPoll.shortPolling.p99Ms)} ms at ${server.longPoll.shortPolling.requestsPerSecond} requests/s`,
    `| ${grouped(most.clients)} (p99 ${Math.round(most.p99Ms)} ms, server ${Math.round(most.serverRssHeldBytes / 1e6)} MB)`,
    `| ${server.build.custodyMs.toFixed(1)} ms | opa build --signing-key ${Math.round(server.build.opaBuildMs)} ms`,
    `One Node process reached ${within(t304.bareNodeToNginx)} nginx for 304s and ${within(t200.bareNodeToNginx)} for 200s`,
  ];
  const serverDoc = [
    `304s: custody ${grouped(r304.custodyStatic)}/s with a static token and ${grouped(r304.custodyJwt)}/s with a ServiceAccount JWT, ` +
      `bare Node ${grouped(r304.bareNode)}/s (${grouped(r304.bareNodeJwtHeader)}/s with the JWT as its header), ` +
      `two bare Node processes ${grouped(r304.bareNodeTwoProcesses)}/s, nginx ${grouped(r304.nginx)}/s: ` +
      `custody ${within(t304.staticToken.toNginx)} and ${within(t304.serviceAccountJwt.toNginx)} nginx ` +
      `(goal ${times(t304.staticToken.goal.toNginx)}: ${t304.staticToken.goal.verdict} with a static token, ${t304.serviceAccountJwt.goal.verdict} with a JWT).`,
    `200s: custody ${grouped(r200.custodyStatic)}/s and ${grouped(r200.custodyJwt)}/s, bare Node ${grouped(r200.bareNode)}/s ` +
      `(${grouped(r200.bareNodeJwtHeader)}/s with the JWT header), two processes ${grouped(r200.bareNodeTwoProcesses)}/s, ` +
      `nginx ${grouped(r200.nginx)}/s: ${within(t200.staticToken.toNginx)} and ${within(t200.serviceAccountJwt.toNginx)} nginx ` +
      `(goal ${times(t200.staticToken.goal.toNginx)}: ${t200.staticToken.goal.verdict}, ${t200.serviceAccountJwt.goal.verdict}), ` +
      `${within(t200.staticToken.toBareNode)} and ${within(t200.serviceAccountJwt.toBareNodeSameHeader)} bare Node (the JWT's against bare Node with the same header).`,
    `Each interval holds the median with probability ${server.throughput.intervals.coverage}`,
    `Held long polls, p99 from the commit to the last byte at the last client: ` +
      levels
        .slice(0, -1)
        .map((l) => `${Math.round(l.p99Ms)} ms at ${grouped(l.clients)}`)
        .join(', ') +
      ` and ${Math.round(levels.at(-1)!.p99Ms)} ms at ${grouped(levels.at(-1)!.clients)}` +
      (levels.every((l) => l.failures === 0) ? ', every poll answered' : ''),
    `the server held ${Math.round(levels.at(-1)!.serverRssHeldBytes / 1e6)} MB at ${grouped(levels.at(-1)!.clients)}`,
    `Build and sign of one bundle: ${server.build.custodyMs.toFixed(1)} ms, against ${Math.round(server.build.opaBuildMs)} ms for \`opa build --signing-key\`.`,
  ];
  assert.equal([...missing('docs/evaluation.md', evaluation), ...missing('docs/server.md', serverDoc)], []);
});

test('docs/evaluation.md and docs/gitops.md quote the committed generate results', () => {
  const generate = results('generate');
  assert.ok(generate.quiet, 'the committed generate results are from a quiet run');
  const runs: { generateSeconds: number; floorSeconds: number; peakRssMb: number }[] = generate.runs;
  const range = (values: number[], digits: number) => `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
  const fastestFloor = runs.reduce((a, b) => (b.floorSeconds < a.floorSeconds ? b : a));
  const beyond = runs.map((r) => r.generateSeconds - r.floorSeconds);
  const evaluation = [
    `| ${generate.median.generateSeconds.toFixed(1)} s, peak ${Math.round(generate.peakRssMb)} MB | ` +
      `the same files written from memory ${generate.median.floorSeconds.toFixed(1)} s (${times(generate.median.ratioOfRuns)}, median of the runs' ratios)`,
  ];
  const gitops = [
    `(${grouped(generate.workload.filesWritten)} files)`,
    `${grouped(generate.workload.filesWritten)} files (${Math.round(generate.workload.bytesWritten / 1e6)} MB); **peak memory ${range(
      runs.map((r) => r.peakRssMb),
      0,
    )} MB**`,
    `generate took ${range(
      runs.map((r) => r.generateSeconds),
      1,
    )} s and the floor ${range(
      runs.map((r) => r.floorSeconds),
      1,
    )} s: **median of the runs' ratios ${times(generate.median.ratioOfRuns)}**`,
    `the fastest floor, ${fastestFloor.floorSeconds.toFixed(1)} s, against generate's ${fastestFloor.generateSeconds.toFixed(1)} s: **${(
      fastestFloor.generateSeconds / fastestFloor.floorSeconds
    ).toFixed(1)}×**`,
    `What generate spends beyond the floor was ${range(beyond, 1)} s in every round`,
  ];
  assert.equal([...missing('docs/evaluation.md', evaluation), ...missing('docs/gitops.md', gitops)], []);
});

test('the docs quote the committed policy size, propagation, Git commit and long-poll capacity results', () => {
  const policy = results('policy-size');
  const row = (size: string, style: string) => policy.rows.find((r: { size: string; style: string }) => r.size === size && r.style === style);
  const micro = (ns: number) => (ns / 1000).toFixed(1);
  const decision = (which: 'allowed' | 'denied') => {
    const key = `${which}MedianNs`;
    return (
      `${micro(row('minimal', 'custody')[key])} → ${micro(row('+1000', 'custody')[key])} µs (${times(policy.custodyRatio1000ToMinimal[which])}) | ` +
      `${which === 'denied' ? 'one rule per edge: ' : ''}${micro(row('minimal', 'per-edge rules')[key])} → ` +
      `${Math.round(row('+1000', 'per-edge rules')[key] / 1000)} µs (${Math.round(policy.perEdgeRatio1000ToMinimal[which])}×)`
    );
  };
  const propagation = results('propagation');
  const long: { sidecars: number; allMs: number; p50Ms: number }[] = propagation.longPolling;
  const [one, all] = [long[0]!, long.at(-1)!];
  const evaluation = [
    `| decision, denied, minimal → +1000 flows | ${decision('denied')} |`,
    `| decision, allowed, minimal → +1000 flows | ${decision('allowed')} |`,
    `| commit → all of ${all.sidecars} sidecars enforce it | ${(all.allMs / 1000).toFixed(1)} s (long polling; ${one.allMs} ms for one) | ` +
      `${propagation.defaultPolling.sidecars} sidecars, OPA default polling: ${Math.round(propagation.defaultPolling.allMs / 1000)} s |`,
    `commit within ${one.allMs} ms (seven bundles rebuilt and signed first) and all ${all.sidecars} within ${(all.allMs / 1000).toFixed(1)} s (p50 ${(
      all.p50Ms / 1000
    ).toFixed(2)} s;`,
  ];

  const gitops = results('gitops');
  const ms = (seconds: number) => `${Math.round(seconds * 1000)} ms`;
  const s2 = (seconds: number) => `${seconds.toFixed(2)} s`;
  const pullRequests = [
    `| incremental: one flow added, ${gitops.incremental.changedFiles} changed files | ${ms(gitops.incremental.custodySeconds)} | ${ms(gitops.incremental.nativeSeconds)} | ${times(gitops.incremental.ratio)} |`,
    `| incremental, the first commit after the pause | ${ms(gitops.incrementalAfterPause.custodySeconds)} | ${ms(gitops.incrementalAfterPause.nativeSeconds)} | ${times(
      gitops.incrementalAfterPause.ratio,
    )} |`,
    `| first commit of the trees (${grouped(gitops.tree.files)} files) | ${s2(gitops.first.custodySeconds)} | ${s2(gitops.first.nativeSeconds)} | ${times(gitops.first.ratio)} |`,
    `| no-op regeneration | ${ms(gitops.noop.custodySeconds)}, **no commit** | ${ms(gitops.noop.nativeSeconds)} ("nothing to commit") |`,
    `| incremental, the tree of one ${gitops.largeSpecTree.agents}-agent spec (${grouped(gitops.largeSpecTree.files)} files) | ${ms(
      gitops.incrementalOneLargeSpec.custodySeconds,
    )} | ${ms(gitops.incrementalOneLargeSpec.nativeSeconds)} | ${times(gitops.incrementalOneLargeSpec.ratio)} |`,
    `| the cold run (the first of the process, not counted) | ${ms(gitops.coldRun.incrementalCustodySeconds)} | ${ms(gitops.coldRun.incrementalNativeSeconds)} | ${times(
      gitops.coldRun.ratio,
    )} |`,
    `| isomorphic-git's own \`add('.')\` + \`commit\`, incremental, once | ${s2(gitops.isomorphicGitAddAndCommitSeconds)} | ${ms(
      gitops.incremental.nativeSeconds,
    )} | ${Math.round(gitops.isomorphicGitAddRatio)}× |`,
    `${Math.round(gitops.isomorphicGitAddRatio)}× native Git in the benchmark below, where this path takes ${gitops.incremental.ratio.toFixed(1)}×`,
  ];

  const capacity = results('long-poll-capacity');
  assert.ok(capacity.quiet, 'the committed capacity results are from a quiet run');
  const limit = grouped(capacity.serverOpenFileLimit);
  const server = [
    `With an open-file limit of ${limit} descriptors (so \`maxConnections\` ${grouped(capacity.maxConnections)} by default), ` +
      `one \`custody serve\` process held **${grouped(capacity.heldAtOnce)} long polls at once**`,
    `the ${capacity.droppedBeyondMaxConnections} connections opened beyond the bound were dropped ` +
      `(\`custody_connections_shed_total{reason="connection limit"}\` ${capacity.closedByServer})`,
    `the server counted the other ${grouped(capacity.waitingAfterReleasing300)} as waiting`,
    `Its resident memory grew from ${Math.round(capacity.serverRssBytes.before / 1e6)} MB to ${Math.round(capacity.serverRssBytes.held / 1e6)} MB, ` +
      `about ${Math.round(capacity.serverRssBytes.perHeldPoll / 1000)} KB per held poll`,
    `(${grouped(capacity.heldAtOnce)} held within ${limit}, below)`,
    `written only from a quiet run (load average at most ${capacity.load.highest} before it, here)`,
  ];
  assert.equal([...missing('docs/evaluation.md', evaluation), ...missing('docs/pull-requests.md', pullRequests), ...missing('docs/server.md', server)], []);
});

/** The text of a chart's labels, in drawing order, entities decoded. */
function chartText(name: string): string[] {
  const svg = readFileSync(repoPath('docs', 'bench', `${name}.svg`), 'utf8');
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').trim());
}

test('each committed chart shows the committed run it sits beside', () => {
  // Every chart's subtitle names the run's highest load average (generate's names its runs instead).
  for (const name of ['server', 'gitops', 'policy-size', 'propagation']) {
    const highest = results(name).load.highest;
    assert.ok(
      chartText(name).some((t) => t.endsWith(`highest 1-minute load ${highest}`) || t.endsWith(`highest 1-minute load before a run ${highest}`)),
      `docs/bench/${name}.svg does not give the highest load of docs/bench/${name}.json (${highest})`,
    );
  }
  // The bundle server's throughput bars (a label, then its value, per peer): the rates of the JSON, no other.
  const server = results('server');
  const text = chartText('server');
  for (const [kind, heading] of [
    ['304', '304 revalidations per second (higher is better)'],
    ['200', '200 downloads per second (higher is better)'],
  ] as const) {
    const at = text.indexOf(heading);
    assert.ok(at >= 0, `server.svg has no group "${heading}"`);
    const rates: number[] = Object.values(server.throughput[kind].requestsPerSecond);
    const shown = text.slice(at + 1, at + 1 + 2 * rates.length).filter((_, i) => i % 2 === 1);
    assert.equal(shown.sort(), rates.map(grouped).sort(), `server.svg, ${heading}`);
  }
  // generate's chart: its run count, medians and peak memory.
  const generate = results('generate');
  const g = chartText('generate');
  for (const phrase of [
    `median of ${generate.runs.length} runs`,
    `${generate.median.generateSeconds.toFixed(2)} s`,
    `${generate.median.floorSeconds.toFixed(2)} s`,
    `${generate.median.ratioOfRuns.toFixed(2)} × the floor (median of the runs' ratios)`,
    `${Math.round(generate.peakRssMb)} MB`,
  ])
    assert.ok(
      g.some((t) => t.includes(phrase)),
      `generate.svg does not say: ${phrase}`,
    );
});

test.run();
