import { describe, expect, it } from 'vitest';
import {
  formatMiningError,
  mineNegatives,
  type NegativesSpec,
  type PreferenceQuery,
} from '../../runner/eval/negatives.js';
import { parseRun, rankedIds } from '../../runner/eval/trec.js';

// Units u0..u19 with identifiers "id-0".."id-19".
const identifiers = new Map(Array.from({ length: 20 }, (_, i) => [`u${i}`, `id-${i}`]));

const query = (qid: string, positive: string, ranked: string[]): PreferenceQuery => ({
  qid,
  prompt: `question ${qid}?`,
  positive,
  ranked,
});

function negativesOf(queries: PreferenceQuery[], spec: NegativesSpec) {
  const r = mineNegatives({ queries, spec, identifiers });
  if (!r.ok) throw new Error(formatMiningError(r.error));
  const byQuery = new Map<string, string[]>();
  for (const p of r.value.pairs)
    byQuery.set(p.query, [...(byQuery.get(p.query) ?? []), p.negative]);
  return { byQuery, report: r.value.report, pairs: r.value.pairs };
}

describe('model-top negatives', () => {
  const spec: NegativesSpec = { strategy: 'model-top', k: 3 };

  it('gives no pair when the positive is ranked first', () => {
    const { pairs, report } = negativesOf([query('q', 'u0', ['u0', 'u1', 'u2'])], spec);
    expect(pairs).toEqual([]);
    expect(report).toEqual({
      strategy: 'model-top',
      queries: 1,
      queriesWithPairs: 0,
      pairs: 0,
      positiveFirst: 1,
      positiveMissing: 0,
    });
  });

  it('takes the top k when the positive is not in the ranking', () => {
    const { byQuery, report } = negativesOf(
      [query('q', 'u9', ['u1', 'u2', 'u3', 'u4', 'u5'])],
      spec,
    );
    expect(byQuery.get('q')).toEqual(['u1', 'u2', 'u3']);
    expect(report.positiveMissing).toBe(1);
  });

  it('takes every candidate above the positive when fewer than k are above', () => {
    const { byQuery } = negativesOf([query('q', 'u5', ['u1', 'u2', 'u5', 'u3'])], spec);
    expect(byQuery.get('q')).toEqual(['u1', 'u2']);
  });

  it('takes the highest k when more than k are above', () => {
    const { byQuery } = negativesOf([query('q', 'u5', ['u1', 'u2', 'u3', 'u4', 'u5'])], spec);
    expect(byQuery.get('q')).toEqual(['u1', 'u2', 'u3']);
  });

  it('follows the run order for tied scores: rank column, then docid', () => {
    // u7, u3 and the positive u5 all score 0.4; the rank column puts u5 last, so u7 and u3 are
    // above it; u3 and u7 share rank 2, so docid order puts u3 first.
    const run = parseRun(
      ['q Q0 u1 1 0.9 sft', 'q Q0 u7 2 0.4 sft', 'q Q0 u3 2 0.4 sft', 'q Q0 u5 4 0.4 sft'].join(
        '\n',
      ),
      'ties.trec',
    );
    if (!run.ok) throw new Error('fixture run should parse');
    const ranked = rankedIds(run.value).get('q') ?? [];
    expect(ranked).toEqual(['u1', 'u3', 'u7', 'u5']);
    const { byQuery } = negativesOf([query('q', 'u5', ranked)], { strategy: 'model-top', k: 10 });
    expect(byQuery.get('q')).toEqual(['u1', 'u3', 'u7']);
  });

  it('pairs each negative with the positive and reports counts over queries', () => {
    const { pairs, report } = negativesOf(
      [
        query('a', 'u2', ['u1', 'u2']),
        query('b', 'u0', ['u0']),
        query('c', 'u4', ['u6', 'u6', 'u7']),
      ],
      { strategy: 'model-top', k: 5 },
    );
    expect(pairs).toEqual([
      {
        prompt: 'question a?',
        chosen: 'id-2',
        rejected: 'id-1',
        query: 'a',
        positive: 'u2',
        negative: 'u1',
      },
      {
        prompt: 'question c?',
        chosen: 'id-4',
        rejected: 'id-6',
        query: 'c',
        positive: 'u4',
        negative: 'u6',
      },
      {
        prompt: 'question c?',
        chosen: 'id-4',
        rejected: 'id-7',
        query: 'c',
        positive: 'u4',
        negative: 'u7',
      },
    ]);
    expect(report).toEqual({
      strategy: 'model-top',
      queries: 3,
      queriesWithPairs: 2,
      pairs: 3,
      positiveFirst: 1,
      positiveMissing: 1,
    });
  });
});

