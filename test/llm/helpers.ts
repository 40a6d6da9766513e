// Shared test fixtures for the LLM layer: temporary cache roots, fast retry limits and units.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS, type CallLimits } from '../../runner/llm/calls.js';
import type { GenerateOptions, Unit } from '../../runner/llm/generate.js';
import { CallStore } from '../../runner/llm/store.js';

/** The repository root, from dist/test/llm/. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'exp-llm-'));
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const fastLimits = (over: Partial<CallLimits> = {}): CallLimits => ({
  ...DEFAULT_LIMITS,
  concurrency: 4,
  timeoutMs: 2_000,
  backoffBaseMs: 20,
  backoffMaxMs: 200,
  ...over,
});

export function units(n: number): Unit[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `doc${i}`,
    text: `Report ${i}: the Springfield council met on Monday to discuss budget item ${i} with Mayor Quimby.`,
    metadata: { source: `Source ${i % 3}`, category: 'politics' },
  }));
}

export function useFakeAwsCredentials(): void {
  process.env['AWS_ACCESS_KEY_ID'] = 'AKIDEXAMPLE';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'not-a-secret';
  delete process.env['AWS_PROFILE'];
}

/**
 * The generation the resume test runs twice, killed in a child process and uninterrupted in
 * the test: one definition, so both sides ask for exactly the same calls.
 */
export function resumeRun(n: number, baseURL: string, cacheRoot: string): GenerateOptions {
  return {
    task: 'questions',
    kind: 'chunk',
    units: units(n),
    m: 5,
    dataset: 'multihop-rag',
    role: {
      provider: 'openai',
      model: 'mixtral-8x7b-instruct',
      temperature: 0.7,
      maxTokens: 100,
      baseURL,
    },
    store: new CallStore(cacheRoot),
    limits: fastLimits({ concurrency: 4 }),
    signal: new AbortController().signal,
  };
}
