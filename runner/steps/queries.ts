// Step kind `queries` (args: {set}): one query set in the query-file contract.
// - chunk: questions per retrieval unit (a whole document for document-level datasets, as
//   Table 9's counts show: ~m per document), truncated to `contexts.max_context_tokens` if set;
// - sentence: questions per sentence of the units;
// - constraints: questions that must use the unit's metadata (the dataset's attributes);
// - qa: hard query–answer pairs for the preference stage (a fresh batch, appendix A);
// - human: the dataset's own training queries (NQ);
// - doct5query: docT5query (Nogueira et al. 2019) samples m queries per unit, trainer-side;
// - filtered: DSI-QG's pipeline (Chunk-F): m docT5query samples per unit, of which a cross-encoder
//   reranker keeps the filter_top most relevant to their own unit.

import { copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chunkText } from '../data/chunk.js';
import { writeJsonl } from '../data/jsonl.js';
import type { CorpusUnit, SentenceRecord } from '../data/records.js';
import type { Unit } from '../llm/generate.js';
import type { Task } from '../llm/types.js';
import type { PlanContext, RunContext, StepKind, StepPlan } from '../plan/step.js';
import { err, ok, type Json } from '../result.js';
import { FILES, need, oneGpu, optional, readLines } from './common.js';
import { estimateCost, generate, promptEnv, roleOf, type RoleSlice } from './generation.js';
import { loadTokenizer } from './tokenizer.js';
import { train, trainerEnvHash } from './trainer.js';
import { modelPath, weights } from './weights.js';

export type QuerySet =
  'chunk' | 'sentence' | 'constraints' | 'qa' | 'human' | 'doct5query' | 'filtered';

interface Slice {
  set: QuerySet;
  m: number;
  attributes: string[];
  dataset: string;
  role: RoleSlice;
  tokenizer: string;
  max_context_tokens: number | null;
}

const taskOf: Record<'chunk' | 'sentence' | 'constraints' | 'qa', Task> = {
  chunk: 'questions',
  sentence: 'questions',
  constraints: 'constraints',
  qa: 'qa-pairs',
};

function planQueries(ctx: PlanContext, args: Json): StepPlan {
  const set = (args as { set: QuerySet }).set;
  const r = ctx.cell.recipe;
  const label = `queries:${set}:${ctx.cell.dataset}`;
  if (set === 'human') return { slice: { set }, inputs: { corpus: { kind: 'corpus' } }, label };
  if (set === 'doct5query' || set === 'filtered') return planModelQueries(ctx, set, args);
  const role = roleOf(r, set === 'qa' ? 'qa' : 'queries');
  const m =
    set === 'qa'
      ? need<number>(r, 'preference.queries_per_unit')
      : need<number>(r, `queries.${set}.m`);
  const slice: Slice = {
    set,
    m,
    attributes: set === 'constraints' ? need<string[]>(r, 'queries.constraints.attributes') : [],
    dataset: ctx.cell.dataset,
    role,
    tokenizer: need<string>(r, 'model.tokenizer'),
    max_context_tokens: optional<number | null>(r, 'contexts.max_context_tokens') ?? null,
  };
  const est = ctx.dataset.estimate;
  const units =
    set === 'sentence'
      ? Math.round((est?.contexts ?? 0) * (est?.sentences_per_context ?? 0))
      : (est?.units ?? est?.contexts ?? 0);
  return {
    slice: slice as unknown as Json,
    inputs:
      set === 'sentence'
        ? { contexts: { kind: 'contexts' }, corpus: { kind: 'corpus' } }
        : { corpus: { kind: 'corpus' } },
    env: {
      ...promptEnv(taskOf[set]),
      ...(slice.max_context_tokens ? trainerEnvHash(ctx.repoRoot, ctx.profile) : {}),
    },
    resources: { llm: 1 },
    cost: estimateCost(ctx.profile, taskOf[set], role, units, m),
    label,
  };
}

type ModelSlice = { m: number; model: string; seed: number } & (
  { set: 'doct5query'; top_k: number } | { set: 'filtered'; filter_top: number; reranker: string }
);

/** Queries from models run trainer-side: docT5query samples, and their reranked subset. The
 * raw samples for `filtered` are the doct5query step with the filter's m and model (args). */
