// Step kinds that produce model checkpoints: `base-model` (the local profile's tiny random
// Mistral-architecture model, a Hub checkpoint fetched into the cache, or a local directory; see
// weights.ts), `train-sft` and `train-rpo`.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PlanContext, StepKind, StepPlan } from '../plan/step.js';
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
import { fingerprint, isLocalDir, modelPath, TINY } from './weights.js';

/** Trainers on CPU run one torch thread (determinism.py), so they take one CPU slot. */
function gpu(ctx: PlanContext) {
  return { cpu: 1, gpu: ctx.profile.executor?.gpus ?? 0 };
}

function gpuHours(ctx: PlanContext, kind: string) {
  return { gpuHours: ctx.profile.gpu_hours_per_step?.[kind] ?? 0 };
}

interface BaseSlice {
  checkpoint: string;
  revision: string | null;
  /** A directory read in place: its fingerprint. */
  fingerprint?: string;
  tokenizer?: string | null;
  tiny?: Record<string, number> | null;
  seed?: number | null;
}

/** Step kind `base-model` (args: {checkpoint, field} for a model other than the recipe's own). */
export const baseModel: StepKind = {
  name: 'base-model',
  version: 2,
  plan: (ctx, args): StepPlan => {
    const r = ctx.cell.recipe;
    const a = (args ?? {}) as { checkpoint?: string; field?: string };
    const ckpt = a.checkpoint ?? checkpoint(r);
    const field = a.field ?? `model.${need<string>(r, 'model.variant')}`;
    if (isLocalDir(ckpt)) {
      const dir = path.resolve(ckpt);
      const there = existsSync(path.join(dir, 'config.json'));
      return {
        slice: { checkpoint: dir, revision: null, fingerprint: there ? fingerprint(dir) : '' },
        label: `model:${path.basename(dir)}`,
        ...(there ? {} : { blocked: `${field}: ${dir} holds no model (no config.json)` }),
      };
    }
    if (ckpt !== TINY) {
      const revision = a.checkpoint ? null : (optional<string>(r, 'model.revision') ?? null);
      return {
        slice: { checkpoint: ckpt, revision },
        env: trainerEnvHash(ctx.repoRoot, ctx.profile),
        label: `model:${ckpt}`,
        ...(ctx.profile.offline === true
          ? {
              blocked: `${field}: ${ckpt} must be fetched from the Hugging Face Hub and profile ${ctx.profile.name} is offline; use a profile that may download it, or set ${field} to a local directory holding the model`,
            }
          : {}),
      };
    }
    const tiny = need<Record<string, number>>(r, 'model.tiny');
    // A tiny model with its own vocabulary trains it on its dataset's corpus.
    const ownVocab = tiny.vocab_size !== undefined;
    return {
      slice: {
        checkpoint: ckpt,
        revision: null,
        tokenizer: ownVocab ? null : need<string>(r, 'model.tokenizer'),
        tiny,
        seed: need<number>(r, 'seed'),
      },
      inputs: ownVocab ? { corpus: { kind: 'corpus' } } : undefined,
      env: trainerEnvHash(ctx.repoRoot, ctx.profile),
      label: `base-model:${ckpt}${ownVocab ? `:${ctx.cell.dataset}` : ''}`,
    };
  },
  run: async (ctx) => {
    const s = ctx.slice as unknown as BaseSlice;
    if (s.fingerprint !== undefined) {
      await writeFile(path.join(ctx.out, 'model.json'), JSON.stringify({ path: s.checkpoint }));
      return ok({ path: s.checkpoint });
    }
    if (s.checkpoint !== TINY || !s.tiny) {
      const r = await train(
        ctx,
        'fetch-model',
        { output_dir: ctx.out, repo: s.checkpoint, revision: s.revision },
        { network: true },
      );
      return r.ok ? ok(r.value) : r;
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
    const r = await train(
      ctx,
      'sft',
      {
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
      },
      { distributed: true },
    );
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
    const r = await train(
      ctx,
      'rpo',
      {
        output_dir: ctx.out,
        checkpoint_dir: path.join(ctx.work, 'checkpoints'),
        model: modelPath(ctx.inputs.sft),
        train_file: path.join(ctx.inputs.pairs?.dir ?? '', FILES.pairs),
        ...(ctx.slice as Record<string, Json>),
      },
      { distributed: true },
    );
    return r.ok ? ok(r.value) : r;
  },
};
