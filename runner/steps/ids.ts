// Step kind `ids`: one identifier per retrieval unit — atomic (a new token per unit) or semantic
// (the keywords an LLM gives for the unit, collisions resolved deterministically).

import path from 'node:path';
import type { CorpusUnit } from '../data/records.js';
import { atomicIdentifiers, semanticIdentifiers } from '../data/identifiers.js';
import { writeJsonl } from '../data/jsonl.js';
import type { StepKind } from '../plan/step.js';
import { ok, type Json } from '../result.js';
import { FILES, fromData, need, readLines } from './common.js';
import { estimateCost, generate, promptEnv, roleOf, type RoleSlice } from './generation.js';
import { loadTokenizer } from './tokenizer.js';
import { trainerEnvHash } from './trainer.js';

interface Slice {
  type: 'semantic' | 'atomic';
  tokenizer: string;
  role: RoleSlice | null;
}

export const ids: StepKind = {
  name: 'ids',
  version: 1,
  plan: (ctx) => {
    const type = need<'semantic' | 'atomic'>(ctx.cell.recipe, 'identifier.type');
    const role = type === 'semantic' ? roleOf(ctx.cell.recipe, 'keywords') : null;
    return {
      slice: {
        type,
        tokenizer: need<string>(ctx.cell.recipe, 'model.tokenizer'),
        role,
      } as unknown as Json,
      inputs: { corpus: { kind: 'corpus' } },
      env: { ...trainerEnvHash(ctx.repoRoot, ctx.profile), ...(role ? promptEnv('keywords') : {}) },
      resources: role ? { llm: 1 } : {},
      cost: role
        ? estimateCost(ctx.profile, 'keywords', role, ctx.dataset.estimate?.contexts ?? 0, 1)
        : {},
      label: `ids:${type}:${ctx.cell.dataset}`,
    };
  },
  run: async (ctx) => {
    const s = ctx.slice as unknown as Slice;
    const tokenizer = await loadTokenizer(ctx, s.tokenizer);
    if (!tokenizer.ok) return tokenizer;
    const units = await readLines<CorpusUnit>(
      path.join(ctx.inputs.corpus?.dir ?? '', FILES.corpus),
    );
    let result;
    let generation: Json = null;
    if (s.type === 'atomic' || !s.role) {
      result = atomicIdentifiers(
        units.map((u) => u.id),
        tokenizer.value,
      );
    } else {
      const g = await generate(ctx, {
        task: 'keywords',
        kind: 'keywords',
        units,
        m: 1,
        dataset: '',
        role: s.role,
      });
      if (!g.ok) return g;
      await writeJsonl(path.join(ctx.out, 'keywords.jsonl'), g.value.records);
      generation = g.value.report;
      const r = semanticIdentifiers({
        units: units.map((u) => u.id),
        keywords: g.value.records.map((k) => ({ unit: k.unit, keywords: k.text.split(', ') })),
        texts: new Map(units.map((u) => [u.id, u.text])),
        tokenizer: tokenizer.value,
        file: path.join(ctx.out, 'keywords.jsonl'),
      });
      if (!r.ok) return fromData(r);
      result = r.value;
    }
    await writeJsonl(path.join(ctx.out, FILES.identifiers), result.identifiers);
    return ok({ identifiers: result.report as unknown as Json, generation });
  },
};
