// Step kind `contexts`: Context2ID inputs from the retrieval units — chunks of at most N tokens
// (several per long document, all mapping to the document, appendix A.2) and their sentences.

import path from 'node:path';
import { buildContexts } from '../data/contexts.js';
import type { StepKind } from '../plan/step.js';
import { ok, type Json } from '../result.js';
import { FILES, fromData, need } from './common.js';
import { loadTokenizer } from './tokenizer.js';
import { trainerEnvHash } from './trainer.js';

interface Slice {
  tokenizer: string;
  chunk_tokens: number;
}

export const contexts: StepKind = {
  name: 'contexts',
  version: 1,
  plan: (ctx) => ({
    slice: {
      tokenizer: need<string>(ctx.cell.recipe, 'model.tokenizer'),
      chunk_tokens: need<number>(ctx.cell.recipe, 'contexts.chunk_tokens'),
    },
    inputs: { corpus: { kind: 'corpus' } },
    env: trainerEnvHash(ctx.repoRoot, ctx.profile),
    label: `contexts:${ctx.cell.dataset}`,
  }),
  run: async (ctx) => {
    const s = ctx.slice as unknown as Slice;
    const tokenizer = await loadTokenizer(ctx, s.tokenizer);
    if (!tokenizer.ok) return tokenizer;
    const r = await buildContexts({
      corpusFile: path.join(ctx.inputs.corpus?.dir ?? '', FILES.corpus),
      contextsFile: path.join(ctx.out, FILES.contexts),
      sentencesFile: path.join(ctx.out, FILES.sentences),
      tokenizer: tokenizer.value,
      maxTokens: s.chunk_tokens,
    });
    return r.ok ? ok(r.value as unknown as Record<string, Json>) : fromData(r);
  },
};
