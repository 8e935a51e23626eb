/** Shared pieces of the benchmarks: the machine they ran on, result files, and SVG charts. */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const OUT = path.join(ROOT, 'docs', 'bench');

export function machine(): Record<string, unknown> {
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}

export function writeResults(name: string, results: unknown): string {
  mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

/** The 1-minute load average: how much else ran beside a measurement. */
export const load1 = () => +os.loadavg()[0]!.toFixed(2);
export const MAX_LOAD_PER_CORE = Number(process.env.BENCH_MAX_LOAD_PER_CORE ?? 1);

/**
 * The CPU time this virtual machine's host gave to others while it wanted to run ("steal" in
 * /proc/stat), as a share of all CPU time since `since` (a mark from the same function): a
 * neighbour on the host slows every peer alike and never shows in the load average. Undefined
 * where /proc/stat does not exist.
 */
function stealMark(): { steal: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return { steal: fields[7] ?? 0, total: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return undefined;
  }
}
function stealPercentSince(since: ReturnType<typeof stealMark>): number | undefined {
  const now = stealMark();
  if (!since || !now || now.total === since.total) return undefined;
  return +((100 * (now.steal - since.steal)) / (now.total - since.total)).toFixed(1);
}

/**
 * The load average before and after each measured run. A run counts only when it stayed at or
 * below MAX_LOAD_PER_CORE per core throughout: above that, other work shared the machine and the
 * figures say nothing about what was measured.
 */
export class LoadLog {
  readonly runs: { what: string; before: number; after: number; stealPercent?: number }[] = [];

  /**
   * `ownLoad`: the measured runs load the machine themselves (OPA processes and threads, git, the
   * kernel's writeback of the files written), which on two cores alone lifts the average past the
   * limit; so each run starts after `settleSeconds` (settleLoad), only the load before it tells
   * whether other work shared the machine, and the load after is recorded, not judged.
   */
  constructor(
    private readonly ownLoad = false,
    private readonly settleSeconds = Number(process.env.BENCH_PAUSE_SECONDS ?? 20),
  ) {}

  async measure<T>(what: string, run: () => Promise<T> | T): Promise<T> {
    if (this.ownLoad) await settleLoad(this.settleSeconds);
    const before = load1();
    const mark = stealMark();
    const result = await run();
    const stealPercent = stealPercentSince(mark);
    this.runs.push({ what, before, after: load1(), ...(stealPercent === undefined ? {} : { stealPercent }) });
    return result;
  }

  verdict(): { quiet: boolean; load: { rule: string; highest: number; runs: LoadLog['runs'] } } {
    const cores = os.cpus().length;
    const max = MAX_LOAD_PER_CORE * cores;
    const highest = Math.max(...this.runs.flatMap((r) => (this.ownLoad ? [r.before] : [r.before, r.after])));
    return {
      quiet: highest <= max,
      load: {
        rule: `quiet when the 1-minute load average stayed at or below ${MAX_LOAD_PER_CORE} per core (${max} on ${cores} cores) before ${this.ownLoad ? 'every run (the runs load the machine themselves: after is recorded, not judged)' : 'and after every run'}`,
        highest,
        runs: this.runs,
      },
    };
  }
}

/**
 * Before a run that loads the machine itself: `seconds` of pause, then up to ten times as long
 * more while the load average is above MAX_LOAD_PER_CORE per core (the previous run's processes
 * and the kernel's writeback of its files are still counted in it: after 200 OPA processes the
 * 1-minute average needs minutes to fall back).
 */
export async function settleLoad(seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 11_000;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  while (load1() > MAX_LOAD_PER_CORE * os.cpus().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5000));
}

/**
 * Writes docs/bench/<name>.json (and .svg, given a chart) from a quiet run only; other results
 * are kept in a temporary file, the committed ones stay, and the process exits 3.
 */
export function publishIfQuiet(
  name: string,
  results: { readonly quiet: boolean; readonly load: { readonly highest: number } },
  /** Absent for results without a chart (a capacity count): only the JSON is written. */
  chart?: () => string,
): void {
  if (!results.quiet) {
    const kept = path.join(mkdtempSync(path.join(tmpdir(), `custody-${name}-`)), `${name}.loaded.json`);
    writeFileSync(kept, `${JSON.stringify(results, null, 2)}\n`);
    console.error(
      `NOT PUBLISHED: the 1-minute load average reached ${results.load.highest} (above ${MAX_LOAD_PER_CORE} per core): other work shared the machine. ` +
        `docs/bench/${name}.json${chart ? ' and .svg are' : ' is'} unchanged; these results are in ${kept}. Rerun on a quiet machine.`,
    );
    process.exitCode = 3;
    return;
  }
  const files = [writeResults(name, results), ...(chart ? [writeChart(name, chart())] : [])];
  console.log(`wrote ${files.map((f) => path.relative(ROOT, f)).join(' and ')}`);
}

