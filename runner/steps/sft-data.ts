// Step kind `sft-data`: Context2ID + Query2ID examples for the trainer, combined by `concat` or
// the paper's upsampling `interleave` (see data/sft-data.ts), in the model's prompt format.

import path from 'node:path';
import { buildSftData } from '../data/sft-data.js';
import type { StepKind, StepRequest } from '../plan/step.js';
import { ok, type Json } from '../result.js';
import { FILES, fromData, need, promptFormat, querySets } from './common.js';

interface Slice {
  granularity: 'chunk' | 'sentence' | 'none';
  combine: 'concat' | 'interleave';
  prompt_format: 'mistral-instruct' | 'plain';
  sets: string[];
  seed: number;
}

export const sftData: StepKind = {
  name: 'sft-data',
  version: 1,
  plan: (ctx) => {
    const r = ctx.cell.recipe;
    const granularity = need<Slice['granularity']>(r, 'context2id.granularity');
    const slice: Slice = {
      granularity,
      // Without Context2ID there is nothing to interleave: both modes are the queries alone.
      combine: granularity === 'none' ? 'concat' : need(r, 'combine'),
      prompt_format: promptFormat(r),
      sets: querySets(r),
      seed: need(r, 'seed'),
    };
    const inputs: Record<string, StepRequest> = { ids: { kind: 'ids' } };
    if (slice.granularity !== 'none') inputs.contexts = { kind: 'contexts' };
    for (const set of slice.sets) inputs[`queries:${set}`] = { kind: 'queries', args: { set } };
    return { slice: slice as unknown as Json, inputs, label: `sft-data:${ctx.cell.dataset}` };
  },
  run: async (ctx) => {
    const s = ctx.slice as unknown as Slice;
    const contexts = ctx.inputs.contexts?.dir;
    const r = await buildSftData({
      identifiersFile: path.join(ctx.inputs.ids?.dir ?? '', FILES.identifiers),
      contextFile:
        contexts === undefined
          ? undefined
          : path.join(contexts, s.granularity === 'sentence' ? FILES.sentences : FILES.contexts),
      queryFiles: s.sets.map((set) =>
        path.join(ctx.inputs[`queries:${set}`]?.dir ?? '', FILES.queries),
      ),
      combine: s.combine,
      seed: s.seed,
      promptFormat: s.prompt_format,
      outFile: path.join(ctx.out, FILES.sft),
    });
    return r.ok ? ok(r.value as unknown as Record<string, Json>) : fromData(r);
  },
};
