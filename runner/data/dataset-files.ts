// The normalised files every dataset adapter writes into its output directory, and the shared
// checks on them: unit ids unique, every qrel naming a known unit and query. Adapters build
// records; this module fixes file names and formats (DESIGN "Data formats") in one place.
// It does not chunk, split or generate anything.

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CorpusUnit, Qrel, QueryRecord, TestQuery } from './records.js';
import { writeJsonl } from './jsonl.js';

export const DATASET_FILES = {
  corpus: 'corpus.jsonl',
  queries: 'queries.jsonl',
  qrels: 'qrels.txt',
} as const;

export interface DatasetRecords {
  units: readonly CorpusUnit[];
  queries: readonly TestQuery[];
  qrels: readonly Qrel[];
  /** Extra query sets in the generation contract, by file stem (e.g. NQ's human training queries). */
  querySets?: Record<string, readonly QueryRecord[]>;
}

/** TREC qrels: `qid 0 unit rel`, one per line. */
export function formatQrels(qrels: readonly Qrel[]): string {
  return qrels.map((q) => `${q.qid} 0 ${q.unit} ${String(q.rel)}\n`).join('');
}

export async function writeDataset(outDir: string, d: DatasetRecords): Promise<void> {
  await writeJsonl(path.join(outDir, DATASET_FILES.corpus), d.units);
  await writeJsonl(path.join(outDir, DATASET_FILES.queries), d.queries);
  await writeFile(path.join(outDir, DATASET_FILES.qrels), formatQrels(d.qrels));
  for (const [stem, records] of Object.entries(d.querySets ?? {})) {
    await writeJsonl(path.join(outDir, `${stem}.jsonl`), records);
  }
}
