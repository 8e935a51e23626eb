/**
 * What a run of rounds can say about a ratio, and no more. One Node process's rate moves by about
 * ±15 % from one run to the next on a quiet two-core machine (its CPU time per request moves as
 * much, with nothing else running), so a median of a few rounds cannot tell 0.48 from 0.50. Each
 * ratio is given with an interval for its median that holds whatever the distribution of the
 * rounds (order statistics), and a goal is called met or missed only when the whole interval is on
 * one side of it.
 */

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** P(X ≤ k) for X ~ Binomial(n, 1/2). */
function binomialHalfCdf(n: number, k: number): number {
  let term = 1; // C(n, 0)
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    sum += term;
    term = (term * (n - i)) / (i + 1);
  }
  return sum / 2 ** n;
}

export interface Interval {
  readonly median: number;
  readonly low: number;
  readonly high: number;
}

/**
 * For `n` values, the k whose k-th smallest and k-th largest hold the population median with
 * probability 1 − 2·P(Binomial(n, ½) ≤ k − 1), whatever the distribution: the largest k that keeps
 * that probability at or above `confidence`, or, with too few values for it, 1 (the smallest and
 * largest) at the lower probability `coverage` says.
 */
export function medianRank(n: number, confidence = 0.95): { readonly k: number; readonly coverage: number } {
  const coverageAt = (k: number) => 1 - 2 * binomialHalfCdf(n, k - 1);
  let k = 1;
  while (k + 1 <= Math.ceil(n / 2) && coverageAt(k + 1) >= confidence) k++;
  return { k, coverage: coverageAt(k) };
}

/** The median of `xs` and the interval medianRank gives for it. */
export function medianInterval(xs: readonly number[], confidence = 0.95): Interval & { readonly coverage: number } {
  if (xs.length === 0) throw new Error('no values');
  const s = [...xs].sort((a, b) => a - b);
  const { k, coverage } = medianRank(s.length, confidence);
  return { median: median(s), low: s[k - 1]!, high: s[s.length - k]!, coverage };
}

export type Verdict = 'met' | 'missed' | 'undecided';

/**
 * At least `target`: met when the interval's low end reaches it, missed when its high end does
 * not, and undecided otherwise or when the interval holds the median less often than `confidence`
 * (too few rounds to say).
 */
export function verdict(interval: Interval, target: number, coverage: number, confidence = 0.95): Verdict {
  if (coverage < confidence) return 'undecided';
  if (interval.low >= target) return 'met';
  if (interval.high < target) return 'missed';
  return 'undecided';
}
