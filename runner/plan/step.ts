// The contract every step kind implements (DESIGN "Step"): what it reads from a cell's recipe
// (its slice), which other steps it needs, what it costs and which resources it holds, and how
// it produces files into an output directory. Kinds know nothing about caching or scheduling.

import type { Cell } from '../config/resolve.js';
import type { DatasetFile, ProfileFile } from '../config/load.js';
import type { Json, Result } from '../result.js';

export type StepKey = string & { __brand: 'StepKey' };

export interface Resources {
  cpu: number;
  gpu: number;
  llm: number;
}

export interface Cost {
  llmCalls: number;
  llmTokens: number;
  usd: number;
  gpuHours: number;
}

/** Another step this one needs, planned against the same cell. */
export interface StepRequest {
  kind: string;
  args?: Json;
}

export interface PlanContext {
  cell: Cell;
  dataset: DatasetFile;
  profile: ProfileFile;
  repoRoot: string;
}

export interface StepPlan {
  /** The part of the recipe (and args) this step reads: the only recipe input to its key. */
  slice: Json;
  inputs?: Record<string, StepRequest>;
  /** Content hashes and resolved ids that change outputs: prompt template, trainer code, model ids. */
  env?: Record<string, string>;
  resources?: Partial<Resources>;
  cost?: Partial<Cost>;
  /** Set when the step cannot run in this profile: the plan fails early with this message. */
  blocked?: string;
  /** Short human label, e.g. `queries:sentence`. */
  label?: string;
}

export interface InputEntry {
  key: StepKey;
  kind: string;
  dir: string;
  report: Json;
}

export interface Progress {
  done?: number;
  total?: number;
  unit?: string;
  loss?: number;
  message?: string;
}

export interface RunContext {
  key: StepKey;
  slice: Json;
  inputs: Record<string, InputEntry>;
  /** Where outputs go (a temporary directory published atomically on success). */
  out: string;
  /** Scratch that survives a crash (checkpoints, resumable state), removed after publish. */
  work: string;
  cacheRoot: string;
  repoRoot: string;
  profile: ProfileFile;
  /** The GPU indices this step holds (its `resources.gpu` slots); empty on CPU. */
  gpus: number[];
  signal: AbortSignal;
  progress(p: Progress): void;
  log(line: string): void;
}

export type FailureReason =
  | 'exit-non-zero'
  | 'missing-input'
  | 'bad-data'
  | 'llm-failed'
  | 'budget-exceeded'
  | 'trainer-failed'
  | 'cancelled'
  | 'frozen'
  | 'blocked'
  | 'internal';

export interface StepFailure {
  reason: FailureReason;
  message: string;
  /** Transient failures are retried by the scheduler (a step kind decides which are). */
  transient?: boolean;
}

/** What a step says about its run; stored in its manifest and shown by reporters. */
export type StepReport = { [key: string]: Json };

export interface StepKind {
  name: string;
  /** Bump when the implementation changes its outputs: it enters every key of this kind. */
  version: number;
  plan(ctx: PlanContext, args: Json): StepPlan;
  run(ctx: RunContext): Promise<Result<StepReport, StepFailure>>;
  /** How many times a transient failure is retried. */
  retries?: number;
}
