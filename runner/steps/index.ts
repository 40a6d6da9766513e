// The built-in step kinds of the generative-retrieval pipeline (DESIGN "The pipeline"):
// corpus → contexts → ids → queries → sft-data → base-model → train-sft → retrieve(preference)
// → mine-negatives → train-rpo → retrieve(test) → evaluate, plus the Table 9 and Figure 2
// terminals.

import type { StepKind } from '../plan/step.js';
import { bm25, dense, denseEncode } from './baselines.js';
import { contexts } from './contexts.js';
import { corpus, metadata } from './corpus.js';
import { evaluate, similarity, stats } from './evaluate.js';
import { ids } from './ids.js';
import { baseModel, trainRpo, trainSft } from './models.js';
import { queries } from './queries.js';
import { mineNegativesKind, retrieve } from './retrieval.js';
import { sftData } from './sft-data.js';

export function builtinKinds(): StepKind[] {
  return [
    corpus,
    metadata,
    contexts,
    ids,
    queries,
    sftData,
    baseModel,
    trainSft,
    retrieve,
    mineNegativesKind,
    trainRpo,
    evaluate,
    stats,
    similarity,
    bm25,
    denseEncode,
    dense,
  ];
}

/** The step that finishes a cell, by the experiment's kind. */
export const terminals = {
  retrieval: 'evaluate',
  statistics: 'stats',
  similarity: 'similarity',
} as const;
