// How built-in steps reach the Python trainers: the hashes that enter every trainer step's key
// (trainer code, and the environment: the pinned requirements for the local executor, the image
// digest for Docker), creating the local environment on first use, and running one trainer
// command through the profile's executor with its progress forwarded.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ProfileFile } from '../config/load.js';
import { dockerRunArgs, resolveImageDigest } from '../execute/trainer/docker.js';
import {
  ensureTrainerEnv,
  lockHashOf,
  trainerCodeHash,
  type TrainerEnv,
} from '../execute/trainer/env.js';
import {
  localLaunch,
  runTrainer,
  trainerArgs,
  type Launch,
  type TrainerCommand,
} from '../execute/trainer/local.js';
import { runProcess } from '../execute/trainer/process.js';
import type { RunContext, StepFailure } from '../plan/step.js';
import { err, ok, type Json, type Result } from '../result.js';
import { modelPath } from './weights.js';

/** The host's environment: CPU requirements. It runs the local executor's trainers and gives the
 * runner its tokenizer files whatever the executor; the Docker image is built from the CUDA ones. */
export function requirementsFile(repoRoot: string): string {
  return path.join(repoRoot, 'trainers', 'requirements-cpu.txt');
}

const docker = (): string => process.env.EXP_DOCKER ?? 'docker';

/** The trainer image when the profile's executor is Docker. */
const dockerImage = (profile: ProfileFile): string | undefined =>
  profile.executor?.kind === 'docker' ? profile.executor.image : undefined;
const images = new Map<string, { digest: string; ref: string }>();

/** Resolves the profile's trainer image to its digest before planning, so the digest (not a tag
 * that can move) enters the keys. Nothing to do for the local executor. */
export async function resolveExecutor(profile: ProfileFile): Promise<Result<void, string>> {
  const image = dockerImage(profile);
  if (image === undefined || images.has(image)) return ok(undefined);
  const r = await resolveImageDigest(image, docker());
  if (!r.ok) return err(r.error.message);
  images.set(image, r.value);
  return ok(undefined);
}

const hashes = new Map<string, Record<string, string>>();

/** Content hashes of the trainer code and the environment it runs in (computed once). */
export function trainerEnvHash(repoRoot: string, profile: ProfileFile): Record<string, string> {
  const image = dockerImage(profile);
  const id = `${repoRoot}\0${image ?? ''}`;
  let h = hashes.get(id);
  if (!h) {
    const environment: Record<string, string> =
      image === undefined
        ? { trainer_lock: lockHashOf(requirementsFile(repoRoot)) }
        : { trainer_image: images.get(image)?.digest ?? `unresolved:${image}` };
    h = { trainer_code: trainerCodeHash(repoRoot), ...environment };
    hashes.set(id, h);
  }
  return h;
}

let envPromise: Promise<Result<TrainerEnv, StepFailure>> | undefined;

/** The host trainer environment, created on first use (its pip output shown as step log lines). */
export function trainerEnv(ctx: RunContext): Promise<Result<TrainerEnv, StepFailure>> {
  envPromise ??= ensureTrainerEnv({
    root: ctx.repoRoot,
    requirementsFile: requirementsFile(ctx.repoRoot),
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

export interface TrainOptions {
  /** Data-parallel training: one process per GPU the step holds. */
  distributed?: boolean;
  /** Only a step that downloads (fetch-model) may reach the network. */
  network?: boolean;
}

/** The input entries, and model directories read in place outside them (weights.ts). */
function mounts(ctx: RunContext): string[] {
  const dirs = Object.values(ctx.inputs).map((i) => i.dir);
  const models = Object.values(ctx.inputs)
    .map((i) => modelPath(i))
    .filter((p) => existsSync(p) && !dirs.some((d) => p.startsWith(d + path.sep)));
  return [...dirs, ...models];
}

/** The profile's executor for one step: the image by digest, or the host environment. */
async function launcher(
  ctx: RunContext,
  o: TrainOptions,
): Promise<Result<(command: TrainerCommand, specPath: string) => Launch, StepFailure>> {
  const processes = o.distributed === true ? ctx.gpus.length : 1;
  const image = dockerImage(ctx.profile);
  if (image === undefined) {
    const env = await trainerEnv(ctx);
    return env.ok ? ok(localLaunch(env.value.python, processes)) : env;
  }
  const pinned = images.get(image);
  if (pinned === undefined)
    return err({ reason: 'internal', message: `image ${image} was not resolved before planning` });
  const name = `exp-${ctx.key.slice(0, 16)}-${String(process.pid)}`;
  return ok((command, specPath) => ({
    command: docker(),
    args: dockerRunArgs({
      image: pinned.ref,
      inputs: mounts(ctx),
      writable: [ctx.out, ctx.work],
      gpus: ctx.gpus,
      argv: ['python', ...trainerArgs(command, specPath, processes)],
      code: path.join(ctx.repoRoot, 'trainers'),
      name,
      network: o.network === true ? 'bridge' : 'none',
    }),
    cleanup: async () => {
      await runProcess({ command: docker(), args: ['rm', '-f', name], cwd: ctx.repoRoot });
    },
  }));
}

/** Runs one trainer command into `outputDir`, forwarding progress and loss to the step. */
export async function train(
  ctx: RunContext,
  command: TrainerCommand,
  spec: { output_dir: string; [key: string]: Json },
  o: TrainOptions = {},
): Promise<Result<{ [key: string]: Json }, StepFailure>> {
  const launch = await launcher(ctx, o);
  if (!launch.ok) return launch;
  const r = await runTrainer({
    launch: launch.value,
    command,
    spec,
    workDir: ctx.work,
    gpus: ctx.gpus,
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
