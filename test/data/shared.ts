// Test helpers for the data tests: where the shared reference data lives (outside the repository,
// absent in a user's clone) and temporary directories.

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../runner/paths.js';

export const sharedData = path.resolve(repoRoot, '../shared/data');
export const mistralModel = path.join(sharedData, 'tokenizers/mistral-v3.model');
export const pirDemo = path.join(sharedData, 'pir-demo/demo_pir_dataset.json');

/** Reason to skip, or undefined when the file exists. */
export function missing(file: string): string | undefined {
  return existsSync(file)
    ? undefined
    : `skipped: ${file} is absent (shared reference data is not part of the repository)`;
}

export const jsonl = (rows: unknown[]): string =>
  rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

export const readLines = async <T>(file: string): Promise<T[]> =>
  (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);

export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'exp-data-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