export interface BarGroup {
  readonly label: string;
  readonly bars: readonly { readonly label: string; readonly value: number }[];
}

/** A grouped horizontal bar chart, self-contained SVG (no fonts or scripts fetched); each group has its own scale. */
export function barChart(title: string, unit: string, groups: readonly BarGroup[], subtitle = ''): string {
  const rowH = 22;
  const gap = 14;
  const left = 230;
  const width = 760;
  const plotW = width - left - 120;
  const colors = ['#2f6fb0', '#e07b39', '#4a9c5d', '#8e5ea2'];
  let y = 64;
  const parts: string[] = [];
  for (const g of groups) {
    parts.push(`<text x="10" y="${y + 14}" font-weight="bold">${esc(g.label)}</text>`);
    y += rowH;
    // Each group on its own scale: the groups measure different things in different units.
    const max = Math.max(...g.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)), 1e-9);
    g.bars.forEach((b, i) => {
      const w = Math.max(1, (b.value / max) * plotW);
      parts.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`);
      parts.push(`<rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${colors[i % colors.length]}"/>`);
      parts.push(`<text x="${left + w + 6}" y="${y + 15}">${esc(format(b.value))} ${esc(unit)}</text>`);
      y += rowH;
    });
    y += gap;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="24" font-size="16" font-weight="bold">${esc(title)}</text>
<text x="10" y="44" fill="#555">${esc(subtitle)}</text>
${parts.join('\n')}
</svg>
`;
}

export function writeChart(name: string, svg: string): string {
  mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `${name}.svg`);
  writeFileSync(file, svg);
  return file;
}

function format(v: number): string {
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...args], { cwd: dir, encoding: 'utf8' }).trim();
}

/** A temporary work folder with a Git repository holding this clone's bundles/ on branch main. */
export function bundlesRepository(prefix: string): { work: string; repo: string } {
  const work = mkdtempSync(path.join(tmpdir(), prefix));
  const repo = path.join(work, 'repo');
  mkdirSync(repo);
  cpSync(path.join(ROOT, 'bundles'), path.join(repo, 'bundles'), { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'bundles');
  return { work, repo };
}

/** How each external tool a benchmark runs is installed, for the message when it is missing. */
const INSTALL: Record<string, string> = {
  wrk: 'wrk (Debian/Ubuntu: apt-get install -y wrk; macOS: brew install wrk)',
  nginx: 'nginx (Debian/Ubuntu: apt-get install -y nginx; macOS: brew install nginx)',
};

/** Exits with a message naming how to install them when tools the benchmark runs are not on PATH. */
export function requireTools(tools: readonly string[]): void {
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status !== 0);
  if (missing.length === 0) return;
  console.error(`this benchmark runs ${missing.join(' and ')}, not found on PATH; install ${missing.map((t) => INSTALL[t] ?? t).join(', and ')}, then rerun`);
  process.exit(2);
}

/** A V8 CPU profile (what `node --cpu-prof` writes and the inspector's Profiler.stop returns). */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
}

/**
 * Where a profile's busy samples went: the `top` functions by self time, and the inclusive share
 * of each of `parts` (function names; each counted once per sample, however deep it recurses).
 */
export function profileShares(profile: CpuProfile, parts: readonly string[], top = 25): { busySamples: number; top: string[]; parts: string[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: CpuProfile['nodes'][number]) =>
    `${n.callFrame.functionName || '(anonymous)'} ${path.basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)') continue;
    busy++;
    self.set(label(n), (self.get(label(n)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = byId.get(at)!.callFrame.functionName;
      if (name && !seen.has(name)) {
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + 1);
      }
    }
  }
  const pct = (x: number) => `${((100 * x) / busy).toFixed(1).padStart(5)} %`;
  return {
    busySamples: busy,
    top: [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `${pct(v)}  ${k}`),
    parts: parts.filter((p) => inclusive.has(p)).map((p) => `${pct(inclusive.get(p)!)}  ${p}`),
  };
}
