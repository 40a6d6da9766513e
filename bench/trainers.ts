// Benchmarks of the Python trainer commands, run with the trainer environment's python from the
// repository root; each prints its own lines (and its ratios) on stdout, progress on stderr.
// The python is EXP_TRAINER_PYTHON when set (CI), else whatever `exp env` prints: that command
// owns the resolution (profile, requirements file, building the env on first use), so this module
// asks it rather than repeating it. It does not build or time anything itself.

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../runner/paths.js';

function trainerPython(): string {
  const fromEnv = process.env.EXP_TRAINER_PYTHON;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const out = execFileSync(process.execPath, [path.join(repoRoot, 'bin', 'exp.js'), 'env'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const python = out.toString().trim().split('\n').pop();
  if (python === undefined || python === '') throw new Error('`exp env` printed no python path');
  return python;
}

function pythonBench(module: string, args: string[]): string[] {
  const out = execFileSync(trainerPython(), ['-m', module, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  return out.toString().trimEnd().split('\n');
}

/** BM25 (bm25s, as `python -m trainers bm25` runs it) on a generated corpus: docs/s, queries/s,
 * peak RSS, against tokenising alone and a brute-force scorer measured in the same run. */
export function benchBm25(opts: { docs?: number; queries?: number } = {}): string[] {
  return pythonBench('trainers.bench_bm25', [
    '--docs',
    String(opts.docs ?? 100_000),
    '--queries',
    String(opts.queries ?? 1000),
  ]);
}
