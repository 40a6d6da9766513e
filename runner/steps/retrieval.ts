// Step kinds `retrieve` (args: {model, queries}) — Trie-constrained generation of identifiers
// for the test queries or the preference queries, as a TREC run over units — and
// `mine-negatives` — preference pairs from the SFT model's own ranking (paper §4.3).

import path from 'node:path';
import { formatExample, type PromptFormat } from '../data/prompt-format.js';
import type { IdentifierRecord, QueryRecord, TestQuery } from '../data/records.js';
import { writeJsonl } from '../data/jsonl.js';
import { formatMiningError, mineNegatives, type NegativesSpec } from '../eval/negatives.js';
import { formatTrecError, rankedIds, readRun } from '../eval/trec.js';
import type { PlanContext, StepKind } from '../plan/step.js';
import { err, ok, type Json } from '../result.js';
import {
  FILES,
  completionIdentifiers,
  need,
  oneGpu,
  optional,
  promptFormat,
  readLines,
} from './common.js';
import { modelPath } from './weights.js';
import { train, trainerEnvHash } from './trainer.js';

type Which = 'test' | 'preference';

interface RetrieveSlice {
  queries: Which;
  beam: number;
  k: number;
  identifier: 'semantic' | 'atomic';
  prompt_format: PromptFormat;
  use_first: number | null;
}

/** Which trained model answers a cell's test queries: RPO's when it has a preference stage. */
export function finalModel(ctx: PlanContext): 'train-sft' | 'train-rpo' {
  return need<string>(ctx.cell.recipe, 'preference.negatives') === 'none'
    ? 'train-sft'
    : 'train-rpo';
}

/** Preference queries: the fresh query–answer batch, only the first N per unit when set (NQ). */
async function preferenceQueries(dir: string, useFirst: number | null): Promise<QueryRecord[]> {
  const all = await readLines<QueryRecord>(path.join(dir, FILES.queries));
  if (useFirst === null) return all;
  const seen = new Map<string, number>();
  return all.filter((q) => {
    const n = (seen.get(q.unit) ?? 0) + 1;
    seen.set(q.unit, n);
    return n <= useFirst;
  });
}

export const retrieve: StepKind = {
  name: 'retrieve',
  version: 1,
  plan: (ctx, args) => {
    const a = args as { model: 'train-sft' | 'train-rpo'; queries: Which };
    const r = ctx.cell.recipe;
    const slice: RetrieveSlice = {
      queries: a.queries,
      beam: need(r, 'retrieval.beam'),
      k: need(r, 'retrieval.k'),
      identifier: need(r, 'identifier.type'),
      prompt_format: promptFormat(r),
      use_first:
        a.queries === 'preference'
          ? (optional<number | null>(r, 'preference.use_first') ?? null)
          : null,
    };
    return {
      slice: slice as unknown as Json,
      inputs: {
        model: { kind: a.model },
        ids: { kind: 'ids' },
        queries:
          a.queries === 'test' ? { kind: 'corpus' } : { kind: 'queries', args: { set: 'qa' } },
      },
      env: trainerEnvHash(ctx.repoRoot, ctx.profile),
      resources: oneGpu(ctx),
      cost: { gpuHours: ctx.profile.gpu_hours_per_step?.retrieve ?? 0 },
      label: `retrieve:${a.queries}:${a.model === 'train-rpo' ? 'rpo' : 'sft'}:${ctx.cell.dataset}`,
    };
  },
  run: async (ctx) => {
    const s = ctx.slice as unknown as RetrieveSlice;
    const dir = ctx.inputs.queries?.dir ?? '';
    const queries: { id: string; text: string }[] =
      s.queries === 'test'
        ? await readLines<TestQuery>(path.join(dir, FILES.testQueries))
        : await preferenceQueries(dir, s.use_first);
    const file = path.join(ctx.work, 'prompts.jsonl');
    await writeJsonl(
      file,
      queries.map((q) => ({ id: q.id, prompt: formatExample(s.prompt_format, q.text, '').prompt })),
    );
    const r = await train(ctx, 'retrieve', {
      output_dir: ctx.out,
      model: modelPath(ctx.inputs.model),
      queries_file: file,
      identifiers_file: await completionIdentifiers(
        ctx.inputs.ids?.dir ?? '',
        s.prompt_format,
        path.join(ctx.work, FILES.identifiers),
      ),
      identifier_type: s.identifier,
      beam_size: s.beam,
      k: s.k,
      batch_size: 16,
      run_name: 'exp',
    });
    return r.ok ? ok({ queries: queries.length, ...r.value }) : r;
  },
};

