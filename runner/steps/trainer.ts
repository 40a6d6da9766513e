// How built-in steps reach the Python trainers: the environment hash that enters every trainer
// step's key (trainer code + pinned requirements of the profile's executor), creating the
// environment on first use, and running one trainer command with its progress forwarded.

import path from 'node:path';
import type { ProfileFile } from '../config/load.js';
import {
  ensureTrainerEnv,
  lockHashOf,
  trainerCodeHash,
  type TrainerEnv,
} from '../execute/trainer/env.js';
import { runTrainer, type TrainerCommand } from '../execute/trainer/local.js';
import type { RunContext, StepFailure } from '../plan/step.js';
import { err, ok, type Json, type Result } from '../result.js';

export function requirementsFile(repoRoot: string, profile: ProfileFile): string {
  const variant =
    profile.executor?.kind === 'docker' || profile.executor?.kind === 'slurm' ? 'cuda' : 'cpu';
  return path.join(repoRoot, 'trainers', `requirements-${variant}.txt`);
}

const envHashes = new Map<string, Record<string, string>>();

/** Content hashes of the trainer code and its environment lock (computed once per process). */
export function trainerEnvHash(repoRoot: string, profile: ProfileFile): Record<string, string> {
  const req = requirementsFile(repoRoot, profile);
  let hashes = envHashes.get(req);
  if (!hashes) {
    hashes = { trainer_code: trainerCodeHash(repoRoot), trainer_lock: lockHashOf(req) };
    envHashes.set(req, hashes);
  }
  return hashes;
}

let envPromise: Promise<Result<TrainerEnv, StepFailure>> | undefined;

/** The trainer environment, created on first use (its pip output shown as step log lines). */
export function trainerEnv(ctx: RunContext): Promise<Result<TrainerEnv, StepFailure>> {
  envPromise ??= ensureTrainerEnv({
    root: ctx.repoRoot,
    requirementsFile: requirementsFile(ctx.repoRoot, ctx.profile),
    python: process.env.EXP_PYTHON,
    onProgress: (line) => {
      ctx.log(`trainer environment: ${line}`);
    },
    signal: ctx.signal,
  }).then((r) =>
    r.ok
      ? r
      : err<StepFailure>({
          reason: 'trainer-failed',
          message: `creating the trainer environment failed: ${r.error.message}`,
        }),
  );
  return envPromise;
}

/** Runs one trainer command into `outputDir`, forwarding progress and loss to the step. */
export async function train(
  ctx: RunContext,
  command: TrainerCommand,
  spec: { output_dir: string; [key: string]: Json },
): Promise<Result<{ [key: string]: Json }, StepFailure>> {
  const env = await trainerEnv(ctx);
  if (!env.ok) return env;
  const r = await runTrainer({
    python: env.value.python,
    command,
    spec,
    workDir: ctx.work,
    signal: ctx.signal,
    onEvent: (e) => {
      if (e.event === 'progress')
        ctx.progress({ done: e.step, total: e.total, unit: 'steps', loss: e.loss });
      else if (e.event === 'resumed') ctx.log(`resumed from ${e.checkpoint}`);
    },
  });
  if (r.ok) return ok(r.value.result);
  const e = r.error;
  if (e.reason === 'cancelled') return err({ reason: 'cancelled', message: e.message });
  const tail =
    'stderrTail' in e
      ? e.stderrTail.slice(-5).join('\n')
      : 'logTail' in e
        ? e.logTail.slice(-5).join('\n')
        : '';
  return err({
    reason: 'trainer-failed',
    message: `${command}: ${e.message}${tail ? `\n${tail}` : ''}`,
  });
}
