/**
 * Where `custody commit` spends its time on an incremental change: `node --import tsx
 * bench/profile-commit.ts [runs]` builds the commit benchmark's repository (bench/gitops.bench.ts:
 * about 5,000 generated files, one flow added to one spec), makes one commit unmeasured (V8
 * compiles the hot paths), then `runs` (default 5) incremental commits, each on a fresh copy, with
 * the V8 CPU profiler running only during the commit. Prints the time of each commit, the share
 * of CPU samples per function (self time) and per step of the commit (inclusive time), and writes
 * the profile (`.cpuprofile`, for Chrome's DevTools) into the temporary folder it names.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readKeys } from '../src/keys/index.js';
import { applyInPlace, copy, custodyCommit, settleDisk, setup, SIZE, specs, WORKFLOWS } from './gitops.bench.js';
import { profileShares, ROOT, type CpuProfile } from './lib.js';

const runs = Number(process.argv[2] ?? 5);
const STEPS = [
  'custodyCommit',
  'readInputFolders',
  'commitRegenerated',
  'planCommit',
  'staleEntries',
  'summarizePlan',
  'resolvePeople',
  'writeCommit',
  'hashObject',
  'writeObject',
  'readObject',
  'readTree',
  'writeIndex',
  'readIndex',
  'deflate',
  'inflate',
  '(garbage collector)',
];

const work = mkdtempSync(path.join(os.tmpdir(), 'custody-profile-commit-'));
const s = await setup(work, 'many', specs(WORKFLOWS, SIZE), await readKeys(path.join(ROOT, 'keys')));
// BENCH_PAUSE_SECONDS: a pause before each measured commit, as the benchmark's load pause; the
// commit after it runs slower than a commit straight after another.
const pause = Number(process.env.BENCH_PAUSE_SECONDS ?? 0);
const fresh = async (name: string) => {
  if (pause > 0 && name !== 'warm-up') await new Promise((r) => setTimeout(r, pause * 1000));
  const dir = copy(s.full, path.join(work, name));
  await applyInPlace(dir, s.headSpecs, s.head.trees);
  settleDisk();
  return dir;
};
await custodyCommit(await fresh('warm-up'), s.head);

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
const seconds: number[] = [];
const profiles: CpuProfile[] = [];
for (let i = 0; i < runs; i++) {
  const dir = await fresh(`run-${i}`);
  await session.post('Profiler.start');
  const start = performance.now();
  if (!(await custodyCommit(dir, s.head))) throw new Error('no commit');
  seconds.push((performance.now() - start) / 1000);
  profiles.push(((await session.post('Profiler.stop')) as unknown as { profile: CpuProfile }).profile);
}
session.disconnect();

// One profile of all runs: the samples of each, with node ids made distinct.
let offset = 0;
const merged: CpuProfile = { nodes: [], samples: [] };
for (const p of profiles) {
  const max = Math.max(...p.nodes.map((n) => n.id));
  merged.nodes.push(...p.nodes.map((n) => ({ ...n, id: n.id + offset, ...(n.children ? { children: n.children.map((c) => c + offset) } : {}) })));
  merged.samples.push(...p.samples.map((id) => id + offset));
  offset += max + 1;
}
const file = path.join(work, 'commit.cpuprofile');
writeFileSync(file, JSON.stringify(profiles[0]));
const shares = profileShares(merged, STEPS, 30);
console.log(`incremental commits of ${s.files} generated files: ${seconds.map((x) => `${(x * 1000).toFixed(0)} ms`).join(', ')}`);
console.log(`-- self time, share of ${shares.busySamples} busy samples:\n${shares.top.join('\n')}`);
console.log(`-- inclusive:\n${shares.parts.join('\n')}`);
console.log(`profile of the first run: ${file}`);
