// Where a step finds model weights. A checkpoint named in a recipe is the local profile's tiny
// random model, a Hugging Face Hub id (fetched at a pinned revision into the cache by the one
// step that may use the network, so trainers run offline), or a local directory (read in place).
// A model step's output holds `model.json`: {dir} inside the entry, or {path} for a directory
// read in place.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { InputEntry, StepRequest } from '../plan/step.js';
import { FILES } from './common.js';

export const TINY = 'tiny-random';

export function isLocalDir(checkpoint: string): boolean {
  return /^(\/|\.\.?\/)/.test(checkpoint);
}

/** The step that provides `checkpoint`'s weights; `field` names the recipe value in messages. */
export function weights(checkpoint: string, field: string): StepRequest {
  return { kind: 'base-model', args: { checkpoint, field } };
}

/** The directory a model step's weights are in. */
export function modelPath(entry: InputEntry | undefined): string {
  const file = path.join(entry?.dir ?? '', 'model.json');
  const ref = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { dir?: string; path?: string })
    : {};
  return ref.path ?? path.join(entry?.dir ?? '', ref.dir ?? FILES.model);
}

const SMALL = 16 * 1024 * 1024;

/** Identity of a model directory read in place: every file's name and size, and the content of
 * the small ones (config, tokenizer). Large weight files enter by size only, since hashing many
 * gigabytes at every plan would make planning slow: replace weights under a new directory. */
export function fingerprint(dir: string): string {
  const hash = createHash('sha256');
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const file = path.join(rel, name);
      const st = statSync(path.join(dir, file));
      if (st.isDirectory()) walk(file);
      else {
        hash.update(`${file}\0${String(st.size)}\0`);
        if (st.size <= SMALL) hash.update(readFileSync(path.join(dir, file)));
      }
    }
  };
  walk('');
  return hash.digest('hex');
}