interface MineSlice {
  negatives: NegativesSpec['strategy'];
  k: number;
  seed: number;
  prompt_format: PromptFormat;
}

export const mineNegativesKind: StepKind = {
  name: 'mine-negatives',
  version: 1,
  plan: (ctx) => {
    const r = ctx.cell.recipe;
    const negatives = need<NegativesSpec['strategy']>(r, 'preference.negatives');
    const slice: MineSlice = {
      negatives,
      k: need(r, 'preference.k'),
      seed: need(r, 'seed'),
      prompt_format: promptFormat(r),
    };
    return {
      slice: slice as unknown as Json,
      inputs: {
        // Random negatives need no ranking, but the same preference queries: the SFT model's
        // retrieval is planned for both so that their query sets are identical.
        run: { kind: 'retrieve', args: { model: 'train-sft', queries: 'preference' } },
        queries: { kind: 'queries', args: { set: 'qa' } },
        ids: { kind: 'ids' },
      },
      label: `mine-negatives:${negatives}-${String(slice.k)}:${ctx.cell.dataset}`,
    };
  },
  run: async (ctx) => {
    const s = ctx.slice as unknown as MineSlice;
    const run = await readRun(path.join(ctx.inputs.run?.dir ?? '', FILES.run));
    if (!run.ok) return err({ reason: 'bad-data', message: formatTrecError(run.error) });
    const ranked = rankedIds(run.value);
    const ids = await readLines<IdentifierRecord>(
      path.join(ctx.inputs.ids?.dir ?? '', FILES.identifiers),
    );
    const identifiers = new Map(ids.map((i) => [i.unit, i.identifier]));
    const asked = (ctx.inputs.run?.report as { queries?: number } | undefined)?.queries;
    const qa = (
      await readLines<QueryRecord>(path.join(ctx.inputs.queries?.dir ?? '', FILES.queries))
    ).filter((q) => ranked.has(q.id));
    const spec: NegativesSpec =
      s.negatives === 'random'
        ? { strategy: 'random', k: s.k, seed: s.seed }
        : s.negatives === 'model-top'
          ? { strategy: 'model-top', k: s.k }
          : { strategy: 'none' };
    const mined = mineNegatives({
      queries: qa.map((q) => ({
        qid: q.id,
        prompt: formatExample(s.prompt_format, q.text, '').prompt,
        positive: q.unit,
        ranked: ranked.get(q.id) ?? [],
      })),
      spec,
      identifiers,
    });
    if (!mined.ok) return err({ reason: 'bad-data', message: formatMiningError(mined.error) });
    // The trainer sees identifiers laid out as completions, exactly as in SFT.
    const completion = (unit: string) =>
      formatExample(s.prompt_format, '', identifiers.get(unit) ?? '').completion;
    await writeJsonl(
      path.join(ctx.out, FILES.pairs),
      mined.value.pairs.map((p) => ({
        prompt: p.prompt,
        chosen: completion(p.positive),
        rejected: completion(p.negative),
        query: p.query,
        positive: p.positive,
        negative: p.negative,
      })),
    );
    if (mined.value.report.pairs === 0 && s.negatives !== 'none') {
      return err({
        reason: 'bad-data',
        message: `no preference pairs: the SFT model ranked the positive first for all ${String(mined.value.report.queries)} preference queries`,
      });
    }
    return ok({
      ...(mined.value.report as unknown as Record<string, Json>),
      retrieved: asked ?? null,
    });
  },
};
