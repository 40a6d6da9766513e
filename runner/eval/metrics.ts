// Retrieval metrics, each as its benchmark defines it: hit@k, mrr@k, map@k, in percent, full
// precision (rounding is the table layer's job), with the per-query values they average.
//
// Two kinds of gold:
// - `facts` (MultiHop-RAG, retrieval_evaluate.py of the benchmark): a retrieved unit matches a
//   gold fact when the fact, with every " " and "\n" removed, is a substring of the unit's text
//   with the same removal (only those two characters: tabs and "\r" stay, as in the benchmark).
//   Null queries (question type `null_query`, or no facts) are excluded.
// - `qrels` (AllSides, AGNews, NQ, BEIR): a unit is relevant when its grade is > 0; queries
//   without a relevant unit are excluded, as trec_eval does.
// hit@k: 100 if any match in the top k, else 0. mrr@k: 100 / rank of the first match within the
// top k, else 0. map@k differs by kind, see `averagePrecision`.
// A gold query missing from the run scores 0 everywhere (it is counted in `skipped.notInRun`);
// a unit repeated within one ranking counts at its first occurrence only.
// Does not read files (trec.ts, multihop-rag.ts) and does not aggregate over seeds (stats.ts).

import { err, ok, type Result } from '../result.js';
import type { QueryId, Qrels } from './trec.js';

export type UnitId = string;

export interface FactsQuery {
  qid: QueryId;
  facts: readonly string[];
  questionType?: string;
}

export type Gold =
  | { kind: 'facts'; queries: readonly FactsQuery[]; unitText: ReadonlyMap<UnitId, string> }
  | { kind: 'qrels'; qrels: Qrels };

export interface EvaluateOptions {
  /** Ranked unit ids per query, best first. */
  run: ReadonlyMap<QueryId, readonly UnitId[]>;
  gold: Gold;
  /** Metric names: `hit@k`, `mrr@k`, `map@k` (k ≥ 1; the paper uses hit@1/4/5/10, mrr@10, map@10). */
  metrics: readonly string[];
}

export interface PerQuery {
  qid: QueryId;
  /** 1-based rank of the first matching unit anywhere in the ranking, not only in the top k. */
  rankOfFirstRelevant: number | null;
  metrics: Record<string, number>;
}

export interface Evaluation {
  /** Mean over the evaluated queries of the per-query values, in percent. */
  metrics: Record<string, number>;
  perQuery: PerQuery[];
  queries: number;
  skipped: {
    /** Gold queries excluded: null queries, or no relevant unit. */
    noGold: number;
    /** Evaluated queries the run has no ranking for (scored 0). */
    notInRun: number;
    /** Run queries that are not among the evaluated gold queries (ignored). */
    notInGold: number;
  };
}

export type EvalError =
  | { reason: 'unknown-metric'; metric: string }
  | { reason: 'unknown-unit'; qid: QueryId; unit: UnitId }
  | { reason: 'no-queries' };

export function formatEvalError(e: EvalError): string {
  switch (e.reason) {
    case 'unknown-metric':
      return `unknown metric "${e.metric}" (expected hit@k, mrr@k or map@k, k a positive integer)`;
    case 'unknown-unit':
      return `query "${e.qid}": retrieved unit "${e.unit}" has no text`;
    case 'no-queries':
      return 'no query to evaluate: the gold has no non-null query';
  }
}

export interface MetricSpec {
  name: string;
  kind: 'hit' | 'mrr' | 'map';
  k: number;
}

export function parseMetric(name: string): Result<MetricSpec, EvalError> {
  const m = /^(hit|mrr|map)@([1-9]\d*)$/.exec(name);
  if (m === null) return err({ reason: 'unknown-metric', metric: name });
  return ok({ name, kind: m[1] as MetricSpec['kind'], k: Number(m[2]) });
}

/** How one query's ranking meets its gold, rank by rank. */
interface Judged {
  /** matches[i]: the unit at rank i + 1 matches some gold item. */
  matches: boolean[];
  /** fresh[i]: gold items matched for the first time at rank i + 1. */
  fresh: number[];
  /** Gold items as the benchmark counts them for map's denominator. */
  goldSize: number;
  map: 'multihop-rag' | 'trec';
}

export function evaluate(options: EvaluateOptions): Result<Evaluation, EvalError> {
  const specs: MetricSpec[] = [];
  for (const name of options.metrics) {
    const spec = parseMetric(name);
    if (!spec.ok) return spec;
    specs.push(spec.value);
  }

  const judgedQueries = judgeAll(options.run, options.gold);
  if (!judgedQueries.ok) return judgedQueries;
  const { judged, noGold } = judgedQueries.value;
  if (judged.length === 0) return err({ reason: 'no-queries' });

  const perQuery: PerQuery[] = judged.map(({ qid, judged: j }) => {
    const first = j.matches.indexOf(true);
    const metrics: Record<string, number> = {};
    for (const spec of specs) metrics[spec.name] = score(spec, j);
    return { qid, rankOfFirstRelevant: first === -1 ? null : first + 1, metrics };
  });

  const metrics: Record<string, number> = {};
  for (const spec of specs) {
    let sum = 0;
    for (const q of perQuery) sum += q.metrics[spec.name] ?? 0;
    metrics[spec.name] = sum / perQuery.length;
  }

  const evaluated = new Set(judged.map((q) => q.qid));
  let notInRun = 0;
  for (const qid of evaluated) if (!options.run.has(qid)) notInRun += 1;
  let notInGold = 0;
  for (const qid of options.run.keys()) if (!evaluated.has(qid)) notInGold += 1;

  return ok({
    metrics,
    perQuery,
    queries: perQuery.length,
    skipped: { noGold, notInRun, notInGold },
  });
}

