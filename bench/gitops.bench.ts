/**
 * Commit benchmark (npm run bench): Custody's commit of regenerated trees (isomorphic-git, the
 * desired trees hashed in memory, only missing objects written, the index updated for the
 * changed paths) against native `git add -A && git commit` of the same change, in the same run,
 * on the same regenerated tree of about 5,000 files (15 synthetic workflows of 14 agents, their
 * actors spread over 20 clusters):
 *  - incremental: one flow added to one workflow's spec, so a few files change;
 *  - first commit: the whole tree, new;
 *  - no-op: nothing changed (Custody makes no commit; `git add -A && git commit` finds nothing).
 * Each run starts after a pause for the load average to settle; the process goes cold while it
 * waits, so each run's first incremental commit is reported apart and a second one is judged.
 * Both start from the same working tree (the trees already written, as `custody generate` leaves
 * them; the index of the native copy refreshed beforehand; the copies flushed to disk before the
 * clock starts), and both commits must have the same
 * tree, which the benchmark checks. Medians of BENCH_RUNS runs (default 5) after one incremental
 * run that is reported but not counted (V8 compiles the hot paths during it). Also, once,
 * isomorphic-git's own `add('.')` + `commit` on
 * the incremental change, for scale; and the incremental change when the whole tree comes from
 * one spec of 330 agents (the summary must load that large spec: reported, no target).
 * Writes docs/bench/gitops.json and docs/bench/gitops.svg.
 *
 * Targets (the issue): incremental within 2× native, first commit within 12×.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import git from 'isomorphic-git';
import { desiredTrees, staleEntries, type Tree } from '../src/generate/index.js';
import { readKeys } from '../src/keys/index.js';
import { openRepository, readInputFolders } from '../src/git/index.js';
import { commitRegenerated } from '../src/gitops/index.js';
import { loadWorkflows, type Workflow } from '../src/workflow/index.js';
import { syntheticWorkflow } from './generate.bench.js';
import { barChart, LoadLog, machine, publishIfQuiet, ROOT } from './lib.js';
import { median } from './statistics.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
export const WORKFLOWS = 15;
export const SIZE = { agents: 14, flows: 56, clusters: 7 };
const LARGE = { agents: 330, flows: 1320, clusters: 20 };
const AUTHOR = { name: 'bench', email: 'bench@example.invalid' };
const NEW_FLOW =
  '  flows:\n    - { from: agent-0, to: agent-5, methods: [DELETE], path: /api/bench/*, when: [{ days: [Mon, Tue, Wed, Thu, Fri], hours: { from: "08:00", to: "18:00" } }] }\n';

type Specs = ReadonlyMap<string, string>;

/** `count` workflows of the generator benchmark's kind, each on its own clusters among 20. */
export function specs(count: number, size: typeof SIZE): Specs {
  const out = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    out.set(
      `workflows/wf-${i}.yaml`,
      syntheticWorkflow(size)
        .replace('name: synthetic', `name: wf-${i}`)
        .replace(/name: cluster-(\d+), region: region-\d+/g, (_m, c: string) => {
          const k = (Number(c) + i) % 20;
          return `name: cluster-${k}, region: region-${k % 5}`;
        }),
    );
  }
  return out;
}

/** The same specs with one flow added to the first one. */
export function withNewFlow(s: Specs): Specs {
  const [first, text] = [...s][0]!;
  return new Map([...s, [first, text.replace('  flows:\n', NEW_FLOW)]]);
}

function sh(dir: string, command: string): void {
  const r = spawnSync('sh', ['-c', command], {
    cwd: dir,
    stdio: 'ignore',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'bench',
      GIT_AUTHOR_EMAIL: 'bench@example.invalid',
      GIT_COMMITTER_NAME: 'bench',
      GIT_COMMITTER_EMAIL: 'bench@example.invalid',
    },
  });
  if (r.status !== 0 && !command.includes('|| true')) throw new Error(`${command} failed in ${dir}`);
}

function gitOut(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
}

/** The checked workflows (as custody commit has them from its own check) and the trees they give. */
function render(s: Specs, keys: Awaited<ReturnType<typeof readKeys>>): { workflows: readonly Workflow[]; trees: Tree[] } {
  const loaded = loadWorkflows([...s].map(([file, text]) => ({ file, text })));
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`synthetic specs do not check: ${JSON.stringify(errors.slice(0, 3))}`);
  return { workflows: loaded.workflows, trees: desiredTrees(loaded.workflows, keys) };
}

