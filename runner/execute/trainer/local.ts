// Runs one trainer command as a child process group: writes spec.json, starts the launch it is
// given (the local interpreter, or `docker run` from docker.ts), forwards protocol events, and
// reads result.json. GPU slots become CUDA_VISIBLE_DEVICES. Does not create the environment
// (env.ts) and does not decide whether to run (the scheduler and cache do).

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { err, ok, type Json, type Result } from '../../result.js';
import { parseEvent, type TrainerEvent, type TrainerFailure } from './failure.js';
import { runProcess } from './process.js';
import { repoRoot } from '../../paths.js';

export type TrainerCommand =
  | 'init-model'
  | 'sft'
  | 'rpo'
  | 'retrieve'
  | 'bm25'
  | 'encode'
  | 'dense-search'
  | 'doct5query'
  | 'rerank'
  | 'fetch-model';

/** How a trainer process starts: a program and its arguments. */
export interface Launch {
  command: string;
  args: string[];
  /** Run after a cancelled launch has ended (e.g. remove its container). */
  cleanup?: () => Promise<void>;
}

/** The interpreter's arguments for one command. Several processes run under torchrun, one per
 * GPU (gloo on CPU); it sets RANK and WORLD_SIZE, which the trainers read, and Transformers'
 * Trainer sets up data parallelism (or DeepSpeed, from the spec) from them. */
export function trainerArgs(command: TrainerCommand, specPath: string, processes = 1): string[] {
  const module = ['-m', 'trainers', command, '--spec', specPath];
  if (processes <= 1) return module;
  return [
    '-m',
    'torch.distributed.run',
    '--standalone',
    `--nproc-per-node=${processes}`,
    ...module,
  ];
}

/** `python -m trainers …` with the given interpreter. */
export function localLaunch(python: string, processes = 1) {
  return (command: TrainerCommand, specPath: string): Launch => ({
    command: python,
    args: trainerArgs(command, specPath, processes),
  });
}

export interface RunTrainerOptions {
  launch: (command: TrainerCommand, specPath: string) => Launch;
  command: TrainerCommand;
  /** The command's spec; `output_dir` is required and absolute. */
  spec: { output_dir: string; [key: string]: Json };
  /** Where spec.json is written. */
  workDir: string;
  gpus?: number[];
  signal?: AbortSignal;
  onEvent?: (event: TrainerEvent) => void;
  /** Milliseconds between SIGTERM and SIGKILL on cancel. */
  graceMs?: number;
  /** Directory holding the `trainers` package; the repository root by default. */
  cwd?: string;
}

export interface TrainerResult {
  outputDir: string;
  /** The trainer's result.json: loss curve, tokens/s, peak memory, duration. */
  result: { [key: string]: Json };
}

const STDERR_TAIL = 50;

export async function runTrainer(
  opts: RunTrainerOptions,
): Promise<Result<TrainerResult, TrainerFailure>> {
  await mkdir(opts.workDir, { recursive: true });
  const specPath = path.join(opts.workDir, 'spec.json');
  await writeFile(specPath, JSON.stringify(opts.spec, null, 2) + '\n');
  const tail: string[] = [];
  const keep = (line: string): void => {
    tail.push(line);
    if (tail.length > STDERR_TAIL) tail.shift();
  };
  let lastError: Extract<TrainerEvent, { event: 'error' }> | undefined;
  const launch = opts.launch(opts.command, specPath);
  const outcome = await runProcess({
    command: launch.command,
    args: launch.args,
    cwd: opts.cwd ?? repoRoot,
    env: {
      ...process.env,
      // An empty value hides every GPU, so a CPU step cannot grab one by accident.
      CUDA_VISIBLE_DEVICES: (opts.gpus ?? []).join(','),
      PYTHONUNBUFFERED: '1',
      TOKENIZERS_PARALLELISM: 'false',
    },
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    ...(opts.graceMs === undefined ? {} : { graceMs: opts.graceMs }),
    onStdoutLine: (line) => {
      const event = parseEvent(line);
      if (event === undefined) {
        keep(line);
        return;
      }
      if (event.event === 'error') lastError = event;
      opts.onEvent?.(event);
    },
    onStderrLine: keep,
  });
  switch (outcome.kind) {
    case 'cancelled':
      await launch.cleanup?.();
      return err({ reason: 'cancelled', message: `trainer ${opts.command} cancelled` });
    case 'spawn-failed':
      return err({
        reason: 'env-failed',
        message: `cannot start ${launch.command}: ${outcome.message}`,
        logTail: [],
      });
    case 'exited':
      break;
  }
  if (outcome.code !== 0) {
    const how = outcome.signal === null ? `exit code ${outcome.code}` : `signal ${outcome.signal}`;
    return err({
      reason: 'trainer-failed',
      message:
        lastError === undefined
          ? `trainer ${opts.command} failed (${how}); last stderr line: ${tail.at(-1) ?? '(none)'}`
          : `trainer ${opts.command} failed: ${lastError.reason}: ${lastError.message}`,
      ...(lastError === undefined ? {} : { trainerReason: lastError.reason }),
      exitCode: outcome.code,
      stderrTail: tail,
    });
  }
  const resultPath = path.join(opts.spec.output_dir, 'result.json');
  try {
    const result = JSON.parse(await readFile(resultPath, 'utf8')) as { [key: string]: Json };
    return ok({ outputDir: opts.spec.output_dir, result });
  } catch (e) {
    return err({
      reason: 'trainer-failed',
      message: `trainer ${opts.command} exited 0 but ${resultPath} is unreadable: ${(e as Error).message}`,
      exitCode: 0,
      stderrTail: tail,
    });
  }
}