function score(spec: MetricSpec, j: Judged): number {
  switch (spec.kind) {
    case 'hit':
      return j.matches.slice(0, spec.k).includes(true) ? 100 : 0;
    case 'mrr': {
      const first = j.matches.slice(0, spec.k).indexOf(true);
      return first === -1 ? 0 : 100 / (first + 1);
    }
    case 'map':
      return 100 * averagePrecision(j, spec.k);
  }
}

/**
 * multihop-rag: the benchmark's MAP@10, not textbook AP: the sum over ranks i ≤ k of (gold facts
 * matched for the first time at rank i) / i, divided by min(number of facts, k). The number of
 * facts counts duplicates while a duplicate is matched only once, exactly as the benchmark does.
 * trec: trec_eval's map_cut.k: the sum over relevant ranks i ≤ k of precision@i, divided by the
 * number of relevant units in the qrels.
 */
function averagePrecision(j: Judged, k: number): number {
  let sum = 0;
  let found = 0;
  const depth = Math.min(k, j.fresh.length);
  for (let i = 0; i < depth; i++) {
    const fresh = j.fresh[i] ?? 0;
    if (fresh === 0) continue;
    found += fresh;
    sum += j.map === 'multihop-rag' ? fresh / (i + 1) : found / (i + 1);
  }
  return j.map === 'multihop-rag' ? sum / Math.min(j.goldSize, k) : sum / j.goldSize;
}

interface JudgedQuery {
  qid: QueryId;
  judged: Judged;
}

function judgeAll(
  run: ReadonlyMap<QueryId, readonly UnitId[]>,
  gold: Gold,
): Result<{ judged: JudgedQuery[]; noGold: number }, EvalError> {
  switch (gold.kind) {
    case 'facts':
      return judgeFacts(run, gold.queries, gold.unitText);
    case 'qrels':
      return ok(judgeQrels(run, gold.qrels));
  }
}

/** The benchmark's normalisation: only " " and "\n" are removed. */
const squeeze = (text: string): string => text.replaceAll(' ', '').replaceAll('\n', '');

function judgeFacts(
  run: ReadonlyMap<QueryId, readonly UnitId[]>,
  queries: readonly FactsQuery[],
  unitText: ReadonlyMap<UnitId, string>,
): Result<{ judged: JudgedQuery[]; noGold: number }, EvalError> {
  // Units recur across queries' rankings; squeeze each text once.
  const squeezed = new Map<UnitId, string>();
  const judged: JudgedQuery[] = [];
  let noGold = 0;
  for (const q of queries) {
    if (q.questionType === 'null_query' || q.facts.length === 0) {
      noGold += 1;
      continue;
    }
    const facts = [...new Set(q.facts.map(squeeze))];
    const found = new Set<string>();
    const seenUnits = new Set<UnitId>();
    const matches: boolean[] = [];
    const fresh: number[] = [];
    for (const unit of run.get(q.qid) ?? []) {
      let text = squeezed.get(unit);
      if (text === undefined) {
        const raw = unitText.get(unit);
        if (raw === undefined) return err({ reason: 'unknown-unit', qid: q.qid, unit });
        text = squeeze(raw);
        squeezed.set(unit, text);
      }
      if (seenUnits.has(unit)) {
        matches.push(false);
        fresh.push(0);
        continue;
      }
      seenUnits.add(unit);
      let matched = false;
      let newly = 0;
      for (const fact of facts) {
        if (!text.includes(fact)) continue;
        matched = true;
        if (!found.has(fact)) {
          found.add(fact);
          newly += 1;
        }
      }
      matches.push(matched);
      fresh.push(newly);
    }
    judged.push({
      qid: q.qid,
      judged: { matches, fresh, goldSize: q.facts.length, map: 'multihop-rag' },
    });
  }
  return ok({ judged, noGold });
}

function judgeQrels(
  run: ReadonlyMap<QueryId, readonly UnitId[]>,
  qrels: Qrels,
): { judged: JudgedQuery[]; noGold: number } {
  const judged: JudgedQuery[] = [];
  let noGold = 0;
  for (const [qid, grades] of qrels) {
    let relevant = 0;
    for (const grade of grades.values()) if (grade > 0) relevant += 1;
    if (relevant === 0) {
      noGold += 1;
      continue;
    }
    const seen = new Set<UnitId>();
    const matches: boolean[] = [];
    const fresh: number[] = [];
    for (const unit of run.get(qid) ?? []) {
      const isNew = !seen.has(unit);
      seen.add(unit);
      const match = isNew && (grades.get(unit) ?? 0) > 0;
      matches.push(match);
      fresh.push(match ? 1 : 0);
    }
    judged.push({ qid, judged: { matches, fresh, goldSize: relevant, map: 'trec' } });
  }
  return { judged, noGold };
}
