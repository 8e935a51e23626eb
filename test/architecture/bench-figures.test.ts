/**
 * The documentation quotes only the committed benchmark results: each figure the docs give for
 * the bundle server and for generate is read here from docs/bench/*.json and must appear in the
 * docs as written. A rerun that publishes new results fails this test until the docs say what the
 * new run measured; figures from a run that was never committed cannot pass it.
 *
 * The phrases are the docs' own wording; only the numbers come from the results, formatted as the
 * docs write them (thousands separated in prose, ratios to two places).
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
interface Throughput {
  requestsPerSecond: Rates;
  staticToken: { toNginx: number; toBareNode: number };
  serviceAccountJwt: { toNginx: number; toBareNode: number; toBareNodeSameHeader: number };
  bareNodeTwoProcessesToNginx: number;
}
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
  const evaluation = [
    `| ${r304.custodyStatic} / ${r304.custodyJwt} | nginx ${r304.nginx} (${times(t304.staticToken.toNginx)} / ${times(t304.serviceAccountJwt.toNginx)}); ` +
      `bare \`node:http\` ${r304.bareNode}, with the JWT as its header ${r304.bareNodeJwtHeader} ` +
      `(${times(t304.staticToken.toBareNode)} / ${times(t304.serviceAccountJwt.toBareNodeSameHeader)}); ` +
      `two bare processes ${r304.bareNodeTwoProcesses} (${times(t304.bareNodeTwoProcessesToNginx)} nginx)`,
    `| ${r200.custodyStatic} / ${r200.custodyJwt} | nginx ${r200.nginx} (${times(t200.staticToken.toNginx)} / ${times(t200.serviceAccountJwt.toNginx)}); ` +
      `bare \`node:http\` ${r200.bareNode}, with the JWT header ${r200.bareNodeJwtHeader} ` +
      `(${times(t200.staticToken.toBareNode)} / ${times(t200.serviceAccountJwt.toBareNodeSameHeader)}); ` +
      `two bare processes ${r200.bareNodeTwoProcesses} (${times(t200.bareNodeTwoProcessesToNginx)} nginx)`,
    `| ${Math.round(server.longPoll.longPolling.p99Ms)} ms, about ${Math.round(server.longPoll.longPolling.bytesPerWaitingPoll / 1000)} KB per held poll | ` +
      `short polling every 1–2 s: ${Math.round(server.longPoll.shortPolling.p99Ms)} ms at ${server.longPoll.shortPolling.requestsPerSecond} requests/s`,
    `| ${grouped(most.clients)} (p99 ${Math.round(most.p99Ms)} ms, server ${Math.round(most.serverRssHeldBytes / 1e6)} MB)`,
    `| ${server.build.custodyMs.toFixed(1)} ms | opa build --signing-key ${Math.round(server.build.opaBuildMs)} ms`,
    `Custody's 304s with a static token met it (${times(t304.staticToken.toNginx)}) and with a JWT missed it (${times(t304.serviceAccountJwt.toNginx)})`,
  ];
  const serverDoc = [
    `304s: custody ${grouped(r304.custodyStatic)}/s with a static token and ${grouped(r304.custodyJwt)}/s with a ServiceAccount JWT, ` +
      `bare Node ${grouped(r304.bareNode)}/s (${grouped(r304.bareNodeJwtHeader)}/s with the JWT as its header), ` +
      `two bare Node processes ${grouped(r304.bareNodeTwoProcesses)}/s, nginx ${grouped(r304.nginx)}/s: ` +
      `custody ${times(t304.staticToken.toNginx)} and ${times(t304.serviceAccountJwt.toNginx)} nginx.`,
    `200s: custody ${grouped(r200.custodyStatic)}/s and ${grouped(r200.custodyJwt)}/s, bare Node ${grouped(r200.bareNode)}/s ` +
      `(${grouped(r200.bareNodeJwtHeader)}/s with the JWT header), two processes ${grouped(r200.bareNodeTwoProcesses)}/s, ` +
      `nginx ${grouped(r200.nginx)}/s: ${times(t200.staticToken.toNginx)} and ${times(t200.serviceAccountJwt.toNginx)} nginx, ` +
      `${times(t200.staticToken.toBareNode)} and ${times(t200.serviceAccountJwt.toBareNodeSameHeader)} bare Node (the JWT's against bare Node with the same header).`,
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

test.run();
