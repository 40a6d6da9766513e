// Off-the-shelf retrievers as table rows (Table 12): their steps produce a TREC run over the
// corpus units like `retrieve` does, and `evaluate` scores it with the same code.
// - `bm25`: bm25s in the trainer environment, settings from the row's `baseline`;
// - `dense`: bi-encoders with each model's published query/passage convention — not built yet.

import path from 'node:path';
import type { StepKind } from '../plan/step.js';
import { err, ok, type Json } from '../result.js';
import { FILES, need, optional } from './common.js';
import { train, trainerEnvHash } from './trainer.js';

interface Bm25Slice {
  k1: number;
  b: number;
  method: string;
  stopwords: boolean;
  stemmer: string | null;
  k: number;
}

export const bm25: StepKind = {
  name: 'bm25',
  version: 1,
  plan: (ctx) => {
    const r = ctx.cell.recipe;
    const slice: Bm25Slice = {
      k1: need(r, 'baseline.k1'),
      b: need(r, 'baseline.b'),
      method: need(r, 'baseline.method'),
      stopwords: need(r, 'baseline.stopwords'),
      stemmer: optional<string | null>(r, 'baseline.stemmer') ?? null,
      k: need(r, 'retrieval.k'),
    };
    return {
      slice: slice as unknown as Json,
      inputs: { corpus: { kind: 'corpus' } },
      env: trainerEnvHash(ctx.repoRoot, ctx.profile),
      label: `bm25:${ctx.cell.dataset}`,
    };
  },
  run: async (ctx) => {
    const dir = ctx.inputs.corpus?.dir ?? '';
    const r = await train(ctx, 'bm25', {
      output_dir: ctx.out,
      corpus_file: path.join(dir, FILES.corpus),
      queries_file: path.join(dir, FILES.testQueries),
      ...(ctx.slice as Record<string, Json>),
    });
    return r.ok ? ok(r.value) : r;
  },
};

export const dense: StepKind = {
  name: 'dense',
  version: 1,
  plan: (ctx) => ({
    slice: { model: need<string>(ctx.cell.recipe, 'baseline.model') },
    label: `dense:${need<string>(ctx.cell.recipe, 'baseline.model')}:${ctx.cell.dataset}`,
    blocked:
      'dense retrievers are not built yet (they need the model weights and a sentence-transformers trainer step)',
  }),
  run: () =>
    Promise.resolve(err({ reason: 'internal', message: 'dense retrieval is not built yet' })),
};
