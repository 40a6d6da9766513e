// Terminal step kinds, one per kind of table; each writes `metrics.json` (report/records.ts):
// - `evaluate`: the benchmark's metrics of a cell's final run on the test queries (facts as
//   gold where the dataset has them, MultiHop-RAG style; qrels otherwise);
// - `stats`: Table 9's counts of contexts and synthetic queries per type;
// - `similarity`: Figure 2's Jaccard win rate of one query set over another.

import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CorpusUnit, QueryRecord, TestQuery } from '../data/records.js';
import { datasetStats } from '../data/stats.js';
import { evaluate as score, formatEvalError, type Gold } from '../eval/metrics.js';
import { formatTrecError, rankedIds, readQrels, readRun } from '../eval/trec.js';
import { winRate } from '../llm/jaccard.js';
import type { StepFailure, StepKind, StepRequest } from '../plan/step.js';
import type { TerminalOutput } from '../report/records.js';
import type { COLUMNS } from '../report/tables.js';
import { err, ok, type Json, type Result } from '../result.js';
import { FILES, fromData, need, querySets, readLines } from './common.js';
import { finalModel } from './retrieval.js';

const write = (dir: string, out: TerminalOutput) =>
  writeFile(path.join(dir, FILES.metrics), `${JSON.stringify(out, null, 2)}\n`);

/** A corpus step's gold: evidence facts where the test queries carry them, qrels otherwise. */
export async function goldFromCorpus(corpusDir: string): Promise<Result<Gold, StepFailure>> {
  const tests = await readLines<TestQuery>(path.join(corpusDir, FILES.testQueries));
  if (tests.some((q) => q.facts !== undefined)) {
    const units = await readLines<CorpusUnit>(path.join(corpusDir, FILES.corpus));
    return ok({
      kind: 'facts',
      queries: tests.map((q) => ({
        qid: q.id,
        facts: q.facts ?? [],
        questionType: q.question_type,
      })),
      unitText: new Map(units.map((u) => [u.id, u.text])),
    });
  }
  const qrels = await readQrels(path.join(corpusDir, FILES.qrels));
  return qrels.ok
    ? ok({ kind: 'qrels', qrels: qrels.value })
    : err({ reason: 'bad-data', message: formatTrecError(qrels.error) });
}

export const evaluate: StepKind = {
  name: 'evaluate',
  version: 1,
  plan: (ctx) => {
    const system = need<string>(ctx.cell.recipe, 'system');
    const run: StepRequest =
      system === 'generative'
        ? { kind: 'retrieve', args: { model: finalModel(ctx), queries: 'test' } }
        : { kind: system };
    return {
      slice: { metrics: need<Json>(ctx.cell.recipe, 'metrics') },
      inputs: {
        run,
        corpus: { kind: 'corpus' },
        ...(system === 'generative' ? { generation: { kind: 'ids' } } : {}),
      },
      label: `evaluate:${ctx.cell.dataset}`,
    };
  },
  run: async (ctx) => {
    const metrics = (ctx.slice as { metrics: string[] }).metrics;
    const corpusDir = ctx.inputs.corpus?.dir ?? '';
    const run = await readRun(path.join(ctx.inputs.run?.dir ?? '', FILES.run));
    if (!run.ok) return err({ reason: 'bad-data', message: formatTrecError(run.error) });
    const gold = await goldFromCorpus(corpusDir);
    if (!gold.ok) return gold;
    const e = score({ run: rankedIds(run.value), gold: gold.value, metrics });
    if (!e.ok) return err({ reason: 'bad-data', message: formatEvalError(e.error) });
    await writeFile(path.join(ctx.out, 'per-query.json'), `${JSON.stringify(e.value.perQuery)}\n`);
    const digest = createHash('sha256')
      .update(JSON.stringify(e.value.perQuery.map((q) => [q.qid, q.rankOfFirstRelevant])))
      .digest('hex');
    const generator = (
      ctx.inputs.generation?.report as { generation?: { generator?: string } } | undefined
    )?.generation?.generator;
    await write(ctx.out, {
      values: e.value.metrics,
      queries: e.value.queries,
      digest,
      labels: generator?.startsWith('offline:')
        ? ['identifiers and queries from the offline generator (not an LLM)']
        : [],
    });
    return ok({ queries: e.value.queries, skipped: e.value.skipped });
  },
};

