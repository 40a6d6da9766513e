// Table 9 statistics: the number of contexts and of queries per kind for a dataset, counted by
// streaming the step outputs. Beside the paper's numbers this is what `table9.yaml` reports.
// It counts records; it does not validate them beyond their `kind` (the producers did).

import type { Result } from '../result.js';
import type { DataError } from './errors.js';
import { catchData, readJsonl } from './jsonl.js';

export interface DatasetStats {
  contexts: number;
  /** Queries per `kind`: chunk, sentence, constraints, human, … */
  queries: Record<string, number>;
}

export async function datasetStats(opts: {
  contextsFile: string;
  queryFiles: readonly string[];
}): Promise<Result<DatasetStats, DataError>> {
  return catchData(async () => {
    let contexts = 0;
    for await (const { line } of readJsonl(opts.contextsFile)) if (line > 0) contexts++;
    const queries: Record<string, number> = {};
    for (const file of opts.queryFiles) {
      for await (const { value } of readJsonl(file)) {
        const kind =
          value !== null &&
          typeof value === 'object' &&
          !Array.isArray(value) &&
          typeof value['kind'] === 'string'
            ? value['kind']
            : 'unknown';
        queries[kind] = (queries[kind] ?? 0) + 1;
      }
    }
    return { contexts, queries };
  });
}