describe('random negatives', () => {
  const spec: NegativesSpec = { strategy: 'random', k: 5, seed: 13 };

  it('draws k distinct units other than the positive, the same for the same seed', () => {
    const queries = Array.from({ length: 50 }, (_, i) => query(`q${i}`, `u${i % 20}`, []));
    const first = negativesOf(queries, spec);
    expect(first.report).toEqual({
      strategy: 'random',
      queries: 50,
      queriesWithPairs: 50,
      pairs: 250,
    });
    for (const q of queries) {
      const negatives = first.byQuery.get(q.qid) ?? [];
      expect(new Set(negatives).size).toBe(5);
      expect(negatives).not.toContain(q.positive);
    }
    expect(negativesOf(queries, spec).pairs).toEqual(first.pairs);
    expect(negativesOf(queries, { ...spec, seed: 14 }).pairs).not.toEqual(first.pairs);
  });

  it('gives a query the same negatives whatever other queries are mined with it', () => {
    const alone = negativesOf([query('q7', 'u3', [])], spec).byQuery.get('q7');
    const crowd = negativesOf([query('q1', 'u1', []), query('q7', 'u3', [])], spec).byQuery.get(
      'q7',
    );
    expect(crowd).toEqual(alone);
  });

  it('draws roughly uniformly', () => {
    const counts = new Map<string, number>();
    const queries = Array.from({ length: 2000 }, (_, i) => query(`q${i}`, 'u0', []));
    for (const p of negativesOf(queries, spec).pairs)
      counts.set(p.negative, (counts.get(p.negative) ?? 0) + 1);
    // 10,000 draws over 19 units: about 526 each.
    expect(counts.size).toBe(19);
    for (const c of counts.values()) expect(c).toBeGreaterThan(420);
  });

  it('takes every other unit when k exceeds them', () => {
    const small = new Map([
      ['a', 'A'],
      ['b', 'B'],
      ['c', 'C'],
    ]);
    const r = mineNegatives({
      queries: [query('q', 'b', [])],
      spec: { strategy: 'random', k: 10, seed: 1 },
      identifiers: small,
    });
    expect(r.ok && r.value.pairs.map((p) => p.negative).sort()).toEqual(['a', 'c']);
  });
});

describe('none and errors', () => {
  it('gives no pairs for none', () => {
    const { report } = negativesOf([query('q', 'u2', ['u1', 'u2'])], { strategy: 'none' });
    expect(report).toEqual({ strategy: 'none', queries: 1, queriesWithPairs: 0, pairs: 0 });
  });

  it('rejects a non-positive k and units without identifiers', () => {
    const bad = mineNegatives({ queries: [], spec: { strategy: 'model-top', k: 0 }, identifiers });
    expect(!bad.ok && formatMiningError(bad.error)).toBe(
      'negatives: k must be a positive integer, got 0',
    );
    const unknown = mineNegatives({
      queries: [query('q', 'u1', ['zz', 'u1'])],
      spec: { strategy: 'model-top', k: 2 },
      identifiers,
    });
    expect(!unknown.ok && formatMiningError(unknown.error)).toBe(
      'query "q": negative unit "zz" has no identifier',
    );
  });
});
