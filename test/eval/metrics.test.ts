import { describe, expect, it } from 'vitest';
import { evaluate, formatEvalError, type Gold } from '../../runner/eval/metrics.js';

const ALL = ['hit@1', 'hit@2', 'hit@4', 'hit@10', 'mrr@10', 'map@10'];

describe('MultiHop-RAG facts', () => {
  const unitText = new Map([
    ['u1', 'nothing relevant here'],
    ['u2', 'Reported in New York  City today'],
    ['u3', 'New York City again, where Jane Doe\nwon the race'],
    ['u4', 'alpha and beta'],
    ['u5', 'a b'],
    ['filler', 'filler text'],
  ]);
  const gold = (queries: Extract<Gold, { kind: 'facts' }>['queries']): Gold => ({
    kind: 'facts',
    queries,
    unitText,
  });

  it('matches facts with spaces and newlines removed and uses the benchmark MAP', () => {
    const r = evaluate({
      run: new Map([['q1', ['u1', 'u2', 'u3', 'u4']]]),
      gold: gold([
        { qid: 'q1', facts: ['New York City', 'Jane Doe won'], questionType: 'inference_query' },
      ]),
      metrics: ALL,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // Fact 1 first matched at rank 2, fact 2 at rank 3: (1/2 + 1/3) / min(2, 10).
    // Textbook AP would be (1/2 + 2/3) / 2 = 58.33.
    const { 'map@10': map, ...rest } = r.value.metrics;
    expect(map).toBeCloseTo((100 * (1 / 2 + 1 / 3)) / 2, 12);
    expect(rest).toEqual({ 'hit@1': 0, 'hit@2': 100, 'hit@4': 100, 'hit@10': 100, 'mrr@10': 50 });
    expect(r.value.perQuery[0]?.rankOfFirstRelevant).toBe(2);
  });

  it('counts a duplicated fact once when matched but twice in the denominator, as the benchmark does', () => {
    const r = evaluate({
      run: new Map([['q1', ['u4']]]),
      gold: gold([{ qid: 'q1', facts: ['alpha', 'alpha', 'beta'] }]),
      metrics: ['map@10'],
    });
    expect(r.ok && r.value.metrics['map@10']).toBeCloseTo((100 * 2) / 3, 12);
  });

  it('divides MAP by 10 when a query has more than 10 facts and ignores matches below rank 10', () => {
    const facts = Array.from({ length: 12 }, (_, i) => `fact${i}`);
    const units = new Map(facts.map((f, i) => [`c${i}`, `text with ${f}.`]));
    const ranking = ['c0', ...Array.from({ length: 9 }, () => 'filler'), 'c1'];
    units.set('filler', 'nothing');
    const r = evaluate({
      run: new Map([['q1', ranking]]),
      gold: { kind: 'facts', queries: [{ qid: 'q1', facts }], unitText: units },
      metrics: ['map@10', 'hit@10', 'mrr@10'],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // fact0 at rank 1 adds 1/1; fact1 at rank 11 is past the cut-off: 1 / min(12, 10).
    expect(r.value.metrics['map@10']).toBeCloseTo((100 * 1) / 10, 12);
    expect(r.value.perQuery[0]?.rankOfFirstRelevant).toBe(1);
  });

  it('removes only spaces and newlines, not tabs', () => {
    const r = evaluate({
      run: new Map([['q1', ['u5']]]),
      gold: gold([{ qid: 'q1', facts: ['a\tb'] }]),
      metrics: ['hit@1'],
    });
    expect(r.ok && r.value.metrics['hit@1']).toBe(0);
  });

  it('excludes null queries and scores gold queries missing from the run as 0', () => {
    const r = evaluate({
      run: new Map([
        ['q1', ['u2']],
        ['q3', ['u3']],
        ['extra', ['u1']],
      ]),
      gold: gold([
        { qid: 'q1', facts: ['New York City'] },
        { qid: 'q2', facts: ['Jane Doe won'] },
        { qid: 'q3', facts: [], questionType: 'null_query' },
      ]),
      metrics: ['hit@1', 'mrr@10'],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.queries).toBe(2);
    expect(r.value.metrics).toEqual({ 'hit@1': 50, 'mrr@10': 50 });
    expect(r.value.skipped).toEqual({ noGold: 1, notInRun: 1, notInGold: 2 });
    expect(r.value.perQuery).toEqual([
      { qid: 'q1', rankOfFirstRelevant: 1, metrics: { 'hit@1': 100, 'mrr@10': 100 } },
      { qid: 'q2', rankOfFirstRelevant: null, metrics: { 'hit@1': 0, 'mrr@10': 0 } },
    ]);
  });

  it('reports a retrieved unit without text', () => {
    const r = evaluate({
      run: new Map([['q1', ['nope']]]),
      gold: gold([{ qid: 'q1', facts: ['x'] }]),
      metrics: ['hit@1'],
    });
    expect(!r.ok && formatEvalError(r.error)).toBe('query "q1": retrieved unit "nope" has no text');
  });
});

describe('qrels', () => {
  const qrels = new Map([
    [
      'q1',
      new Map([
        ['d2', 1],
        ['d5', 2],
        ['d9', 0],
      ]),
    ],
    ['q2', new Map([['d7', 1]])],
    ['q3', new Map([['d1', 0]])],
    ['q4', new Map([['d1', 1]])],
  ]);
  const run = new Map([
    ['q1', ['d1', 'd2', 'd3', 'd9', 'd5']],
    ['q2', ['d7', 'd8']],
    ['q3', ['d1']],
  ]);

  it('computes hit@k, mrr@10 and trec_eval-style map@10 per query', () => {
    const r = evaluate({ run, gold: { kind: 'qrels', qrels }, metrics: ALL });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const q1 = r.value.perQuery.find((q) => q.qid === 'q1');
    // Relevant d2 at rank 2 and d5 at rank 5; d9 has grade 0: AP@10 = (1/2 + 2/5) / 2.
    expect(q1?.rankOfFirstRelevant).toBe(2);
    const { 'map@10': map, ...rest } = q1?.metrics ?? {};
    expect(map).toBeCloseTo(45, 12);
    expect(rest).toEqual({ 'hit@1': 0, 'hit@2': 100, 'hit@4': 100, 'hit@10': 100, 'mrr@10': 50 });
    // q3 has no relevant document and is excluded; q4 is missing from the run and scores 0.
    expect(r.value.queries).toBe(3);
    expect(r.value.skipped).toEqual({ noGold: 1, notInRun: 1, notInGold: 1 });
    expect(r.value.metrics['hit@1']).toBeCloseTo(100 / 3, 12);
    expect(r.value.metrics['mrr@10']).toBeCloseTo(150 / 3, 12);
    expect(r.value.metrics['map@10']).toBeCloseTo(145 / 3, 12);
  });

  it('cuts mrr at k and counts a repeated document once', () => {
    const ranking = [...Array.from({ length: 10 }, (_, i) => `n${i}`), 'd7'];
    const r = evaluate({
      run: new Map([
        ['q2', ranking],
        ['q4', ['d1', 'd1']],
      ]),
      gold: { kind: 'qrels', qrels: new Map([...qrels].filter(([q]) => q === 'q2' || q === 'q4')) },
      metrics: ['mrr@10', 'mrr@11', 'hit@10', 'map@10'],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.perQuery).toEqual([
      {
        qid: 'q2',
        rankOfFirstRelevant: 11,
        metrics: { 'mrr@10': 0, 'mrr@11': 100 / 11, 'hit@10': 0, 'map@10': 0 },
      },
      {
        qid: 'q4',
        rankOfFirstRelevant: 1,
        metrics: { 'mrr@10': 100, 'mrr@11': 100, 'hit@10': 100, 'map@10': 100 },
      },
    ]);
  });

  it('rejects unknown metric names and an evaluation with no query', () => {
    for (const metric of ['ndcg@10', 'hit@0', 'hit@', 'HIT@4', 'mrr@010']) {
      const r = evaluate({ run, gold: { kind: 'qrels', qrels }, metrics: [metric] });
      expect(!r.ok && r.error).toEqual({ reason: 'unknown-metric', metric });
    }
    const empty = evaluate({
      run,
      gold: { kind: 'qrels', qrels: new Map([['q3', new Map([['d1', 0]])]]) },
      metrics: ['hit@1'],
    });
    expect(!empty.ok && empty.error.reason).toBe('no-queries');
  });
});
