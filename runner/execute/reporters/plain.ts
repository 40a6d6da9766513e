// Plain lines for CI and pipes (CI=true or no TTY): one line per state change, progress at most
// every few seconds per step so logs stay readable.

import { unreachable } from '../../result.js';
import type { Emit, Reporter } from '../events.js';
import { duration, failureLine, ProgressLine } from './format.js';

const PROGRESS_EVERY_MS = 5000;

export function plainReporter(
  write: (line: string) => void = (l) =>
    process.stderr.write(`${l}
`),
): Reporter {
  const progress = new Map<string, { line: ProgressLine; last: number }>();
  const emit: Emit = (e) => {
    switch (e.type) {
      case 'plan':
        write(
          `plan: ${String(e.steps)} steps for ${String(e.cells)} cells, ${String(e.cached)} cached, ${String(e.toRun)} to run`,
        );
        return;
      case 'step-cached':
        return;
      case 'step-waiting':
        write(`wait     ${e.label}: ${e.reason}`);
        return;
      case 'step-start':
        write(`start    ${e.label}${e.attempt > 1 ? ` (attempt ${String(e.attempt)})` : ''}`);
        return;
      case 'step-progress': {
        const p = progress.get(e.key) ?? { line: new ProgressLine(), last: 0 };
        progress.set(e.key, p);
        const text = p.line.line(e);
        if (e.at - p.last >= PROGRESS_EVERY_MS || e.done === e.total) {
          p.last = e.at;
          write(`progress ${e.label} ${text}`);
        }
        return;
      }
      case 'step-log':
        write(`log      ${e.label}: ${e.line}`);
        return;
      case 'step-done':
        write(`done     ${e.label} (${duration(e.seconds)})`);
        return;
      case 'step-retry':
        write(`retry    ${e.label} in ${duration(e.delayMs / 1000)}: ${failureLine(e.failure)}`);
        return;
      case 'step-failed':
        write(`FAILED   ${e.label}: ${failureLine(e.failure)}`);
        return;
      case 'step-skipped':
        write(`skipped  ${e.label} (an input failed)`);
        return;
      case 'cell-done':
        return;
      case 'interrupted':
        write(`interrupted by ${e.signal}: stopping running steps, the cache stays consistent`);
        return;
      case 'run-done': {
        const c = e.counts;
        write(
          `${e.ok ? 'done' : 'finished with problems'}: ${String(c.done)} run, ${String(c.cached)} cached, ${String(c.failed)} failed, ${String(c.skipped)} skipped in ${duration(e.seconds)}`,
        );
        return;
      }
      default:
        unreachable(e);
    }
  };
  return { emit, close: () => Promise.resolve() };
}
