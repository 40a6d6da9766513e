// How built-in steps call the generation layer: the role a recipe names (provider, model,
// temperature), call limits and budget from the profile, writing a query file, and the cost
// estimate `exp plan` shows before anything is spent.

import type { ProfileFile, Recipe } from '../config/load.js';
import { DEFAULT_LIMITS, type CallLimits } from '../llm/calls.js';
import { estimate, generateForUnits, type QueryRecord, type Unit } from '../llm/generate.js';
import { describeGenerationFailure } from '../llm/messages.js';
import { templateHash } from '../llm/prompts.js';
import { resolvedModel } from '../llm/providers/index.js';
import { CallStore } from '../llm/store.js';
import type { CostTable, Role, Task } from '../llm/types.js';
import type { Cost, RunContext, StepFailure } from '../plan/step.js';
import { err, ok, type Json, type Result } from '../result.js';
import { need, optional } from './common.js';

export type RoleName = 'queries' | 'keywords' | 'qa' | 'metadata';

export interface RoleSlice {
  provider: Role['provider'];
  model: string;
  temperature: number;
  max_tokens: number;
}

export function roleOf(recipe: Recipe, role: RoleName): RoleSlice {
  const provider = need<Role['provider']>(recipe, `generator.${role}.provider`);
  return {
    provider,
    model: resolvedModel({ provider, model: need<string>(recipe, `generator.${role}.model`) }),
    temperature: optional<number>(recipe, `generator.${role}.temperature`) ?? 0.7,
    max_tokens: optional<number>(recipe, `generator.${role}.max_tokens`) ?? 1024,
  };
}

export function promptEnv(task: Task): Record<string, string> {
  return { [`prompt:${task}`]: templateHash(task) };
}

function costTable(profile: ProfileFile): CostTable {
  const table: CostTable = {};
  for (const [model, c] of Object.entries(profile.llm?.cost ?? {}))
    table[model] = { inputPerMTok: c.input, outputPerMTok: c.output };
  return table;
}

export function estimateCost(
  profile: ProfileFile,
  task: Task,
  role: RoleSlice,
  units: number,
  m: number,
): Partial<Cost> {
  if (role.provider === 'offline') return {};
  const e = estimate({
    task,
    units,
    m,
    role: toRole(role, profile),
    costTable: costTable(profile),
  });
  return { llmCalls: e.calls, llmTokens: e.tokensIn + e.tokensOut, usd: e.usd };
}

function toRole(r: RoleSlice, profile: ProfileFile): Role {
  return {
    provider: r.provider,
    model: r.model,
    temperature: r.temperature,
    maxTokens: r.max_tokens,
    baseURL: profile.llm?.base_url,
    region: profile.llm?.region,
    endpoint: profile.llm?.endpoint,
  };
}

function limits(profile: ProfileFile): CallLimits {
  return {
    ...DEFAULT_LIMITS,
    concurrency: profile.executor?.llm_concurrency ?? DEFAULT_LIMITS.concurrency,
    requestsPerMinute: profile.llm?.requests_per_minute,
    tokensPerMinute: profile.llm?.tokens_per_minute,
  };
}

/** Generates for every unit; the report goes into the step's manifest. */
export async function generate(
  ctx: RunContext,
  o: { task: Task; kind: string; units: Unit[]; m: number; dataset: string; role: RoleSlice },
): Promise<Result<{ records: QueryRecord[]; report: Json }, StepFailure>> {
  const budget = ctx.profile.llm?.budget_usd;
  const r = await generateForUnits({
    task: o.task,
    kind: o.kind,
    units: o.units,
    m: o.m,
    dataset: o.dataset,
    role: toRole(o.role, ctx.profile),
    store: new CallStore(ctx.cacheRoot),
    limits: limits(ctx.profile),
    budget:
      budget === undefined ? undefined : { maxUsd: budget, costTable: costTable(ctx.profile) },
    signal: ctx.signal,
    onProgress: (done, total) => {
      ctx.progress({ done, total, unit: 'calls' });
    },
  });
  if (!r.ok) {
    if (ctx.signal.aborted) return err({ reason: 'cancelled', message: 'interrupted' });
    return err({
      reason:
        'reason' in r.error && r.error.reason === 'llm-budget' ? 'budget-exceeded' : 'llm-failed',
      message: describeGenerationFailure(r.error),
    });
  }
  return ok({ records: r.value.records, report: r.value.report as unknown as Json });
}
