// `exp eval` (score any retriever's output with the benchmark's own metric code) and
// `exp compare` (paired significance test between two rows of a table, over queries).

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openCache } from './run.js';
import type { GlobalOptions } from '../cli.js';
import { session } from '../cli.js';
import { evaluate, formatEvalError, type Evaluation, type PerQuery } from '../eval/metrics.js';
import { formatMultihopRagError, readMultihopRagOutput } from '../eval/multihop-rag.js';
import { formatStatsError, pairedTest, pairPerQuery } from '../eval/stats.js';
import { formatTrecError, rankedIds, readRun } from '../eval/trec.js';
import type { Session } from '../session.js';
import { goldFromCorpus } from '../steps/evaluate.js';

function printEvaluation(e: Evaluation): void {
  for (const [m, v] of Object.entries(e.metrics)) console.log(`${m.padEnd(8)} ${v.toFixed(2)}`);
  console.log(`queries  ${String(e.queries)} (skipped: ${JSON.stringify(e.skipped)})`);
}

/**
 * Scores a run file. `--format multihop-rag` reads the benchmark's own retrieval output, gold
 * included; a TREC run is scored against a table cell's dataset (its corpus step must be cached:
 * `exp run` the table first), with that dataset's gold and metrics.
 */
export interface EvalOptions {
  run: string;
  format: string;
  dataset?: string;
  table?: string;
  metrics?: string;
  out?: string;
}

export async function evalCommand(g: GlobalOptions, o: EvalOptions): Promise<number> {
  let result;
  if (o.format === 'multihop-rag') {
    const parsed = await readMultihopRagOutput(o.run);
    if (!parsed.ok) {
      console.error(formatMultihopRagError(parsed.error));
      return 2;
    }
    result = evaluate({
      ...parsed.value,
      metrics: (o.metrics ?? 'hit@4,hit@10,map@10,mrr@10').split(','),
    });
  } else {
    const s = await session([o.table ?? path.join('experiments', 'table8.yaml')], g);
    if (!s) return 2;
    const planned = s.plan.cells.find((c) => c.cell.dataset === o.dataset);
    if (!planned) {
      console.error(
        `no cell of dataset "${o.dataset ?? ''}" in ${o.table ?? 'experiments/table8.yaml'}; pass --table with one`,
      );
      return 2;
    }
    const run = await readRun(o.run);
    if (!run.ok) {
      console.error(formatTrecError(run.error));
      return 2;
    }
    const gold = await goldOf(s, g, planned.terminal);
    if (!gold) return 2;
    const metrics = o.metrics?.split(',') ?? (planned.cell.recipe.metrics as string[]);
    result = evaluate({ run: rankedIds(run.value), gold, metrics });
  }
  if (!result.ok) {
    console.error(formatEvalError(result.error));
    return 2;
  }
  printEvaluation(result.value);
  if (o.out) await writeFile(o.out, `${JSON.stringify(result.value, null, 2)}\n`);
  return 0;
}

/** The gold of a cell's dataset, from its cached corpus step. */
async function goldOf(s: Session, g: GlobalOptions, terminal: string) {
  const cache = openCache(g);
  const corpus = Object.values(s.plan.steps.get(terminal as never)?.inputs ?? {})
    .map((k) => s.plan.steps.get(k))
    .find((st) => st?.kind === 'corpus');
  if (!corpus || !(await cache.has('corpus', corpus.key))) {
    console.error(
      'the dataset has not been prepared yet: run `exp run` on the table first (its corpus step)',
    );
    return undefined;
  }
  const dir = cache.dir('corpus', corpus.key);
  const gold = await goldFromCorpus(dir);
  if (!gold.ok) console.error(gold.error.message);
  return gold.ok ? gold.value : undefined;
}

/** Paired randomisation test and bootstrap interval between two rows, per dataset and metric. */
export async function compareCommand(
  g: GlobalOptions,
  file: string,
  rowA: string,
  rowB: string,
): Promise<number> {
  const s = await session([file], g);
  if (!s) return 2;
  const cache = openCache(g);
  const perQuery = async (row: string, dataset: string): Promise<PerQuery[] | undefined> => {
    const c = s.plan.cells.find((x) => x.cell.row === row && x.cell.dataset === dataset);
    if (!c || !(await cache.has('evaluate', c.terminal))) return undefined;
    return JSON.parse(
      await readFile(path.join(cache.dir('evaluate', c.terminal), 'per-query.json'), 'utf8'),
    ) as PerQuery[];
  };
  let code = 0;
  for (const dataset of new Set(s.plan.cells.map((c) => c.cell.dataset))) {
    const [a, b] = [await perQuery(rowA, dataset), await perQuery(rowB, dataset)];
    if (!a || !b) {
      console.error(
        `${dataset}: "${rowA}" or "${rowB}" has no evaluated result; run the table first`,
      );
      code = 1;
      continue;
    }
    for (const metric of Object.keys(a[0]?.metrics ?? {})) {
      const paired = pairPerQuery(a, b, metric);
      const t = paired.ok ? pairedTest({ ...paired.value, seed: 0 }) : paired;
      if (!t.ok) {
        console.error(`${dataset} ${metric}: ${formatStatsError(t.error)}`);
        code = 1;
        continue;
      }
      const v = t.value;
      console.log(
        `${dataset.padEnd(14)} ${metric.padEnd(8)} ${rowA} − ${rowB} = ${v.diff.toFixed(2)}  95% CI [${v.ci[0].toFixed(2)}, ${v.ci[1].toFixed(2)}]  p = ${v.p.toFixed(4)}${v.exact ? ' (exact)' : ''}  n = ${String(v.n)}`,
      );
    }
  }
  return code;
}
