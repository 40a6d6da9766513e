// What the executor tells the world. Reporters render these; nothing else prints.

import type { CellId } from '../config/resolve.js';
import type { Progress, StepFailure, StepKey } from '../plan/step.js';

export type StepStatus = 'pending' | 'running' | 'cached' | 'done' | 'failed' | 'skipped';

export interface StepRef {
  key: StepKey;
  kind: string;
  label: string;
}

export type RunEvent =
  | { type: 'plan'; steps: number; cached: number; toRun: number; cells: number }
  | ({ type: 'step-cached' } & StepRef)
  | ({ type: 'step-waiting'; reason: string } & StepRef)
  | ({ type: 'step-start'; attempt: number } & StepRef)
  | ({ type: 'step-progress'; at: number } & StepRef & Progress)
  | ({ type: 'step-log'; line: string } & StepRef)
  | ({ type: 'step-done'; seconds: number } & StepRef)
  | ({ type: 'step-retry'; failure: StepFailure; delayMs: number } & StepRef)
  | ({ type: 'step-failed'; failure: StepFailure } & StepRef)
  | ({ type: 'step-skipped'; because: StepKey } & StepRef)
  | { type: 'cell-done'; cell: CellId; ok: boolean }
  | { type: 'interrupted'; signal: string }
  | { type: 'run-done'; ok: boolean; counts: Record<StepStatus, number>; seconds: number };

export type Emit = (e: RunEvent) => void;

export interface Reporter {
  emit: Emit;
  close(): Promise<void>;
}
