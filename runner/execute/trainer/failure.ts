// The trainer executors' failure union and the events a trainer process reports. Rendering them
// is the reporters' job.

import type { Json } from '../../result.js';

/** The trainer's own classification, from its final `{"event":"error"}` line. */
export type TrainerErrorReason = 'bad-spec' | 'missing-input' | 'out-of-memory' | 'internal';

export type TrainerFailure =
  | {
      reason: 'trainer-failed';
      message: string;
      /** Absent when the trainer died without reporting (killed, crashed interpreter). */
      trainerReason?: TrainerErrorReason;
      exitCode: number | null;
      stderrTail: string[];
    }
  | { reason: 'cancelled'; message: string }
  | { reason: 'env-failed'; message: string; logTail: string[] };

export type TrainerEvent =
  | { event: 'progress'; step: number; total: number; loss?: number }
  | { event: 'checkpoint'; step: number }
  | { event: 'resumed'; checkpoint: string }
  | { event: 'error'; reason: TrainerErrorReason; message: string }
  | { event: 'other'; data: { [key: string]: Json } };

const TRAINER_REASONS: readonly string[] = [
  'bad-spec',
  'missing-input',
  'out-of-memory',
  'internal',
];

/** Parses one stdout line; undefined for lines that are not protocol events (library noise). */
export function parseEvent(line: string): TrainerEvent | undefined {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const d = data as { [key: string]: Json };
  switch (d.event) {
    case 'progress':
      if (typeof d.step === 'number' && typeof d.total === 'number') {
        return typeof d.loss === 'number'
          ? { event: 'progress', step: d.step, total: d.total, loss: d.loss }
          : { event: 'progress', step: d.step, total: d.total };
      }
      break;
    case 'checkpoint':
      if (typeof d.step === 'number') return { event: 'checkpoint', step: d.step };
      break;
    case 'resumed':
      if (typeof d.checkpoint === 'string') return { event: 'resumed', checkpoint: d.checkpoint };
      break;
    case 'error':
      if (
        typeof d.reason === 'string' &&
        TRAINER_REASONS.includes(d.reason) &&
        typeof d.message === 'string'
      ) {
        return { event: 'error', reason: d.reason as TrainerErrorReason, message: d.message };
      }
      break;
    default:
      break;
  }
  return typeof d.event === 'string' ? { event: 'other', data: d } : undefined;
}
