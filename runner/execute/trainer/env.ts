// The trainer's Python environment: `.exp/envs/<lock hash>/`, a venv built from the pinned
// requirements file on first use. Built in a temporary directory and renamed into place with a
// completion marker, so a crash mid-install leaves nothing that passes for a finished env; two
// concurrent builders both finish and the first rename wins. Console scripts in the env keep the
// temporary path in their shebang: always run tools as `python -m <tool>`.
// Also hashes the trainer code, which with the lock hash enters every trainer step's cache key.

import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { err, ok, type Result } from '../../result.js';
import type { TrainerFailure } from './failure.js';
import { runProcess } from './process.js';

export interface EnsureEnvOptions {
  /** Project root; envs live under `<root>/.exp/envs/`. */
  root: string;
  requirementsFile: string;
  /** Interpreter that creates the venv; `python3` by default. */
  python?: string;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

export interface TrainerEnv {
  python: string;
  lockHash: string;
  created: boolean;
}

const MARKER = '.exp-env-complete';
const LOG_TAIL = 50;

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

export function lockHashOf(requirementsFile: string): string {
  return createHash('sha256').update(readFileSync(requirementsFile)).digest('hex').slice(0, 16);
}

export async function ensureTrainerEnv(
  opts: EnsureEnvOptions,
): Promise<Result<TrainerEnv, TrainerFailure>> {
  let lockHash: string;
  try {
    lockHash = lockHashOf(opts.requirementsFile);
  } catch (e) {
    return err({
      reason: 'env-failed',
      message: `cannot read ${opts.requirementsFile}: ${(e as Error).message}`,
      logTail: [],
    });
  }
  const envsDir = path.join(opts.root, '.exp', 'envs');
  const envDir = path.join(envsDir, lockHash);
  const python = path.join(envDir, 'bin', 'python');
  if (await exists(path.join(envDir, MARKER))) return ok({ python, lockHash, created: false });

  await mkdir(envsDir, { recursive: true });
  const tmp = path.join(
    envsDir,
    `${lockHash}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  const tail: string[] = [];
  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > LOG_TAIL) tail.shift();
    opts.onProgress?.(line);
  };
  const requirements = path.resolve(opts.requirementsFile);
  const steps: [string, string, string[]][] = [
    ['python -m venv', opts.python ?? 'python3', ['-m', 'venv', tmp]],
    [
      `pip install -r ${requirements}`,
      path.join(tmp, 'bin', 'python'),
      [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--progress-bar',
        'off',
        '-r',
        requirements,
      ],
    ],
  ];
  for (const [label, command, args] of steps) {
    const outcome = await runProcess({
      command,
      args,
      cwd: opts.root,
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      onStdoutLine: onLine,
      onStderrLine: onLine,
    });
    if (outcome.kind === 'exited' && outcome.code === 0) continue;
    await rm(tmp, { recursive: true, force: true });
    if (outcome.kind === 'cancelled')
      return err({ reason: 'cancelled', message: 'trainer environment build cancelled' });
    const why = outcome.kind === 'spawn-failed' ? outcome.message : `exit code ${outcome.code}`;
    return err({ reason: 'env-failed', message: `${label} failed: ${why}`, logTail: tail });
  }
  await writeFile(path.join(tmp, MARKER), `${lockHash}\n`);
  if (await exists(path.join(envDir, MARKER))) {
    // Another process finished first; keep its env.
    await rm(tmp, { recursive: true, force: true });
    return ok({ python, lockHash, created: false });
  }
  // A directory without the marker is a half-built env from an older layout or a crash.
  await rm(envDir, { recursive: true, force: true });
  await rename(tmp, envDir);
  return ok({ python, lockHash, created: true });
}

/** sha256 over the trainer package's sources (sorted relative paths and contents); tests and
 * benchmarks (`bench_*.py`) are not part of the trainer's behaviour and stay out of the key. */
export function trainerCodeHash(repoRoot: string): string {
  const dir = path.join(repoRoot, 'trainers');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.py') && !f.startsWith('bench_'))
    .sort();
  const hash = createHash('sha256');
  for (const f of files) {
    const bytes = readFileSync(path.join(dir, f));
    // Length-prefix each part so that moving bytes between a name and a file changes the hash.
    hash.update(`trainers/${f}\0${String(bytes.length)}\0`).update(bytes);
  }
  return hash.digest('hex');
}