/** Writes what differs, in place (as an editor or a generator that rewrites only changed files would). */
export async function applyInPlace(dir: string, s: Specs, desired: readonly Tree[]): Promise<number> {
  for (const [file, text] of s) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  let n = 0;
  for (const tree of desired) {
    for (const s of await staleEntries(dir, tree)) {
      const file = path.join(dir, s.path);
      if (s.kind === 'extra') rmSync(file);
      else {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, tree.files.get(s.path.slice(tree.root.length + 1))!);
      }
      n++;
    }
  }
  return n;
}

export function copy(from: string, to: string): string {
  execFileSync('cp', ['-a', from, to]);
  // The copy has new inodes: let native git's index catch up, outside the measurement.
  sh(to, 'git update-index -q --refresh || true');
  return to;
}

/**
 * The copies just made (two trees of about 5,000 files) are flushed before a measured commit:
 * otherwise the kernel writes them back while the commits run, and whichever commit runs first
 * pays for it.
 */
export function settleDisk(): void {
  execFileSync('sync');
}

async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

export interface Setup {
  readonly work: string;
  /** Specs and keys committed; the regenerated trees written, not committed: the first commit's start. */
  readonly empty: string;
  /** Everything committed: the start of the incremental and no-op runs. */
  readonly full: string;
  readonly base: { workflows: readonly Workflow[]; trees: Tree[] };
  readonly head: { workflows: readonly Workflow[]; trees: Tree[] };
  readonly baseSpecs: Specs;
  readonly headSpecs: Specs;
  readonly files: number;
}

export async function setup(work: string, name: string, baseSpecs: Specs, keys: Awaited<ReturnType<typeof readKeys>>): Promise<Setup> {
  const headSpecs = withNewFlow(baseSpecs);
  const base = render(baseSpecs, keys);
  const head = render(headSpecs, keys);
  const empty = path.join(work, `${name}-empty`);
  mkdirSync(path.join(empty, 'workflows'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'keys'), path.join(empty, 'keys'), { recursive: true, filter: (f) => !f.endsWith('README.md') });
  for (const [file, text] of baseSpecs) writeFileSync(path.join(empty, file), text);
  sh(empty, 'git init -q -b main && git config gc.auto 0 && git add -A && git commit -q -m specs');
  await applyInPlace(empty, baseSpecs, base.trees);
  const full = copy(empty, path.join(work, `${name}-full`));
  sh(full, 'git add -A && git commit -q -m trees');
  return { work, empty, full, base, head, baseSpecs, headSpecs, files: base.trees.reduce((n, t) => n + t.files.size, 0) };
}

/** custody commit after generate: the trees are in the working tree, the specs checked. */
export async function custodyCommit(dir: string, state: Setup['base']): Promise<boolean> {
  const r = await commitRegenerated({
    repo: openRepository(dir),
    trees: state.trees,
    inputs: await readInputFolders(dir),
    workflows: state.workflows,
    write: false,
    author: AUTHOR,
  });
  return r.commit !== undefined;
}

/** One incremental run: the same change in two copies, custody in one, native git in the other. */
async function incremental(s: Setup, run: number): Promise<{ custody: number; native: number; changedFiles: number }> {
  const a = copy(s.full, path.join(s.work, `inc-a-${run + 1}`));
  const b = copy(s.full, path.join(s.work, `inc-b-${run + 1}`));
  const changedFiles = await applyInPlace(a, s.headSpecs, s.head.trees);
  await applyInPlace(b, s.headSpecs, s.head.trees);
  settleDisk();
  const ours = async () => {
    if (!(await custodyCommit(a, s.head))) throw new Error('incremental: no commit');
  };
  const native = () => sh(b, 'git add -A && git commit -q -m change');
  let custody: number;
  let nativeSeconds: number;
  if (run % 2 !== 1) {
    custody = await time(ours);
    nativeSeconds = await time(native);
  } else {
    nativeSeconds = await time(native);
    custody = await time(ours);
  }
  if (gitOut(a, 'rev-parse', 'HEAD^{tree}') !== gitOut(b, 'rev-parse', 'HEAD^{tree}')) throw new Error('incremental: the two commits differ');
  if (gitOut(a, 'status', '--porcelain') !== '') throw new Error("incremental: git status not clean after custody's commit");
  for (const d of [a, b]) rmSync(d, { recursive: true, force: true });
  return { custody, native: nativeSeconds, changedFiles };
}

