// CSV tables built from result records only: the paper's wide layout (one line per row, a column
// per dataset × metric, with the reference value and the delta when the table names a
// reference) and a long layout (`table,row,dataset,seed,metric,value,reference`). Missing cells
// are marked, never left looking like zero. Does not run anything.

import { stringify } from 'csv-stringify/sync';
import type { ResolvedExperiment } from '../config/resolve.js';
import type { ReferenceFile } from '../config/load.js';
import type { PlannedCell } from '../plan/graph.js';
import type { ResultRecord } from './records.js';

export interface TableCsv {
  wide: string;
  long: string;
  /** Cells without a record, with the reason the table shows for them. */
  absent: { cell: PlannedCell; state: CellState }[];
}

/** Why a cell has no value: never computed, a step failed, or this profile cannot compute it. */
export type CellState = 'missing' | 'failed' | 'blocked';

/** Counts print as integers; metrics and rates with two decimals, as the paper prints them. */
const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

/** Columns of the tables that report something other than a dataset's retrieval metrics. */
export const COLUMNS = {
  statistics: ['contexts', 'chunk_queries', 'sentence_queries', 'constraints_queries'],
  similarity: ['win_rate', 'tie_rate'],
} as const;

function meanSd(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const sd =
    values.length > 1
      ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1))
      : 0;
  return { mean, sd };
}

export function buildTable(
  exp: ResolvedExperiment,
  cells: PlannedCell[],
  records: Map<string, ResultRecord>,
  reference: ReferenceFile | undefined,
  stateOf: (c: PlannedCell) => CellState = () => 'missing',
): TableCsv {
  const { table } = exp.experiment.value;
  const ref = reference?.tables[table];
  const refName = reference?.name ?? 'reference';
  const kind = exp.experiment.value.kind ?? 'retrieval';
  const metricsOf = new Map<string, string[]>();
  for (const c of cells) {
    const m = kind === 'retrieval' ? c.cell.recipe.metrics : [...COLUMNS[kind]];
    if (Array.isArray(m) && !metricsOf.has(c.cell.dataset))
      metricsOf.set(c.cell.dataset, m.map(String));
  }
  const datasets = exp.experiment.value.datasets.filter((d) => metricsOf.has(d));
  const header = ['row'];
  for (const d of datasets) {
    for (const m of metricsOf.get(d) ?? []) {
      header.push(`${d} ${m}`);
      if (ref) header.push(`${d} ${m} ${refName}`, `${d} ${m} Δ`);
    }
  }
  const wide: string[][] = [header];
  const long: string[][] = [['table', 'row', 'dataset', 'seed', 'metric', 'value', 'reference']];
  const absent: TableCsv['absent'] = [];
  for (const row of exp.rows) {
    const line = [row];
    for (const d of datasets) {
      const mine = cells.filter((c) => c.cell.row === row && c.cell.dataset === d);
      const found = mine.map((c) => ({ c, r: records.get(c.terminal) }));
      for (const f of found) if (!f.r) absent.push({ cell: f.c, state: stateOf(f.c) });
      for (const m of metricsOf.get(d) ?? []) {
        const refValue = ref?.[row]?.[d]?.[m];
        const values = found.flatMap((f) => (f.r?.values[m] !== undefined ? [f.r.values[m]] : []));
        for (const f of found) {
          const v = f.r?.values[m];
          long.push([
            table,
            row,
            d,
            String(f.c.cell.seed),
            m,
            v !== undefined ? fmt(v) : f.r ? '' : stateOf(f.c),
            refValue === undefined ? '' : fmt(refValue),
          ]);
        }
        if (mine.length === 0) line.push('');
        else if (values.length < mine.length) {
          const without = found.find((f) => !f.r)?.c;
          line.push(without ? stateOf(without) : '');
        } else {
          const { mean, sd } = meanSd(values);
          line.push(values.length > 1 ? `${fmt(mean)} ± ${fmt(sd)}` : fmt(mean));
        }
        if (ref) {
          line.push(refValue === undefined ? '' : fmt(refValue));
          const ok = values.length === mine.length && mine.length > 0 && refValue !== undefined;
          line.push(ok ? fmt(meanSd(values).mean - refValue) : '');
        }
      }
    }
    wide.push(line);
  }
  return { wide: stringify(wide), long: stringify(long), absent };
}
