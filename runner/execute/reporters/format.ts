// Human wording of run events, shared by the terminal and plain reporters.

import type { RunEvent } from '../events.js';
import type { StepFailure } from '../../plan/step.js';

const n = (x: number) => x.toLocaleString('en-US');

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60
    ? `${String(m)}m${String(Math.round(seconds % 60))}s`
    : `${String(Math.floor(m / 60))}h${String(m % 60)}m`;
}

/** Tracks progress events of one step to give a rate and an ETA. */
export class ProgressLine {
  private first?: { at: number; done: number };
  line(e: Extract<RunEvent, { type: 'step-progress' }>): string {
    const parts: string[] = [];
    if (e.done !== undefined) {
      this.first ??= { at: e.at, done: e.done };
      const unit = e.unit ? ` ${e.unit}` : '';
      parts.push(
        e.total !== undefined ? `${n(e.done)}/${n(e.total)}${unit}` : `${n(e.done)}${unit}`,
      );
      const secs = (e.at - this.first.at) / 1000;
      const rate = secs > 0 ? (e.done - this.first.done) / secs : 0;
      if (rate > 0) {
        parts.push(`${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)}/s`);
        if (e.total !== undefined) parts.push(`ETA ${duration((e.total - e.done) / rate)}`);
      }
    }
    if (e.loss !== undefined) parts.push(`loss ${e.loss.toFixed(3)}`);
    if (e.message) parts.push(e.message);
    return parts.join(' · ');
  }
}

export function failureLine(f: StepFailure): string {
  return `${f.reason}: ${f.message}`;
}
