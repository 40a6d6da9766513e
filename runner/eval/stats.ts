// Aggregation over seeds and a paired significance test between two systems.
//
// - `meanStd`: mean and sample standard deviation (n − 1), as tables print "mean ± std" over seeds.
// - `pairedTest`: two systems scored on the same queries. The p-value is a two-sided paired
//   randomisation test: under the null hypothesis each query's difference is as likely to have
//   either sign, so the sign of each difference is flipped at random and the observed mean
//   difference is compared with those of the flipped samples. When 2^n is at most the number of
//   resamples every sign pattern is enumerated (exact p); otherwise p = (1 + hits) / (1 + R).
//   The confidence interval is a paired bootstrap: queries are resampled with replacement and the
//   percentile interval of the mean difference is taken.
// Both are seeded, so a table rebuilt from the same records prints the same p and interval.
// The paper reports neither; they answer "is this row's gain more than query noise?".
// Does not read result records.

import { err, ok, type Result } from '../result.js';
import type { PerQuery } from './metrics.js';
import { seededRandom } from './random.js';
import type { QueryId } from './trec.js';

export interface MeanStd {
  mean: number;
  /** Sample standard deviation; null for a single value, where it is undefined. */
  std: number | null;
  n: number;
}

export function meanStd(values: readonly number[]): MeanStd {
  if (values.length === 0) throw new Error('internal error: meanStd of no values');
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return { mean, std: null, n };
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (n - 1)), n };
}

export interface PairedTestOptions {
  /** Per-query values of system A and of system B, aligned by query. */
  a: readonly number[];
  b: readonly number[];
  seed: number;
  /** Sign-flip samples for p and bootstrap samples for the interval (default 10,000 each). */
  resamples?: number;
  /** Confidence level of the interval (default 0.95). */
  confidence?: number;
}

export interface PairedTest {
  /** mean(a) − mean(b). */
  diff: number;
  p: number;
  ci: [number, number];
  n: number;
  /** Whether p came from enumerating every sign pattern. */
  exact: boolean;
}

export type StatsError =
  | { reason: 'length-mismatch'; a: number; b: number }
  | { reason: 'no-values' }
  | { reason: 'query-mismatch'; onlyInA: QueryId[]; onlyInB: QueryId[] }
  | { reason: 'missing-metric'; metric: string; qid: QueryId };

export function formatStatsError(e: StatsError): string {
  switch (e.reason) {
    case 'length-mismatch':
      return `paired test: the systems have ${e.a} and ${e.b} values; they must be scored on the same queries`;
    case 'no-values':
      return 'paired test: no query to compare';
    case 'query-mismatch': {
      const show = (ids: QueryId[]): string =>
        ids.slice(0, 5).join(', ') + (ids.length > 5 ? ', …' : '');
      return `paired test: the systems were evaluated on different queries (only in A: ${e.onlyInA.length} [${show(e.onlyInA)}]; only in B: ${e.onlyInB.length} [${show(e.onlyInB)}])`;
    }
    case 'missing-metric':
      return `paired test: query "${e.qid}" has no value for ${e.metric}`;
  }
}

/** Aligns two evaluations' per-query values of one metric by query id. */
export function pairPerQuery(
  a: readonly PerQuery[],
  b: readonly PerQuery[],
  metric: string,
): Result<{ a: number[]; b: number[] }, StatsError> {
  const byQid = new Map(b.map((q) => [q.qid, q]));
  const onlyInA = a.filter((q) => !byQid.has(q.qid)).map((q) => q.qid);
  const inA = new Set(a.map((q) => q.qid));
  const onlyInB = b.filter((q) => !inA.has(q.qid)).map((q) => q.qid);
  if (onlyInA.length > 0 || onlyInB.length > 0)
    return err({ reason: 'query-mismatch', onlyInA, onlyInB });
  const va: number[] = [];
  const vb: number[] = [];
  for (const qa of a) {
    const x = qa.metrics[metric];
    const y = byQid.get(qa.qid)?.metrics[metric];
    if (x === undefined || y === undefined)
      return err({ reason: 'missing-metric', metric, qid: qa.qid });
    va.push(x);
    vb.push(y);
  }
  return ok({ a: va, b: vb });
}

export function pairedTest(options: PairedTestOptions): Result<PairedTest, StatsError> {
  const { a, b, seed } = options;
  const resamples = options.resamples ?? 10_000;
  const confidence = options.confidence ?? 0.95;
  if (a.length !== b.length) return err({ reason: 'length-mismatch', a: a.length, b: b.length });
  if (a.length === 0) return err({ reason: 'no-values' });
  if (!(Number.isInteger(resamples) && resamples > 0 && confidence > 0 && confidence < 1)) {
    throw new Error(`internal error: pairedTest(resamples=${resamples}, confidence=${confidence})`);
  }
  const d = a.map((x, i) => x - (b[i] ?? 0));
  const n = d.length;
  const observed = d.reduce((s, v) => s + v, 0);
  const exact = n <= 30 && 2 ** n <= resamples;
  const p = exact ? exactSignFlipP(d, observed) : sampledSignFlipP(d, observed, resamples, seed);
  return ok({
    diff: observed / n,
    p,
    ci: bootstrapInterval(d, resamples, confidence, seed),
    n,
    exact,
  });
}

// In the loops below `?? 0` only satisfies the index checks: every index is in range.

// Sums of flipped differences are compared with a tolerance, because adding the same values in
// another order can move the last bits; without it an identical statistic could miss `>=`.
const atLeast = (x: number, ref: number): boolean =>
  Math.abs(x) >= Math.abs(ref) - 1e-9 * (1 + Math.abs(ref));

function exactSignFlipP(d: readonly number[], observed: number): number {
  const patterns = 2 ** d.length;
  let hits = 0;
  for (let mask = 0; mask < patterns; mask++) {
    let sum = 0;
    for (let i = 0; i < d.length; i++) sum += (mask >> i) & 1 ? -(d[i] ?? 0) : (d[i] ?? 0);
    if (atLeast(sum, observed)) hits += 1;
  }
  return hits / patterns;
}

function sampledSignFlipP(
  d: readonly number[],
  observed: number,
  resamples: number,
  seed: number,
): number {
  const random = seededRandom('sign-flip', seed);
  let hits = 0;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    let bits = 0;
    for (let i = 0; i < d.length; i++) {
      // One 32-bit draw gives the signs of 32 differences.
      if (i % 32 === 0) bits = random.nextUint32();
      sum += (bits >>> (i % 32)) & 1 ? -(d[i] ?? 0) : (d[i] ?? 0);
    }
    if (atLeast(sum, observed)) hits += 1;
  }
  // The observed assignment is one of the possible ones, hence the +1s (never p = 0).
  return (1 + hits) / (1 + resamples);
}

function bootstrapInterval(
  d: readonly number[],
  resamples: number,
  confidence: number,
  seed: number,
): [number, number] {
  const random = seededRandom('bootstrap', seed);
  const n = d.length;
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += d[random.below(n)] ?? 0;
    means[r] = sum / n;
  }
  means.sort();
  const tail = (1 - confidence) / 2;
  return [quantile(means, tail), quantile(means, 1 - tail)];
}

/** Linear interpolation between order statistics (R's type 7, numpy's default). */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const low = sorted[lo] ?? 0;
  return low + ((sorted[hi] ?? 0) - low) * (pos - lo);
}
