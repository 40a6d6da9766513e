import { describe, expect, it } from 'vitest';
import { evaluate } from '../../runner/eval/metrics.js';
import { seededRandom } from '../../runner/eval/random.js';
import { formatStatsError, meanStd, pairedTest, pairPerQuery } from '../../runner/eval/stats.js';

describe('meanStd', () => {
  it('gives the mean and the sample standard deviation', () => {
    const r = meanStd([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(r.mean).toBe(5);
    // Squared deviations sum to 32; divided by n - 1 = 7, not by n.
    expect(r.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(r.n).toBe(8);
  });

  it('has no standard deviation for a single seed', () => {
    expect(meanStd([42])).toEqual({ mean: 42, std: null, n: 1 });
  });
});

describe('pairedTest', () => {
  it('enumerates sign patterns exactly for small samples', () => {
    // Only the all-plus and all-minus patterns reach |sum| = 3: p = 2/8.
    const r = pairedTest({ a: [1, 1, 1], b: [0, 0, 0], seed: 1 });
    expect(r.ok && r.value).toEqual({ diff: 1, p: 0.25, ci: [1, 1], n: 3, exact: true });
  });

  it('finds a consistent gain significant and an identical system not', () => {
    const random = seededRandom('fixture', 1);
    const b = Array.from({ length: 500 }, () => (random.next() < 0.5 ? 100 : 0));
    const a = b.map((v) => (v === 0 && random.next() < 0.2 ? 100 : v));
    const better = pairedTest({ a, b, seed: 7, resamples: 2000 });
    expect(better.ok).toBe(true);
    if (!better.ok) return;
    expect(better.value.diff).toBeGreaterThan(5);
    expect(better.value.p).toBeLessThan(0.001);
    expect(better.value.ci[0]).toBeGreaterThan(0);
    expect(better.value.ci[0]).toBeLessThan(better.value.diff);
    expect(better.value.ci[1]).toBeGreaterThan(better.value.diff);

    const same = pairedTest({ a: b, b, seed: 7, resamples: 2000 });
    expect(same.ok && same.value).toMatchObject({ diff: 0, p: 1, ci: [0, 0] });
  });

  it('agrees with the exact p when sampling, and repeats itself for the same seed', () => {
    const random = seededRandom('fixture', 2);
    const a = Array.from({ length: 12 }, () => random.below(100));
    const b = a.map((v) => v - 20 + random.below(50));
    const exact = pairedTest({ a, b, seed: 3, resamples: 4096 });
    const sampled = pairedTest({ a, b, seed: 3, resamples: 4095 });
    if (!exact.ok || !sampled.ok) throw new Error('fixture should be valid');
    expect(exact.value.exact).toBe(true);
    expect(sampled.value.exact).toBe(false);
    expect(Math.abs(sampled.value.p - exact.value.p)).toBeLessThan(0.03);
    expect(pairedTest({ a, b, seed: 3, resamples: 4095 })).toEqual(sampled);
  });

  it('rejects systems scored on different numbers of queries', () => {
    const r = pairedTest({ a: [1, 2], b: [1], seed: 0 });
    expect(!r.ok && formatStatsError(r.error)).toBe(
      'paired test: the systems have 2 and 1 values; they must be scored on the same queries',
    );
  });
});

describe('pairPerQuery', () => {
  const qrels = new Map([
    ['q1', new Map([['d1', 1]])],
    ['q2', new Map([['d2', 1]])],
  ]);
  const score = (run: Map<string, string[]>) => {
    const r = evaluate({ run, gold: { kind: 'qrels', qrels }, metrics: ['mrr@10'] });
    if (!r.ok) throw new Error('fixture should evaluate');
    return r.value.perQuery;
  };

  it('aligns two evaluations by query id', () => {
    const a = score(
      new Map([
        ['q1', ['d1']],
        ['q2', ['x', 'd2']],
      ]),
    );
    const b = [...score(new Map([['q2', ['d2']]]))].reverse();
    expect(pairPerQuery(a, b, 'mrr@10')).toEqual({
      ok: true,
      value: { a: [100, 50], b: [0, 100] },
    });
  });

  it('refuses evaluations over different queries', () => {
    const a = score(new Map([['q1', ['d1']]]));
    const r = pairPerQuery(
      a,
      a.slice(0, 1).map((q) => ({ ...q, qid: 'other' })),
      'mrr@10',
    );
    expect(!r.ok && r.error).toMatchObject({
      reason: 'query-mismatch',
      onlyInA: ['q1', 'q2'],
      onlyInB: ['other'],
    });
  });
});
