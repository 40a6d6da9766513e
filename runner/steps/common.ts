// Helpers shared by the built-in step kinds: reading recipe values (a missing one is a config
// error naming the field), the prompt format and checkpoint a recipe's model variant implies,
// and the small file conventions between steps. Step kinds stay thin on top of these.

import type { Recipe } from '../config/load.js';
import { getPath, isObject } from '../config/merge.js';
import path from 'node:path';
import { formatExample, type PromptFormat } from '../data/prompt-format.js';
import { formatDataError, type DataError } from '../data/errors.js';
import { readJsonl, writeJsonl } from '../data/jsonl.js';
import type { Json, Result } from '../result.js';
import type { PlanContext, Resources, StepFailure } from '../plan/step.js';

/** A recipe value the step cannot do without; its absence is a config error. The schema has
 * already checked its type, so callers name it. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function need<T extends Json>(recipe: Recipe, path: string): T {
  const v = getPath(recipe, path.split('.'));
  if (v === undefined)
    throw new Error(
      `the recipe has no value for "${path}"; set it in the dataset file or the profile`,
    );
  return v as T;
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function optional<T extends Json>(recipe: Recipe, path: string): T | undefined {
  return getPath(recipe, path.split('.')) as T | undefined;
}

/** The query sets switched on in a recipe (a set is off when null or absent). */
export function querySets(recipe: Recipe): string[] {
  const q = optional<Json>(recipe, 'queries');
  return isObject(q)
    ? Object.keys(q)
        .filter((k) => q[k] !== null)
        .sort()
    : [];
}

/** Inference steps (retrieval, encoding, query generation) hold one GPU when the profile has
 * any, so several run side by side; on CPU, one slot. */
export function oneGpu(ctx: PlanContext): Partial<Resources> {
  return { cpu: 1, gpu: Math.min(1, ctx.profile.executor?.gpus ?? 0) };
}

export type Variant = 'instruct' | 'base';

/** Instruct models see the Mistral chat format; base models (atomic ids) a plain prompt. */
export function promptFormat(recipe: Recipe): PromptFormat {
  return need<Variant>(recipe, 'model.variant') === 'instruct' ? 'mistral-instruct' : 'plain';
}

export function checkpoint(recipe: Recipe): string {
  const variant = need<Variant>(recipe, 'model.variant');
  return need<string>(recipe, `model.${variant}`);
}

export function dataFailure(e: DataError): StepFailure {
  return { reason: 'bad-data', message: formatDataError(e) };
}

export function fromData<T>(r: Result<T, DataError>): Result<T, StepFailure> {
  return r.ok ? r : { ok: false, error: dataFailure(r.error) };
}

/** File names every step kind agrees on. */
export const FILES = {
  corpus: 'corpus.jsonl',
  testQueries: 'queries.jsonl',
  qrels: 'qrels.txt',
  contexts: 'contexts.jsonl',
  sentences: 'sentences.jsonl',
  identifiers: 'identifiers.jsonl',
  queries: 'queries.jsonl',
  sft: 'sft.jsonl',
  pairs: 'pairs.jsonl',
  run: 'run.trec',
  model: 'model',
  metrics: 'metrics.json',
} as const;

/** Reads a JSONL file written by an earlier step (already validated by its producer). */
export async function readLines<T>(file: string): Promise<T[]> {
  const out: T[] = [];
  for await (const { value } of readJsonl(file)) out.push(value as T);
  return out;
}

/**
 * The identifiers as they appear after the prompt (e.g. with the leading space the prompt
 * format puts before them): what the trainers train on and build their Trie from.
 */
export async function completionIdentifiers(
  idsDir: string,
  format: PromptFormat,
  file: string,
): Promise<string> {
  const ids = await readLines<{ unit: string; identifier: string }>(
    path.join(idsDir, FILES.identifiers),
  );
  await writeJsonl(
    file,
    ids.map((i) => ({
      unit: i.unit,
      identifier: formatExample(format, '', i.identifier).completion,
    })),
  );
  return file;
}
