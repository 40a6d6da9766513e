// The base model's SentencePiece tokenizer on the runner side (chunking, identifier lengths).
// `mistral-common:<file>` names a model the mistral-common package ships inside the trainer
// environment, so it needs no download beyond the package registries.

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { loadSentencePiece, type Tokenizer } from '../data/tokenizer.js';
import type { RunContext, StepFailure } from '../plan/step.js';
import { err, type Result } from '../result.js';
import { dataFailure } from './common.js';
import { trainerEnv } from './trainer.js';

const loaded = new Map<string, Promise<Result<Tokenizer, StepFailure>>>();

export async function tokenizerFile(
  ctx: RunContext,
  spec: string,
): Promise<Result<string, StepFailure>> {
  const prefix = 'mistral-common:';
  if (!spec.startsWith(prefix)) return { ok: true, value: path.resolve(spec) };
  const env = await trainerEnv(ctx);
  if (!env.ok) return env;
  const lib = path.join(path.dirname(path.dirname(env.value.python)), 'lib');
  for (const py of existsSync(lib) ? readdirSync(lib) : []) {
    const file = path.join(
      lib,
      py,
      'site-packages',
      'mistral_common',
      'data',
      spec.slice(prefix.length),
    );
    if (existsSync(file)) return { ok: true, value: file };
  }
  return err({
    reason: 'missing-input',
    message: `tokenizer ${spec}: no such file in the trainer environment's mistral_common package`,
  });
}

export function loadTokenizer(
  ctx: RunContext,
  spec: string,
): Promise<Result<Tokenizer, StepFailure>> {
  let p = loaded.get(spec);
  if (!p) {
    p = tokenizerFile(ctx, spec).then(async (file) => {
      if (!file.ok) return file;
      const t = await loadSentencePiece(file.value);
      return t.ok ? t : err(dataFailure(t.error));
    });
    loaded.set(spec, p);
  }
  return p;
}
