/** Instants worth testing a workflow at: both sides of every window edge, DST changes, and validity bounds. */
import { parseClock, parseInstant, type Workflow } from '../../src/workflow/index.js';
import { localClock } from '../../src/policy/index.js';

const NS_PER_MS = 1_000_000n;
const MINUTE = 60_000;

/** UTC instant (ms) when the local wall clock in `tz` shows `minute` on the local date y-m-d (near enough in DST gaps). */
export function localToUtcMs(y: number, m: number, d: number, minute: number, tz: string): number {
  const target = Date.UTC(y, m - 1, d) + minute * MINUTE;
  let guess = target;
  for (let i = 0; i < 3; i++) {
    const offset = localOffsetMs(guess, tz);
    guess = target - offset;
  }
  return guess;
}

function localOffsetMs(utcMs: number, tz: string): number {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(utcMs)).map((x) => [x.type, x.value]));
  const local = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return local - Math.floor(utcMs / 1000) * 1000;
}

/** The instants (ns) where the UTC offset of `tz` changes during `year`, to the minute. */
export function dstChanges(tz: string, year: number): number[] {
  const out: number[] = [];
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  let prev = localOffsetMs(start, tz);
  for (let t = start + 3_600_000; t <= end; t += 3_600_000) {
    const o = localOffsetMs(t, tz);
    if (o !== prev) {
      let lo = t - 3_600_000;
      let hi = t;
      while (hi - lo > MINUTE) {
        const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE || lo + MINUTE;
        if (localOffsetMs(mid, tz) === prev) lo = mid;
        else hi = mid;
      }
      out.push(hi);
      prev = o;
    }
  }
  return out;
}

export function sampleInstants(workflow: Workflow): bigint[] {
  const tz = workflow.timezone;
  const edges = new Set<number>([0, 1, 12 * 60, 24 * 60 - 1]);
  for (const f of workflow.flows) {
    for (const c of f.when ?? []) {
      if (!c.hours) continue;
      for (const e of [parseClock(c.hours.from)!, parseClock(c.hours.to, true)!]) {
        edges.add(e % 1440);
        edges.add((e + 1439) % 1440);
      }
    }
  }
  const ms = new Set<number>();
  // A winter and a summer week (every weekday, both DST regimes), starting on a Monday.
  for (const [y, m, d0] of [
    [2026, 1, 5],
    [2026, 7, 6],
  ] as const) {
    for (let d = d0; d < d0 + 7; d++) for (const e of edges) ms.add(localToUtcMs(y, m, d, e, tz));
  }
  // Around each change of UTC offset: the minutes on both sides, and the window edges of that local day.
  for (const change of dstChanges(tz, 2026)) {
    for (const delta of [-MINUTE, 0, MINUTE]) ms.add(change + delta);
    const day = new Date(change);
    for (const e of edges) ms.add(localToUtcMs(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), e, tz));
  }
  const out = new Set<bigint>([...ms].map((t) => BigInt(t) * NS_PER_MS));
  for (const f of workflow.flows) {
    for (const bound of [f.notBefore, f.until]) {
      if (!bound) continue;
      const p = parseInstant(bound);
      if ('ns' in p) for (const delta of [-1n, 0n, 1n]) out.add(p.ns + delta);
    }
  }
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export { localClock };
