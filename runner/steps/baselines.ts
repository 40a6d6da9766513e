// Off-the-shelf retrievers as table rows (Table 12): their steps produce a TREC run over the
// corpus units like `retrieve` does, and `evaluate` scores it with the same code.
// - `bm25`: bm25s in the trainer environment, settings from the row's `baseline`;
// - `dense`: a bi-encoder with its published query/passage convention (formats, pooling,
//   normalisation, EOS) from the row's `baseline`; `dense-encode` embeds the corpus units once per
//   model and passage convention, and `dense` embeds the queries and searches exactly.

import path from 'node:path';
import type { PlanContext, StepKind } from '../plan/step.js';
import { ok, type Json } from '../result.js';
import { FILES, need, oneGpu, optional } from './common.js';
import { train, trainerEnvHash } from './trainer.js';
import { modelPath, weights } from './weights.js';

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

interface DenseSlice {
  model: string;
  pooling: string;
  normalize: boolean;
  append_eos: boolean;
  max_length: number;
  [key: string]: Json;
}

function denseSlice(ctx: PlanContext): DenseSlice {
  const r = ctx.cell.recipe;
  return {
    model: need(r, 'baseline.model'),
    pooling: need(r, 'baseline.pooling'),
    normalize: need(r, 'baseline.normalize'),
    append_eos: optional<boolean>(r, 'baseline.append_eos') ?? false,
    max_length: optional<number>(r, 'baseline.max_length') ?? 512,
  };
}

export const denseEncode: StepKind = {
  name: 'dense-encode',
  version: 1,
  plan: (ctx) => {
    const slice = {
      ...denseSlice(ctx),
      passage_format: need<string>(ctx.cell.recipe, 'baseline.passage_format'),
    };
    return {
      slice,
      inputs: { corpus: { kind: 'corpus' }, weights: weights(slice.model, 'baseline.model') },
      env: trainerEnvHash(ctx.repoRoot, ctx.profile),
      resources: oneGpu(ctx),
      cost: { gpuHours: ctx.profile.gpu_hours_per_step?.['dense-encode'] ?? 0 },
      label: `dense-encode:${slice.model}:${ctx.cell.dataset}`,
    };
  },
  run: async (ctx) => {
    const r = await train(ctx, 'encode', {
      ...(ctx.slice as DenseSlice),
      output_dir: ctx.out,
      // The fetched (or in-place) weights' directory replaces the model's name.
      model: modelPath(ctx.inputs.weights),
      texts_file: path.join(ctx.inputs.corpus?.dir ?? '', FILES.corpus),
    });
    return r.ok ? ok(r.value) : r;
  },
};

export const dense: StepKind = {
  name: 'dense',
  version: 2,
  plan: (ctx) => {
    const r = ctx.cell.recipe;
    const slice = {
      ...denseSlice(ctx),
      query_format: need<string>(r, 'baseline.query_format'),
      k: need<number>(r, 'retrieval.k'),
    };
    return {
      slice,
      inputs: {
        corpus: { kind: 'corpus' },
        embeddings: { kind: 'dense-encode' },
        weights: weights(slice.model, 'baseline.model'),
      },
      env: trainerEnvHash(ctx.repoRoot, ctx.profile),
      resources: oneGpu(ctx),
      label: `dense:${slice.model}:${ctx.cell.dataset}`,
    };
  },
  run: async (ctx) => {
    const r = await train(ctx, 'dense-search', {
      ...(ctx.slice as DenseSlice),
      output_dir: ctx.out,
      model: modelPath(ctx.inputs.weights),
      queries_file: path.join(ctx.inputs.corpus?.dir ?? '', FILES.testQueries),
      embeddings_dir: ctx.inputs.embeddings?.dir ?? '',
    });
    return r.ok ? ok(r.value) : r;
  },
};
