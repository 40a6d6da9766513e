// Cells → step graph (pure). Each cell's terminal step is planned recursively through the step
// kinds; a step's key covers only its slice, its inputs' keys and its environment hashes, so
// identical steps are one node across rows and tables. Cycles are an error naming the loop.
// Does not touch the cache or run anything.

import { createHash } from 'node:crypto';
import type { Cell, CellId, ResolvedExperiment } from '../config/resolve.js';
import type { DatasetFile, ProfileFile } from '../config/load.js';
import { canonical } from '../config/merge.js';
import { err, ok, type Json, type Result } from '../result.js';
import type { Cost, Resources, StepKey, StepKind } from './step.js';

export interface PlannedStep {
  key: StepKey;
  kind: string;
  label: string;
  version: number;
  slice: Json;
  inputs: Record<string, StepKey>;
  env: Record<string, string>;
  resources: Resources;
  cost: Cost;
  blocked?: string;
  /** Cells whose results depend on this step. */
  cells: Set<CellId>;
}

export interface PlannedCell {
  cell: Cell;
  terminal: StepKey;
}

export interface Plan {
  steps: Map<StepKey, PlannedStep>;
  cells: PlannedCell[];
  /** Topological order: every step after its inputs. */
  order: StepKey[];
}

export type PlanError =
  | { reason: 'cycle'; loop: string[] }
  | { reason: 'unknown-kind'; kind: string; from: string }
  | { reason: 'invalid-recipe'; cell: CellId; message: string };

export interface PlanOptions {
  kinds: Map<string, StepKind>;
  /** The step kind that finishes the cells of an experiment. */
  terminal(exp: ResolvedExperiment): string;
  profile: ProfileFile;
  datasets: Map<string, DatasetFile>;
  repoRoot: string;
}

export function stepKey(parts: {
  kind: string;
  version: number;
  slice: Json;
  inputs: Record<string, StepKey>;
  env: Record<string, string>;
}): StepKey {
  return createHash('sha256').update(canonical(parts)).digest('hex') as StepKey;
}

export function buildPlan(
  experiments: ResolvedExperiment[],
  options: PlanOptions,
): Result<Plan, PlanError> {
  const steps = new Map<StepKey, PlannedStep>();
  const order: StepKey[] = [];
  const cells: PlannedCell[] = [];
  for (const exp of experiments) {
    for (const cell of exp.cells) {
      const dataset = options.datasets.get(cell.dataset);
      if (!dataset) throw new Error(`internal error: dataset ${cell.dataset} not loaded`);
      const ctx = { cell, dataset, profile: options.profile, repoRoot: options.repoRoot };
      const memo = new Map<string, StepKey>();
      const visit = (
        kind: string,
        args: Json,
        stack: string[],
        from: string,
      ): Result<StepKey, PlanError> => {
        const id = `${kind}${args === null ? '' : canonical(args)}`;
        const label0 = args === null ? kind : `${kind}(${canonical(args)})`;
        if (stack.includes(id)) {
          const start = stack.indexOf(id);
          return err({
            reason: 'cycle',
            loop: [...stack.slice(start), id].map((s) => s.replace(/\{.*$/, '')),
          });
        }
        const known = memo.get(id);
        if (known) return ok(known);
        const impl = options.kinds.get(kind);
        if (!impl) return err({ reason: 'unknown-kind', kind, from });
        let planned;
        try {
          planned = impl.plan(ctx, args);
        } catch (e) {
          return err({
            reason: 'invalid-recipe',
            cell: cell.id,
            message: `${kind}: ${(e as Error).message}`,
          });
        }
        const inputs: Record<string, StepKey> = {};
        for (const [name, req] of Object.entries(planned.inputs ?? {})) {
          const r = visit(req.kind, req.args ?? null, [...stack, id], label0);
          if (!r.ok) return r;
          inputs[name] = r.value;
        }
        const env = planned.env ?? {};
        const key = stepKey({ kind, version: impl.version, slice: planned.slice, inputs, env });
        memo.set(id, key);
        let step = steps.get(key);
        if (!step) {
          step = {
            key,
            kind,
            label: planned.label ?? kind,
            version: impl.version,
            slice: planned.slice,
            inputs,
            env,
            resources: { cpu: 1, gpu: 0, llm: 0, ...planned.resources },
            cost: { llmCalls: 0, llmTokens: 0, usd: 0, gpuHours: 0, ...planned.cost },
            blocked: planned.blocked,
            cells: new Set(),
          };
          steps.set(key, step);
          order.push(key);
        }
        step.cells.add(cell.id);
        return ok(key);
      };
      const terminal = visit(options.terminal(exp), null, [], 'cell');
      if (!terminal.ok) return terminal;
      cells.push({ cell, terminal: terminal.value });
    }
  }
  return ok({ steps, cells, order });
}

/** Steps reachable from some cell's terminal, for every step the set of steps that need it. */
export function dependents(plan: Plan): Map<StepKey, StepKey[]> {
  const out = new Map<StepKey, StepKey[]>();
  for (const key of plan.order) out.set(key, []);
  for (const step of plan.steps.values()) {
    for (const input of Object.values(step.inputs)) out.get(input)?.push(step.key);
  }
  return out;
}

export interface KindSummary {
  kind: string;
  distinct: number;
  cells: number;
  cost: Cost;
}

/** Per step kind: distinct steps vs cells asking for them, and summed estimated cost. */
export function summarize(plan: Plan, only?: Set<StepKey>): KindSummary[] {
  const byKind = new Map<string, KindSummary>();
  for (const step of plan.steps.values()) {
    if (only && !only.has(step.key)) continue;
    const s = byKind.get(step.kind) ?? {
      kind: step.kind,
      distinct: 0,
      cells: 0,
      cost: { llmCalls: 0, llmTokens: 0, usd: 0, gpuHours: 0 },
    };
    s.distinct += 1;
    s.cells += step.cells.size;
    for (const k of Object.keys(s.cost) as (keyof Cost)[]) s.cost[k] += step.cost[k];
    byKind.set(step.kind, s);
  }
  return [...byKind.values()];
}
