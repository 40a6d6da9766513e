// Shared by the end-to-end tests: a copy of a fixture suite in a temporary directory and a way
// to run the real `exp` CLI in it.

import { cpSync, mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { repoRoot } from '../runner/paths.js';

export const bin = path.join(repoRoot, 'bin', 'exp.js');
export const fakeKinds = path.join(repoRoot, 'dist', 'test', 'fixtures', 'fake-steps.js');

export function suite(name = 'suite'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'exp-test-'));
  cpSync(path.join(repoRoot, 'test', 'fixtures', name), dir, { recursive: true });
  return dir;
}

/** A temporary directory holding a copy of the repository's experiments/. */
export function experimentsCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'exp-e2e-'));
  cpSync(path.join(repoRoot, 'experiments'), path.join(dir, 'experiments'), { recursive: true });
  return dir;
}

export function exp(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): ResultPromise<{ reject: false; all: true }> {
  return execa('node', [bin, ...args], {
    cwd: dir,
    reject: false,
    all: true,
    env: { ...fakeEnv(dir), ...env },
  });
}

/** The environment that makes `exp` in `dir` run the fake step kinds and log their runs. */
export function fakeEnv(dir: string): Record<string, string> {
  return {
    EXP_STEP_KINDS: fakeKinds,
    EXP_FAKE_LOG: path.join(dir, 'invocations.log'),
    CI: 'true',
    NO_COLOR: '1',
  };
}

/**
 * Starts `exp` and resolves once one of its NDJSON events matches (or it exits), so that a test
 * can signal it at a chosen moment; `streamed()` is its stdout so far.
 */
export async function startUntil(
  dir: string,
  args: string[],
  env: Record<string, string>,
  match: (e: { type: string; [k: string]: unknown }) => boolean,
): Promise<{ child: ResultPromise<{ reject: false }>; streamed: () => string }> {
  const child = execa('node', [bin, ...args], { cwd: dir, env, reject: false });
  let out = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (events(out).some(match)) resolve();
    });
    void child.then(() => {
      resolve();
    });
  });
  return { child, streamed: () => out };
}

/** How many times each fake step kind really ran. */
export function invocations(dir: string): Record<string, number> {
  const file = path.join(dir, 'invocations.log');
  const out: Record<string, number> = {};
  if (!existsSync(file)) return out;
  for (const k of readFileSync(file, 'utf8').split('\n').filter(Boolean))
    out[k] = (out[k] ?? 0) + 1;
  return out;
}

export function events(stdout: string): { type: string; [k: string]: unknown }[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string });
}
