// Step kinds that produce model checkpoints: `base-model` (the local profile's tiny random
// Mistral-architecture model, or a reference to a hub checkpoint), `train-sft` and `train-rpo`.
// A model step's output holds `model.json` ({dir} inside the entry, or {hub, revision}); the
// trainers read weights from there.

import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { InputEntry, PlanContext, StepKind } from '../plan/step.js';
import { ok, type Json } from '../result.js';
import type { PromptFormat } from '../data/prompt-format.js';
import {
  FILES,
  checkpoint,
  completionIdentifiers,
  need,
  optional,
  promptFormat,
  readLines,
} from './common.js';
import { tokenizerFile } from './tokenizer.js';
import { train, trainerEnvHash } from './trainer.js';

const TINY = 'tiny-random';

/** Where a model step's weights are: a directory in its cache entry, or a hub id. */
export function modelPath(entry: InputEntry | undefined): string {
  const file = path.join(entry?.dir ?? '', 'model.json');
  const ref = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { dir?: string; hub?: string })
    : { dir: FILES.model };
  return ref.hub ?? path.join(entry?.dir ?? '', ref.dir ?? FILES.model);
}

/** Trainers on CPU run one torch thread (determinism.py), so they take one CPU slot. */
function gpu(ctx: PlanContext) {
  return { cpu: 1, gpu: ctx.profile.executor?.gpus ?? 0 };
}

function gpuHours(ctx: PlanContext, kind: string) {
  return { gpuHours: ctx.profile.gpu_hours_per_step?.[kind] ?? 0 };
}

export const baseModel: StepKind = {
  name: 'base-model',
  version: 1,
  plan: (ctx) => {
    const r = ctx.cell.recipe;
    const ckpt = checkpoint(r);
    const tiny = ckpt === TINY ? need<Record<string, number>>(r, 'model.tiny') : null;
    // A tiny model with its own vocabulary trains it on its dataset's corpus.
    const ownVocab = tiny?.vocab_size !== undefined;
    return {
      slice: {
        checkpoint: ckpt,
        revision: optional<string>(r, 'model.revision') ?? null,
        tokenizer: tiny && !ownVocab ? need<string>(r, 'model.tokenizer') : null,
        tiny,
        seed: tiny ? need<number>(r, 'seed') : null,
      },
      inputs: ownVocab ? { corpus: { kind: 'corpus' } } : undefined,
      env: tiny ? trainerEnvHash(ctx.repoRoot, ctx.profile) : {},
      label: `base-model:${ckpt}${ownVocab ? `:${ctx.cell.dataset}` : ''}`,
    };
  },
  run: async (ctx) => {
    const s = ctx.slice as {
      checkpoint: string;
      revision: string | null;
      tokenizer: string | null;
      tiny: Record<string, number> | null;
      seed: number | null;
    };
    if (s.checkpoint !== TINY || !s.tiny) {
      await writeFile(
        path.join(ctx.out, 'model.json'),
        JSON.stringify({ hub: s.checkpoint, revision: s.revision }),
      );
      return ok({ hub: s.checkpoint });
    }
    const { vocab_size: vocabSize, ...config } = s.tiny;
    const spec: { output_dir: string; [key: string]: Json } = {
      output_dir: ctx.out,
      config,
      seed: s.seed ?? 0,
    };
    if (vocabSize === undefined) {
      const tok = await tokenizerFile(ctx, s.tokenizer ?? '');
      if (!tok.ok) return tok;
      spec.tokenizer = tok.value;
    } else {
      const units = await readLines<{ text: string }>(
        path.join(ctx.inputs.corpus?.dir ?? '', FILES.corpus),
      );
      const textFile = path.join(ctx.work, 'tokenizer-text.txt');
      await writeFile(textFile, units.map((u) => u.text.replace(/\s+/g, ' ')).join('\n'));
      spec.train_tokenizer = { text_file: textFile, vocab_size: vocabSize };
    }
    const r = await train(ctx, 'init-model', spec);
    if (!r.ok) return r;
    await writeFile(path.join(ctx.out, 'model.json'), JSON.stringify({ dir: FILES.model }));
    return ok(r.value);
  },
};

export const trainSft: StepKind = {
  name: 'train-sft',
  version: 1,
  plan: (ctx) => {
    const r = ctx.cell.recipe;
    return {
      slice: {
        sft: need<Json>(r, 'sft'),
        identifier: need<string>(r, 'identifier.type'),
        prompt_format: promptFormat(r),
        seed: need<number>(r, 'seed'),
      },
      inputs: { data: { kind: 'sft-data' }, ids: { kind: 'ids' }, base: { kind: 'base-model' } },
      env: trainerEnvHash(ctx.repoRoot, ctx.profile),
      resources: gpu(ctx),
      cost: gpuHours(ctx, 'train-sft'),
      label: `train-sft:${ctx.cell.dataset}`,
    };
  },
  run: async (ctx) => {
    const s = ctx.slice as {
      sft: Record<string, Json>;
      identifier: string;
      prompt_format: PromptFormat;
      seed: number;
    };
    const r = await train(ctx, 'sft', {
      output_dir: ctx.out,
      checkpoint_dir: path.join(ctx.work, 'checkpoints'),
      model: modelPath(ctx.inputs.base),
      train_file: path.join(ctx.inputs.data?.dir ?? '', FILES.sft),
      identifiers_file: await completionIdentifiers(
        ctx.inputs.ids?.dir ?? '',
        s.prompt_format,
        path.join(ctx.work, FILES.identifiers),
      ),
      identifier_type: s.identifier,
      ...s.sft,
      seed: s.seed,
    });
    return r.ok ? ok(r.value) : r;
  },
};

export const trainRpo: StepKind = {
  name: 'train-rpo',
  version: 1,
  plan: (ctx) => {
    const r = ctx.cell.recipe;
    const p = (k: string) => need<Json>(r, `preference.${k}`);
    return {
      slice: {
        beta: p('beta'),
        alpha: p('alpha'),
        learning_rate: p('learning_rate'),
        epochs: p('epochs'),
        batch_size: p('batch_size'),
        per_device_batch_size: p('per_device_batch_size'),
        max_length: need<number>(r, 'sft.max_length'),
        seed: need<number>(r, 'seed'),
      },
      inputs: { sft: { kind: 'train-sft' }, pairs: { kind: 'mine-negatives' } },
      env: trainerEnvHash(ctx.repoRoot, ctx.profile),
      resources: gpu(ctx),
      cost: gpuHours(ctx, 'train-rpo'),
      label: `train-rpo:${ctx.cell.dataset}`,
    };
  },
  run: async (ctx) => {
    const r = await train(ctx, 'rpo', {
      output_dir: ctx.out,
      checkpoint_dir: path.join(ctx.work, 'checkpoints'),
      model: modelPath(ctx.inputs.sft),
      train_file: path.join(ctx.inputs.pairs?.dir ?? '', FILES.pairs),
      ...(ctx.slice as Record<string, Json>),
    });
    return r.ok ? ok(r.value) : r;
  },
};
