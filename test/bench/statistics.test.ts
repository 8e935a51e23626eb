import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { median, medianInterval, verdict } from '../../bench/statistics.js';

test('median of an odd and an even count', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
});

test('nine rounds: the 2nd smallest and 2nd largest, covering 1 - 2 * 10/512 of the time', () => {
  // P(Binomial(9, 1/2) <= 1) = (1 + 9) / 512; with k = 3 it would be 1 - 2 * 46/512 = 0.82, below 0.95.
  const r = medianInterval([0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6]);
  assert.equal(r, { median: 0.5, low: 0.2, high: 0.8, coverage: 1 - 20 / 512 });
});

test('five rounds cannot reach 95 %: the extremes, at the 30/32 they cover', () => {
  assert.equal(medianInterval([5, 4, 3, 2, 1]), { median: 3, low: 1, high: 5, coverage: 30 / 32 });
});

test('twenty rounds: the 6th from each end (1 - 2 * P(B(20, 1/2) <= 5) = 0.9586)', () => {
  const xs = Array.from({ length: 20 }, (_, i) => i + 1);
  const r = medianInterval(xs);
  assert.is(r.low, 6);
  assert.is(r.high, 15);
  // P(B <= 5) = (1 + 20 + 190 + 1140 + 4845 + 15504) / 2^20 = 21700 / 1048576.
  assert.is(r.coverage, 1 - (2 * 21700) / 1048576);
});

test('a goal is met or missed only when the whole interval is on one side of it', () => {
  assert.is(verdict({ median: 0.55, low: 0.5, high: 0.6 }, 0.5, 0.96), 'met');
  assert.is(verdict({ median: 0.45, low: 0.4, high: 0.49 }, 0.5, 0.96), 'missed');
  assert.is(verdict({ median: 0.52, low: 0.47, high: 0.56 }, 0.5, 0.96), 'undecided');
  assert.is(verdict({ median: 0.48, low: 0.44, high: 0.5 }, 0.5, 0.96), 'undecided');
});

test('too few rounds decide nothing: an interval that holds the median 75 % of the time', () => {
  assert.is(verdict({ median: 0.7, low: 0.6, high: 0.8 }, 0.5, 0.75), 'undecided');
  assert.is(verdict({ median: 0.3, low: 0.2, high: 0.4 }, 0.5, 0.75), 'undecided');
});

test.run();
