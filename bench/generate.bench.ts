/**
 * Generator benchmark (npm run bench): `custody generate` (check + render + atomic write of
 * bundles/ and generated/) on a synthetic workflow of 1,000 agents, 10,000 flows and 50 clusters,
 * in a fresh process per run, beside the floor measured in the same run on the same machine: the
 * same files (count and bytes) written from memory by one Node process with generate's writer
 * concurrency (bench/write-floor.mjs), so that the floor is what writing this output costs, not a
 * second program's way of copying a tree. Writes docs/bench/generate.json and
 * docs/bench/generate.svg, only when the 1-minute load average was at or below
 * BENCH_MAX_LOAD_PER_CORE (default 1) per core before every run, after a pause that lets the
 * previous run's writeback settle (a loaded machine's disk writeback swung the floor 20-fold
 * within one run); otherwise the committed files stay and the results are kept in a temporary
 * file (lib.ts's publishIfQuiet, as every benchmark does), and it exits 3.
 *
 * Targets (the issue): generate within 5× the floor, peak memory under 1 GB.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { LoadLog, publishIfQuiet, ROOT } from './lib.js';
import { median } from './statistics.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SIZE = { agents: 1000, flows: 10_000, clusters: 50 };
const ACTORS_PER_CLUSTER = 2;

/** A deterministic pseudo-random sequence (LCG), so every run benchmarks the same workflow. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function syntheticWorkflow(size = SIZE): string {
  const next = random(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const actors = size.clusters * ACTORS_PER_CLUSTER;
  const lines = [
    'apiVersion: custody.dev/v1alpha1',
    'kind: Workflow',
    'metadata:',
    '  name: synthetic',
    'spec:',
    '  owner: actor-0',
    '  timezone: Europe/Paris',
    '  actors:',
  ];
  const agents: string[] = [];
  for (let a = 0; a < actors; a++) {
    lines.push(
      `    actor-${a}:`,
      `      cluster: { name: cluster-${Math.floor(a / ACTORS_PER_CLUSTER)}, region: region-${Math.floor(a / ACTORS_PER_CLUSTER) % 5} }`,
      '      agents:',
    );
    for (let g = a; g < size.agents; g += actors) {
      agents.push(`agent-${g}`);
      lines.push(`        agent-${g}: { image: registry.example/synthetic/agent:${1 + (g % 7)}.0, attributes: { tenure: ${g % 20} } }`);
    }
  }
  lines.push('  flows:');
  const seen = new Set<string>();
  // A ring through every agent first (so every agent is reachable and returns), then random flows.
  for (let i = 0; i < size.flows; i++) {
    const from = i < agents.length ? agents[i]! : pick(agents);
    let to = i < agents.length ? agents[(i + 1) % agents.length]! : pick(agents);
    while (to === from) to = pick(agents);
    const method = pick(['GET', 'POST', 'PUT']);
    const p = `/api/${to}/${i % 13 === 0 ? 'batch/*' : `items-${i % 97}`}`;
    const key = `${from} ${to} ${method} ${p}`;
    if (seen.has(key)) {
      i--;
      continue;
    }
    seen.add(key);
    const when =
      i % 10 === 0
        ? `, when: [{ hours: { from: "08:00", to: "18:00" } }, { attribute: tenure, atLeast: 5 }]`
        : i % 17 === 0
          ? ', until: "2031-01-01T00:00:00Z"'
          : '';
    lines.push(`    - { from: ${from}, to: ${to}, methods: [${method}], path: ${p}${when} }`);
  }
  return `${lines.join('\n')}\n`;
}

interface Run {
  seconds: number;
  maxRssMb: number;
}

function timeChild(cmd: string, args: string[], cwd: string): Promise<Run & { stderr: string }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
      const kb = Number(/custody-bench-max-rss-kb (\d+)/.exec(stderr)?.[1] ?? 0);
      resolve({ seconds, maxRssMb: kb / 1024, stderr });
    });
  });
}

function treeSize(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += statSync(path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).size;
  }
  return { files, bytes };
}

function svg(r: { generate: number; copy: number; ratio: number; peakMb: number; machine: string; files: number }): string {
  const W = 640;
  const H = 300;
  const max = Math.max(r.generate, r.copy * 5) * 1.1;
  const x = (s: number) => 170 + (s / max) * 420;
  const bar = (y: number, s: number, label: string, color: string) =>
    `<text x="160" y="${y + 17}" text-anchor="end">${label}</text><rect x="170" y="${y}" width="${(x(s) - 170).toFixed(1)}" height="24" fill="${color}"/><text x="${(x(s) + 6).toFixed(1)}" y="${y + 17}">${s.toFixed(2)} s</text>`;
  const target = x(r.copy * 5).toFixed(1);
  const memW = 420;
  const memX = (mb: number) => 170 + (Math.min(mb, 1100) / 1100) * memW;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="13">
<rect width="${W}" height="${H}" fill="white"/>
<text x="20" y="26" font-size="15" font-weight="bold">custody generate: ${SIZE.agents} agents, ${SIZE.flows} flows, ${SIZE.clusters} clusters (${r.files} files)</text>
<text x="20" y="46" fill="#555">${r.machine}; median of ${RUNS} runs</text>
${bar(70, r.generate, 'check + generate', '#3366cc')}
${bar(104, r.copy, 'write from memory', '#999999')}
<line x1="${target}" y1="62" x2="${target}" y2="136" stroke="#cc3333" stroke-dasharray="4 3"/>
<text x="${target}" y="152" fill="#cc3333" text-anchor="middle">target: 5 × floor</text>
<text x="20" y="178" font-weight="bold">${r.ratio.toFixed(2)} × the floor (median of the runs' ratios)</text>
<text x="160" y="222" text-anchor="end">peak memory</text>
<rect x="170" y="205" width="${(memX(r.peakMb) - 170).toFixed(1)}" height="24" fill="#3366cc"/>
<text x="${(memX(r.peakMb) + 6).toFixed(1)}" y="222">${r.peakMb.toFixed(0)} MB</text>
<line x1="${memX(1024).toFixed(1)}" y1="197" x2="${memX(1024).toFixed(1)}" y2="237" stroke="#cc3333" stroke-dasharray="4 3"/>
<text x="${memX(1024).toFixed(1)}" y="253" fill="#cc3333" text-anchor="middle">1 GB</text>
</svg>
`;
}

async function main() {
  const loadAtStart = os.loadavg()[0];
  await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT });
  const work = mkdtempSync(path.join(os.tmpdir(), 'custody-bench-'));
  mkdirSync(path.join(work, 'workflows'));
  writeFileSync(path.join(work, 'workflows', 'synthetic.yaml'), syntheticWorkflow());
  cpSync(path.join(ROOT, 'keys'), path.join(work, 'keys'), { recursive: true });
  const node = process.execPath;
  const cli = path.join(ROOT, 'bin', 'custody.js');
  const preload = path.join(ROOT, 'bench', 'peak-rss.mjs');
  const generate: Run[] = [];
  const copy: number[] = [];
  // Judged before each run only: generate's own writes and the kernel's writeback of them raise
  // the average during a run (to about 3 on 2 cores here with nothing else running).
  const log = new LoadLog(true);
  let size = { files: 0, bytes: 0 };
  for (let i = 0; i < RUNS; i++) {
    const out = path.join(work, `out-${i}`);
    const dest = path.join(work, `copy-${i}`);
    // Each measurement starts with no dirty pages of the previous one waiting to be written back.
    await timeChild('sync', [], work);
    const { run, floor } = await log.measure(`run ${i + 1}`, async () => {
      const run = await timeChild(node, ['--import', preload, cli, 'generate', '--workflows', 'workflows', '--keys', 'keys', '--out', out], work);
      // The floor: the same files written from memory, on the same disk, in the same run.
      mkdirSync(dest);
      await timeChild('sync', [], work);
      const floor = await new Promise<{ seconds: number; files: number; bytes: number }>((resolve, reject) =>
        execFile(
          node,
          [path.join(ROOT, 'bench', 'write-floor.mjs'), dest, path.join(out, 'bundles'), path.join(out, 'generated')],
          { cwd: work },
          (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as { seconds: number; files: number; bytes: number })),
        ),
      );
      return { run, floor };
    });
    const bundles = treeSize(path.join(out, 'bundles'));
    const generated = treeSize(path.join(out, 'generated'));
    size = { files: bundles.files + generated.files, bytes: bundles.bytes + generated.bytes };
    if (floor.files !== size.files || floor.bytes !== size.bytes)
      throw new Error(`the floor wrote ${floor.files} files (${floor.bytes} bytes), generate ${size.files} (${size.bytes})`);
    generate.push({ seconds: run.seconds, maxRssMb: run.maxRssMb });
    copy.push(floor.seconds);
    rmSync(dest, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
    const load = log.runs.at(-1)!;
    process.stdout.write(
      `run ${i + 1}/${RUNS}: generate ${run.seconds.toFixed(2)} s (peak ${run.maxRssMb.toFixed(0)} MB), floor ${floor.seconds.toFixed(2)} s, load ${load.before} -> ${load.after}\n`,
    );
  }
  rmSync(work, { recursive: true, force: true });
  const cpus = os.cpus();
  const machine = `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
  const g = median(generate.map((r) => r.seconds));
  const c = median(copy);
  // The ratio of each run (same moment, same disk state), then their median: robust to a busy machine.
  const ratio = median(generate.map((r, i) => r.seconds / copy[i]!));
  const peak = Math.max(...generate.map((r) => r.maxRssMb));
  const { quiet, load } = log.verdict();
  const result = {
    benchmark: 'custody generate (check + render + write bundles/ and generated/), fresh process per run',
    workload: { ...SIZE, actors: SIZE.clusters * ACTORS_PER_CLUSTER, filesWritten: size.files, bytesWritten: size.bytes },
    machine: {
      cpu: cpus[0]?.model.trim(),
      cores: cpus.length,
      memoryBytes: os.totalmem(),
      platform: `${os.platform()} ${os.release()}`,
      node: process.version,
    },
    peer: 'the same files (count and bytes) written from memory by one Node process, every folder once then 32 files at a time as generate writes them (bench/write-floor.mjs); same machine, same run',
    quiet,
    load,
    runs: generate.map((r, i) => ({ generateSeconds: +r.seconds.toFixed(3), peakRssMb: +r.maxRssMb.toFixed(1), floorSeconds: +copy[i]!.toFixed(3) })),
    median: { generateSeconds: +g.toFixed(3), floorSeconds: +c.toFixed(3), ratioOfRuns: +ratio.toFixed(2) },
    peakRssMb: +peak.toFixed(1),
    loadAverageAtStart: loadAtStart,
    targets: { ratioAtMost: 5, ratioMet: ratio <= 5, peakMemoryUnderMb: 1024, memoryMet: peak < 1024 },
  };
  process.stdout.write(
    `generate ${g.toFixed(2)} s vs the floor ${c.toFixed(2)} s: ${ratio.toFixed(2)}× (median of the runs' ratios; target ≤ 5×: ${result.targets.ratioMet ? 'met' : 'NOT met'}); peak ${peak.toFixed(0)} MB (target < 1024 MB: ${result.targets.memoryMet ? 'met' : 'NOT met'})\n`,
  );
  publishIfQuiet('generate', result, () => svg({ generate: g, copy: c, ratio, peakMb: peak, machine, files: size.files }));
}

// Run when executed (npm run bench), not when imported for its workload.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