async function main() {
  const work = mkdtempSync(path.join(os.tmpdir(), 'custody-gitops-bench-'));
  const keys = await readKeys(path.join(ROOT, 'keys'));
  const s = await setup(work, 'many', specs(WORKFLOWS, SIZE), keys);
  const large = await setup(work, 'large', specs(1, LARGE), keys);
  const results: Record<string, { custody: number[]; native: number[]; changedFiles?: number }> = {
    incremental: { custody: [], native: [] },
    incrementalAfterPause: { custody: [], native: [] },
    first: { custody: [], native: [] },
    noop: { custody: [], native: [] },
    incrementalOneLargeSpec: { custody: [], native: [] },
  };
  // One incremental run first, not counted: the first commit of a process runs before V8 has
  // compiled the hot paths (reported as coldRun; a custody commit process is always cold).
  const cold = await incremental(s, -1);
  // git, OPA's threads and the files written load two cores themselves: judged before each run.
  const log = new LoadLog(true);
  for (let run = 0; run < RUNS; run++)
    await log.measure(`run ${run + 1}`, async () => {
      // The first commit after the load pause runs slower (about 1.4× in bench/profile-commit.ts
      // with the same pause): the process went cold while it waited, and the copies made since run
      // in other processes. That commit is reported apart; the second, as the cold run's note
      // says, is what the target judges (docs/pull-requests.md: here it has not fully recovered).
      for (const [key, setupOf] of [
        ['incrementalAfterPause', s],
        ['incremental', s],
        ['incrementalOneLargeSpec', large],
      ] as const) {
        const r = await incremental(setupOf, run);
        results[key]!.custody.push(r.custody);
        results[key]!.native.push(r.native);
        results[key]!.changedFiles = r.changedFiles;
      }

      // First commit of the trees.
      const fa = copy(s.empty, path.join(work, `first-a-${run}`));
      const fb = copy(s.empty, path.join(work, `first-b-${run}`));
      settleDisk();
      const oursFirst = async () => {
        if (!(await custodyCommit(fa, s.base))) throw new Error('first: no commit');
      };
      const nativeFirst = () => sh(fb, 'git add -A && git commit -q -m trees');
      if (run % 2 === 0) {
        results.first!.custody.push(await time(oursFirst));
        results.first!.native.push(await time(nativeFirst));
      } else {
        results.first!.native.push(await time(nativeFirst));
        results.first!.custody.push(await time(oursFirst));
      }
      if (gitOut(fa, 'rev-parse', 'HEAD^{tree}') !== gitOut(fb, 'rev-parse', 'HEAD^{tree}')) throw new Error('first: the two commits differ');

      // No-op.
      const na = copy(s.full, path.join(work, `noop-a-${run}`));
      settleDisk();
      const before = gitOut(na, 'rev-parse', 'HEAD');
      results.noop!.custody.push(
        await time(async () => {
          if (await custodyCommit(na, s.base)) throw new Error('no-op: a commit was made');
        }),
      );
      if (gitOut(na, 'rev-parse', 'HEAD') !== before) throw new Error('no-op: HEAD moved');
      results.noop!.native.push(await time(() => sh(na, 'git add -A && git commit -q -m nothing || true')));
      for (const d of [fa, fb, na]) rmSync(d, { recursive: true, force: true });
    });

  // For scale, once: isomorphic-git's add('.') and commit on the incremental change.
  const c = copy(s.full, path.join(work, 'iso-add'));
  await applyInPlace(c, s.headSpecs, s.head.trees);
  const isoAdd = await time(async () => {
    await git.add({ fs, dir: c, filepath: '.' });
    await git.commit({ fs, dir: c, message: 'change', author: AUTHOR });
  });

  type Row = { custodySeconds: number; nativeSeconds: number; ratio: number; changedFiles?: number };
  const summary = Object.fromEntries(
    Object.entries(results).map(([k, v]) => {
      const ratios = v.custody.map((x, i) => x / v.native[i]!);
      return [
        k,
        {
          ...(v.changedFiles !== undefined ? { changedFiles: v.changedFiles } : {}),
          custodySeconds: +median(v.custody).toFixed(4),
          nativeSeconds: +median(v.native).toFixed(4),
          ratio: +median(ratios).toFixed(2),
          runs: v.custody.map((x, i) => ({ custody: +x.toFixed(4), native: +v.native[i]!.toFixed(4) })),
        },
      ];
    }),
  ) as unknown as Record<'incremental' | 'incrementalAfterPause' | 'first' | 'noop' | 'incrementalOneLargeSpec', Row>;
  const m = machine();
  const out = {
    benchmark: 'custody commit (isomorphic-git, desired trees hashed in memory) vs native git add -A && git commit, same change, same run',
    ...log.verdict(),
    machine: { ...m, git: gitOut(ROOT, '--version') },
    tree: { files: s.files, workflows: WORKFLOWS, agentsPerWorkflow: SIZE.agents, flowsPerWorkflow: SIZE.flows },
    largeSpecTree: { files: large.files, workflows: 1, agents: LARGE.agents, flows: LARGE.flows },
    runs: RUNS,
    measured:
      'custody: commitRegenerated with the trees already in the working tree and the specs already checked, as custody commit has them after its check (in-process, no Node start-up; includes hashing the desired trees, reading HEAD\'s trees where they differ, the summary for the message, objects, commit, branch, index); native: sh -c "git add -A && git commit" on a refreshed index. Both commits are checked to have the same tree.',
    ...summary,
    coldRun: {
      incrementalCustodySeconds: +cold.custody.toFixed(4),
      incrementalNativeSeconds: +cold.native.toFixed(4),
      ratio: +(cold.custody / cold.native).toFixed(2),
    },
    isomorphicGitAddAndCommitSeconds: +isoAdd.toFixed(3),
    isomorphicGitAddRatio: +(isoAdd / summary.incremental.nativeSeconds).toFixed(1),
    targets: {
      incrementalAtMost: 2,
      incrementalMet: summary.incremental.ratio <= 2,
      firstAtMost: 12,
      firstMet: summary.first.ratio <= 12,
      noopMakesNoCommit: true,
    },
  };
  const ms = (x: number) => x * 1000;
  publishIfQuiet('gitops', out, () =>
    barChart(
      'custody commit vs git add -A && git commit',
      'ms',
      [
        {
          label: `incremental (${summary.incremental.changedFiles} of ${s.files} files): ${summary.incremental.ratio}× (target ≤ 2×)`,
          bars: [
            { label: 'custody (isomorphic-git)', value: ms(summary.incremental.custodySeconds) },
            { label: 'native git', value: ms(summary.incremental.nativeSeconds) },
            { label: 'isomorphic-git add(.)+commit', value: ms(isoAdd) },
          ],
        },
        {
          label: `incremental, the first commit after the load pause: ${summary.incrementalAfterPause.ratio}×`,
          bars: [
            { label: 'custody (isomorphic-git)', value: ms(summary.incrementalAfterPause.custodySeconds) },
            { label: 'native git', value: ms(summary.incrementalAfterPause.nativeSeconds) },
          ],
        },
        {
          label: `first commit (${s.files} files): ${summary.first.ratio}× (target ≤ 12×)`,
          bars: [
            { label: 'custody (isomorphic-git)', value: ms(summary.first.custodySeconds) },
            { label: 'native git', value: ms(summary.first.nativeSeconds) },
          ],
        },
        {
          label: 'no-op regeneration: custody makes no commit',
          bars: [
            { label: 'custody (isomorphic-git)', value: ms(summary.noop.custodySeconds) },
            { label: 'native git', value: ms(summary.noop.nativeSeconds) },
          ],
        },
        {
          label: `incremental, one 330-agent spec (${large.files} files): ${summary.incrementalOneLargeSpec.ratio}×`,
          bars: [
            { label: 'custody (isomorphic-git)', value: ms(summary.incrementalOneLargeSpec.custodySeconds) },
            { label: 'native git', value: ms(summary.incrementalOneLargeSpec.nativeSeconds) },
          ],
        },
      ],
      `median of ${RUNS} runs; ${String(m.cpu)}, ${String(m.cores)} cores, Node ${process.version}; highest 1-minute load ${out.load.highest}`,
    ),
  );
  rmSync(work, { recursive: true, force: true });
  const line = (name: string, r: Row) => `${name}: ${ms(r.custodySeconds).toFixed(0)} ms vs native ${ms(r.nativeSeconds).toFixed(0)} ms = ${r.ratio}×`;
  process.stdout.write(
    `${line(`incremental (${summary.incremental.changedFiles} files changed of ${s.files})`, summary.incremental)} (target ≤ 2×: ${out.targets.incrementalMet ? 'met' : 'NOT met'})\n`,
  );
  process.stdout.write(`${line('incremental, the first commit after the load pause', summary.incrementalAfterPause)} (reported, not judged)\n`);
  process.stdout.write(`${line(`first commit (${s.files} files)`, summary.first)} (target ≤ 12×: ${out.targets.firstMet ? 'met' : 'NOT met'})\n`);
  process.stdout.write(`${line('no-op (custody: no commit)', summary.noop)}\n`);
  process.stdout.write(
    `${line(`incremental, one 330-agent spec (${summary.incrementalOneLargeSpec.changedFiles} of ${large.files} files)`, summary.incrementalOneLargeSpec)} (no target)\n`,
  );
  process.stdout.write(
    `cold run (not counted): incremental ${ms(cold.custody).toFixed(0)} ms vs native ${ms(cold.native).toFixed(0)} ms = ${(cold.custody / cold.native).toFixed(2)}×\n`,
  );
  process.stdout.write(`isomorphic-git add('.') + commit: ${isoAdd.toFixed(2)} s = ${out.isomorphicGitAddRatio}× native\n`);
  if (!out.targets.incrementalMet || !out.targets.firstMet) process.exitCode = 1;
}

// Run when executed (npm run bench), not when imported by bench/profile-commit.ts.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