const STAT_SETS = ['chunk', 'sentence', 'constraints'] as const;
const statColumn = (set: (typeof STAT_SETS)[number]) => `${set}_queries` as const;

export const stats: StepKind = {
  name: 'stats',
  version: 2,
  plan: (ctx) => {
    const sets = querySets(ctx.cell.recipe).filter((s) =>
      (STAT_SETS as readonly string[]).includes(s),
    );
    return {
      slice: { sets },
      inputs: {
        corpus: { kind: 'corpus' },
        ...Object.fromEntries(
          sets.map((s) => [`queries:${s}`, { kind: 'queries', args: { set: s } }]),
        ),
      },
      label: `stats:${ctx.cell.dataset}`,
    };
  },
  run: async (ctx) => {
    const sets = (ctx.slice as { sets: string[] }).sets;
    const r = await datasetStats({
      // Table 9's "contexts" are the retrieval units: chunks for MultiHop-RAG, documents elsewhere.
      contextsFile: path.join(ctx.inputs.corpus?.dir ?? '', FILES.corpus),
      queryFiles: sets.map((s) => path.join(ctx.inputs[`queries:${s}`]?.dir ?? '', FILES.queries)),
    });
    if (!r.ok) return fromData(r);
    const values: Record<(typeof COLUMNS.statistics)[number], number> = {
      contexts: r.value.contexts,
      chunk_queries: 0,
      sentence_queries: 0,
      constraints_queries: 0,
    };
    for (const s of STAT_SETS) values[statColumn(s)] = r.value.queries[s] ?? 0;
    await write(ctx.out, { values });
    return ok({ values });
  },
};

export const similarity: StepKind = {
  name: 'similarity',
  version: 3,
  plan: (ctx) => {
    const a = need<string[]>(ctx.cell.recipe, 'similarity.a');
    const b = need<string[]>(ctx.cell.recipe, 'similarity.b');
    const sets = [...new Set([...a, ...b])].sort();
    return {
      slice: { a, b },
      inputs: {
        corpus: { kind: 'corpus' },
        ...Object.fromEntries(
          sets.map((s) => [`queries:${s}`, { kind: 'queries', args: { set: s } }]),
        ),
      },
      label: `similarity:${ctx.cell.dataset}`,
    };
  },
  run: async (ctx) => {
    const { a, b } = ctx.slice as { a: string[]; b: string[] };
    const corpusDir = ctx.inputs.corpus?.dir ?? '';
    const qrels = await readQrels(path.join(corpusDir, FILES.qrels));
    if (!qrels.ok) return err({ reason: 'bad-data', message: formatTrecError(qrels.error) });
    const tests = await readLines<TestQuery>(path.join(corpusDir, FILES.testQueries));
    const test = tests.flatMap((q) => {
      const units = [...(qrels.value.get(q.id) ?? new Map<string, number>())]
        .filter(([, rel]) => rel > 0)
        .map(([u]) => u);
      return units.length ? [{ text: q.text, gold: units }] : [];
    });
    const load = async (sets: string[]) =>
      (
        await Promise.all(
          sets.map((s) =>
            readLines<QueryRecord>(path.join(ctx.inputs[`queries:${s}`]?.dir ?? '', FILES.queries)),
          ),
        )
      )
        .flat()
        .map((q) => ({ text: q.text, unit: q.unit }));
    const w = winRate(test, await load(a), await load(b));
    await write(ctx.out, {
      // Percent, as Figure 2 reports them.
      values: { win_rate: 100 * w.winRate, tie_rate: 100 * w.tieRate },
      queries: w.queries,
    });
    return ok(w as unknown as Record<string, Json>);
  },
};