function planModelQueries(ctx: PlanContext, set: ModelSlice['set'], args: Json): StepPlan {
  const r = ctx.cell.recipe;
  const a = args as { m?: number; model?: string };
  const m = a.m ?? need<number>(r, `queries.${set}.m`);
  const model = a.model ?? need<string>(r, `queries.${set}.model`);
  const common = {
    env: trainerEnvHash(ctx.repoRoot, ctx.profile),
    resources: oneGpu(ctx),
    label: `queries:${set}:${ctx.cell.dataset}`,
  };
  if (set === 'doct5query') {
    const slice: ModelSlice = { set, m, model, top_k: 10, seed: need(r, 'seed') };
    return {
      ...common,
      slice,
      inputs: {
        corpus: { kind: 'corpus' },
        weights: weights(model, a.model ? 'queries.filtered.model' : 'queries.doct5query.model'),
      },
      cost: { gpuHours: ctx.profile.gpu_hours_per_step?.doct5query ?? 0 },
    };
  }
  const reranker = need<string>(r, 'queries.filtered.reranker');
  const slice: ModelSlice = {
    set: 'filtered',
    m,
    model,
    filter_top: need(r, 'queries.filtered.filter_top'),
    reranker,
    seed: need(r, 'seed'),
  };
  return {
    ...common,
    slice,
    inputs: {
      corpus: { kind: 'corpus' },
      raw: { kind: 'queries', args: { set: 'doct5query', m, model } },
      weights: weights(reranker, 'queries.filtered.reranker'),
    },
  };
}

async function runModelQueries(ctx: RunContext, s: ModelSlice) {
  const unitsFile = path.join(ctx.inputs.corpus?.dir ?? '', FILES.corpus);
  const r =
    s.set === 'doct5query'
      ? await train(ctx, 'doct5query', {
          output_dir: ctx.out,
          model: modelPath(ctx.inputs.weights),
          units_file: unitsFile,
          m: s.m,
          top_k: s.top_k,
          seed: s.seed,
        })
      : await train(ctx, 'rerank', {
          output_dir: ctx.out,
          model: modelPath(ctx.inputs.weights),
          queries_file: path.join(ctx.inputs.raw?.dir ?? '', FILES.queries),
          units_file: unitsFile,
          top: s.filter_top,
        });
  return r.ok ? ok(r.value) : r;
}

export const queries: StepKind = {
  name: 'queries',
  version: 1,
  plan: planQueries,
  run: async (ctx) => {
    const s = ctx.slice as unknown as Slice;
    if (s.set === 'doct5query' || s.set === 'filtered')
      return runModelQueries(ctx, ctx.slice as unknown as ModelSlice);
    const corpusDir = ctx.inputs.corpus?.dir ?? '';
    if (s.set === 'human') {
      const file = path.join(corpusDir, 'human-queries.jsonl');
      if (!existsSync(file))
        return err({
          reason: 'missing-input',
          message: 'this dataset has no human training queries (human-queries.jsonl)',
        });
      await copyFile(file, path.join(ctx.out, FILES.queries));
      return ok({ set: 'human' });
    }
    const units = await readLines<CorpusUnit>(path.join(corpusDir, FILES.corpus));
    let inputs: Unit[];
    let unitOf = new Map<string, string>();
    if (s.set === 'sentence') {
      const sentences = await readLines<SentenceRecord>(
        path.join(ctx.inputs.contexts?.dir ?? '', FILES.sentences),
      );
      inputs = sentences.map((x) => ({ id: x.id, text: x.text, metadata: {} }));
      unitOf = new Map(sentences.map((x) => [x.id, x.unit]));
    } else {
      inputs = units.map((u) => ({
        id: u.id,
        text: u.text,
        metadata:
          s.set === 'constraints'
            ? Object.fromEntries(
                s.attributes.flatMap((a) => (u.metadata[a] ? [[a, u.metadata[a]]] : [])),
              )
            : {},
      }));
      if (s.max_context_tokens) {
        // Long pages are cut so the prompt leaves room for the answer (appendix A.4).
        const tokenizer = await loadTokenizer(ctx, s.tokenizer);
        if (!tokenizer.ok) return tokenizer;
        const max = s.max_context_tokens;
        inputs = inputs.map((u) => ({
          ...u,
          text: chunkText(u.text, { tokenizer: tokenizer.value, maxTokens: max })[0]?.text ?? '',
        }));
      }
    }
    const g = await generate(ctx, {
      task: taskOf[s.set],
      kind: s.set,
      units: inputs,
      m: s.m,
      dataset: s.dataset,
      role: s.role,
    });
    if (!g.ok) return g;
    // Sentence-level queries point at the sentence's retrieval unit.
    const records = g.value.records.map((q) => ({ ...q, unit: unitOf.get(q.unit) ?? q.unit }));
    await writeJsonl(path.join(ctx.out, FILES.queries), records);
    return ok({ generation: g.value.report, records: records.length });
  },
};
