// The real pipeline (mini corpus, offline generator, tiny model, Python trainers) killed with
// SIGKILL during query generation, SFT training and evaluation, resumed after each: the final
// CSV equals an uninterrupted run's, the cache verifies, and no step that had completed ran
// again. Needs the trainer environment (`exp env`, done by .ci/run); skipped without it.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { bin, experimentsCopy, events, startUntil } from '../helpers.js';

const python = process.env.EXP_TRAINER_PYTHON;
const ready = python !== undefined && existsSync(python);
if (!ready)
  console.log(
    'skipping the end-to-end interruption test: set EXP_TRAINER_PYTHON (`npx exp env` prints it)',
  );

/** The repository's experiments with a profile small enough to run in about a minute. */
function workspace(): string {
  const dir = experimentsCopy();
  const local = readFileSync(path.join(dir, 'experiments/profiles/local.yaml'), 'utf8');
  writeFileSync(
    path.join(dir, 'experiments/profiles/tiny.yaml'),
    local
      .replace('name: local', 'name: tiny')
      .replace(/epochs: \d+/, 'epochs: 2')
      .replace(
        /source: \{ adapter: mini, articles: \d+, queries: \d+, unit: chunk, seed: 1 \}/,
        'source: { adapter: mini, articles: 6, queries: 12, unit: chunk, seed: 1 }',
      ),
  );
  writeFileSync(
    path.join(dir, 'experiments/small.yaml'),
    'table: small\ntitle: Interrupted\ndatasets: [multihop-rag]\nrows:\n  SFT: {}\n  Top-5 negative: { preference: { negatives: model-top, k: 5 } }\n',
  );
  return dir;
}

const args = ['run', 'experiments/small.yaml', '--profile', 'tiny', '--reporter', 'json'];
const env = { CI: 'true' };

/** Runs until an event matches, then kills the runner with SIGKILL; returns its events. */
async function killWhen(dir: string, match: (e: { type: string; kind?: unknown }) => boolean) {
  const { child, streamed } = await startUntil(dir, args, env, match);
  child.kill('SIGKILL');
  await child;
  return events(streamed());
}

test.skipIf(!ready)(
  'SIGKILL during generation, training and evaluation: resumed runs end where an uninterrupted one does',
  { timeout: 600_000 },
  async () => {
    const clean = workspace();
    const full = await execa('node', [bin, ...args], { cwd: clean, env, reject: false });
    expect(full.exitCode, full.stderr).toBe(0);

    const dir = workspace();
    const completed = new Set<unknown>();
    const phases: ((e: { type: string; kind?: unknown }) => boolean)[] = [
      (e) => e.type === 'step-start' && e.kind === 'queries',
      (e) => e.type === 'step-progress' && e.kind === 'train-sft',
      (e) => e.type === 'step-start' && e.kind === 'evaluate',
    ];
    for (const phase of phases) {
      const seen = await killWhen(dir, phase);
      const restarted = seen.filter((e) => e.type === 'step-start').map((e) => e.key);
      expect(restarted.filter((k) => completed.has(k))).toEqual([]);
      for (const e of seen) if (e.type === 'step-done') completed.add(e.key);
      const verify = await execa('node', [bin, 'cache', 'verify'], {
        cwd: dir,
        env,
        reject: false,
      });
      expect(verify.stdout).toContain('cache verified');
    }
    const last = await execa('node', [bin, ...args], { cwd: dir, env, reject: false });
    expect(last.exitCode, last.stderr).toBe(0);
    const restarted = events(last.stdout)
      .filter((e) => e.type === 'step-start')
      .map((e) => e.key);
    expect(restarted.filter((k) => completed.has(k))).toEqual([]);
    expect(completed.size).toBeGreaterThan(3);
    const csv = (d: string) => readFileSync(path.join(d, 'results/tiny/small.csv'), 'utf8');
    expect(csv(dir)).toBe(csv(clean));
    expect(csv(dir)).not.toMatch(/missing|failed/);
  },
);
