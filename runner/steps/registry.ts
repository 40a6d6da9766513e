// The step kinds a run can use: the built-in pipeline, or — for the test suite and for users
// who bring their own pipeline — a module named by EXP_STEP_KINDS that exports
// `kinds: StepKind[]` and `terminal: string`.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StepKind } from '../plan/step.js';
import type { ExperimentFile } from '../config/load.js';
import { builtinKinds, terminals } from './index.js';

export type ExperimentKind = NonNullable<ExperimentFile['kind']>;

export interface Pipeline {
  kinds: Map<string, StepKind>;
  /** The step kind that finishes a cell of an experiment and writes `metrics.json`. */
  terminal(kind: ExperimentKind): string;
}

export async function loadPipeline(): Promise<Pipeline> {
  const plugin = process.env.EXP_STEP_KINDS;
  if (plugin) {
    const mod = (await import(pathToFileURL(path.resolve(plugin)).href)) as {
      kinds: StepKind[];
      terminal: string;
    };
    return { kinds: new Map(mod.kinds.map((k) => [k.name, k])), terminal: () => mod.terminal };
  }
  return {
    kinds: new Map(builtinKinds().map((k) => [k.name, k])),
    terminal: (kind) => terminals[kind],
  };
}
