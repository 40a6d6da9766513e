// listr2 in a terminal: table → cell → step, each step's line fed live by its progress events
// (`queries:sentence 12,340/47,000 calls · 31/s · ETA 25m`). Steps shared by several cells
// appear under each of them and finish together.

import { Listr, type ListrTask } from 'listr2';
import type { Plan } from '../../plan/graph.js';
import type { StepKey } from '../../plan/step.js';
import type { Emit, Reporter } from '../events.js';
import { duration, failureLine, ProgressLine } from './format.js';

interface Waiter {
  promise: Promise<'done' | 'skipped'>;
  settle(v: 'done' | 'skipped' | Error): void;
  listeners: Set<(text: string) => void>;
  progress: ProgressLine;
}

export function terminalReporter(plan: Plan): Reporter {
  const waiters = new Map<StepKey, Waiter>();
  for (const key of plan.order) {
    let settle: Waiter['settle'] = () => undefined;
    const promise = new Promise<'done' | 'skipped'>((res, rej) => {
      settle = (v) => {
        if (v instanceof Error) rej(v);
        else res(v);
      };
    });
    promise.catch(() => undefined);
    waiters.set(key, { promise, settle, listeners: new Set(), progress: new ProgressLine() });
  }
  const closure = (key: StepKey, acc = new Set<StepKey>()): Set<StepKey> => {
    if (acc.has(key)) return acc;
    acc.add(key);
    for (const i of Object.values(plan.steps.get(key)?.inputs ?? {})) closure(i, acc);
    return acc;
  };
  const stepTask = (key: StepKey): ListrTask => {
    const step = plan.steps.get(key);
    const w = waiters.get(key) as Waiter;
    return {
      title: step?.label ?? key,
      task: async (_ctx, task) => {
        const listener = (text: string) => {
          task.output = text;
        };
        w.listeners.add(listener);
        const r = await w.promise.finally(() => w.listeners.delete(listener));
        if (r === 'skipped') task.skip(`${step?.label ?? key}: skipped (an input failed)`);
      },
    };
  };
  const byTable = new Map<string, typeof plan.cells>();
  for (const c of plan.cells) byTable.set(c.cell.table, [...(byTable.get(c.cell.table) ?? []), c]);
  const tasks = new Listr(
    [...byTable].map(([table, cells]) => ({
      title: table,
      task: (_ctx, task) =>
        task.newListr(
          cells.map((c) => ({
            title: `${c.cell.row} · ${c.cell.dataset}${c.cell.seed ? ` · seed ${String(c.cell.seed)}` : ''}`,
            task: (_c, t) =>
              t.newListr(plan.order.filter((k) => closure(c.terminal).has(k)).map(stepTask), {
                concurrent: true,
                exitOnError: false,
              }),
          })),
          { concurrent: true, exitOnError: false },
        ),
    })),
    { concurrent: true, exitOnError: false, rendererOptions: { collapseSubtasks: true } },
  );
  const running = tasks.run().catch(() => undefined);
  const emit: Emit = (e) => {
    if (!('key' in e)) return;
    const w = waiters.get(e.key);
    if (!w) return;
    switch (e.type) {
      case 'step-progress': {
        const text = w.progress.line(e);
        for (const l of w.listeners) l(text);
        break;
      }
      case 'step-start':
        for (const l of w.listeners) l(e.attempt > 1 ? `attempt ${String(e.attempt)}` : 'running');
        break;
      case 'step-waiting':
        for (const l of w.listeners) l(e.reason);
        break;
      case 'step-done':
        for (const l of w.listeners) l(duration(e.seconds));
        w.settle('done');
        break;
      case 'step-cached':
        w.settle('done');
        break;
      case 'step-failed':
        w.settle(new Error(`${e.label}: ${failureLine(e.failure)}`));
        break;
      case 'step-skipped':
        w.settle('skipped');
        break;
      default:
        break;
    }
  };
  return {
    emit,
    close: async () => {
      // Anything still unsettled (an interrupted run) is released so the renderer can finish.
      for (const w of waiters.values()) w.settle('skipped');
      await running;
    },
  };
}
