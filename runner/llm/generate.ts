// The generation API behind the query-generation step kinds: renders a task's prompt for each
// unit, runs the calls (calls.ts), parses and validates the answers, and returns query records
// with an honest report (asked / received / kept, shortfalls, calls made vs cached, tokens,
// cost). Writing records to files and step caching are the step kind's job.

import { err, ok, unreachable, type Result } from '../result.js';
import {
  runCalls,
  type Budget,
  type CallJob,
  type CallLimits,
  type CallsFailure,
  type CallStats,
} from './calls.js';
import { costUsd, estimateTokens } from './cost.js';
import {
  parseList,
  parseMetadata,
  parseQaPairs,
  validateItems,
  type DropReason,
  type ParsedMetadata,
  type QaPair,
} from './parse.js';
import {
  instructionText,
  loadTemplate,
  render,
  type RenderFailure,
  type Template,
} from './prompts.js';
import { createProvider, generatorId, resolvedModel } from './providers/index.js';
import type { CallStore } from './store.js';
import type { ChatResponse, CostTable, Provider, Role, Task } from './types.js';
import type { QueryRecord as DataQueryRecord } from '../data/records.js';

export interface Unit {
  id: string;
  text: string;
  metadata: Record<string, string>;
}

/** One line of a query file (JSONL), as every query set writes it. */
export type QueryRecord = DataQueryRecord & { metadata?: ParsedMetadata };

export interface GenerationReport {
  task: Task;
  kind: string;
  generator: string;
  templateHash: string;
  units: number;
  asked: number;
  received: number;
  kept: number;
  /** Items dropped from lists cut off by the token limit, and by validation. */
  truncated: number;
  dropped: Partial<Record<DropReason, number>>;
  shortfalls: { unit: string; asked: number; received: number; kept: number }[];
  failedUnits: { unit: string; reason: string; message: string }[];
  calls: { made: number; fresh: number; cached: number; retries: number; rejected: number };
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  failures: CallStats['failures'];
}

export type GenerationFailure = (CallsFailure & { report: GenerationReport }) | RenderFailure;

export interface GenerateOptions {
  task: Task;
  /** Label in record ids and files (`chunk`, `sentence`, …); defaults to the task. */
  kind?: string;
  units: Iterable<Unit>;
  m: number;
  dataset: string;
  role: Role;
  store: CallStore;
  limits: CallLimits;
  budget?: Budget;
  signal: AbortSignal;
  onProgress?: (done: number, total: number, stats: CallStats) => void;
  /** Defaults to the role's provider; tests and benches inject their own. */
  provider?: Provider;
  promptsDir?: string;
}

type Items =
  | { kind: 'list'; items: string[] }
  | { kind: 'pairs'; items: QaPair[] }
  | { kind: 'metadata'; value: ParsedMetadata };

interface Parsed {
  items: Items;
  received: number;
  truncated: number;
  dropped: { why: DropReason }[];
}

const NO_SELF_REFERENCE = ['the context', 'the article', 'the passage'];

function promptVars(
  task: Task,
  unit: Unit,
  m: number,
  dataset: string,
  template: Template,
): Record<string, string> {
  switch (task) {
    case 'keywords':
    case 'metadata':
      return { context: unit.text };
    case 'questions':
    case 'qa-pairs':
      return { m: String(m), context: unit.text };
    case 'constraints': {
      const fields = Object.entries(unit.metadata).filter(([, v]) => v.trim() !== '');
      return {
        m: String(m),
        guidance: template.blocks[dataset] ?? template.blocks['generic'] ?? '',
        metadata:
          fields.length === 0 ? '(none)' : fields.map(([k, v]) => `- ${k}: ${v}`).join('\n'),
        context: unit.text,
      };
    }
    default:
      return unreachable(task);
  }
}

function parseResponse(
  task: Task,
  response: ChatResponse,
  instruction: string,
): Result<Parsed, string> {
  if (task === 'metadata') {
    const value = parseMetadata(response.text);
    return value === undefined
      ? err('no "topic:" line')
      : ok({ items: { kind: 'metadata', value }, received: 1, truncated: 0, dropped: [] });
  }
  const rules = {
    instruction,
    minChars: task === 'keywords' ? 2 : 8,
    maxChars: task === 'keywords' ? 120 : 400,
    forbidden: task === 'constraints' || task === 'qa-pairs' ? NO_SELF_REFERENCE : [],
  };
  // A list cut off by the token limit ends in a half-written item: it is dropped, and counted.
  const cut = <T>(items: T[]): [T[], number] =>
    response.stopReason === 'length' && items.length > 1 ? [items.slice(0, -1), 1] : [items, 0];
  if (task === 'qa-pairs') {
    const [pairs, truncated] = cut(parseQaPairs(response.text));
    const checked = validateItems(pairs, (p) => p.query, rules);
    if (checked.kept.length === 0) return err(`no usable query–answer pair among ${pairs.length}`);
    return ok({
      items: { kind: 'pairs', items: checked.kept },
      received: pairs.length + truncated,
      truncated,
      dropped: checked.dropped,
    });
  }
  const [items, truncated] = cut(
    parseList(response.text, { unmarked: task === 'keywords' ? 'all' : 'questions' }),
  );
  const checked = validateItems(items, (s) => s, rules);
  if (checked.kept.length === 0) return err(`no usable item among ${items.length}`);
  return ok({
    items: { kind: 'list', items: checked.kept },
    received: items.length + truncated,
    truncated,
    dropped: checked.dropped,
  });
}

function toRecords(
  task: Task,
  unit: Unit,
  kind: string,
  generator: string,
  sample: number,
  items: Items,
): QueryRecord[] {
  const base = (n: number, text: string): QueryRecord => ({
    id: `${unit.id}#${kind}#${n}`,
    text,
    unit: unit.id,
    kind,
    generator,
    sample,
  });
  switch (items.kind) {
    case 'list':
      // Keywords form one identifier per unit; questions are one record each.
      return task === 'keywords'
        ? [base(0, items.items.join(', '))]
        : items.items.map((q, n) => base(n, q));
    case 'pairs':
      return items.items.map((p, n) => ({ ...base(n, p.query), answer: p.answer }));
    case 'metadata':
      return [
        {
          ...base(0, `topic: ${items.value.topic}; location: ${items.value.location}`),
          metadata: items.value,
        },
      ];
    default:
      return unreachable(items);
  }
}

export async function generateForUnits(
  o: GenerateOptions,
): Promise<Result<{ records: QueryRecord[]; report: GenerationReport }, GenerationFailure>> {
  const units = [...o.units];
  const kind = o.kind ?? o.task;
  const template = loadTemplate(o.task, o.promptsDir);
  const instruction = instructionText(template);
  const jobs: CallJob[] = [];
  for (const unit of units) {
    const prompt = render(template, promptVars(o.task, unit, o.m, o.dataset, template));
    if (!prompt.ok) return prompt;
    jobs.push({
      prompt: prompt.value,
      source: {
        task: o.task,
        text: unit.text,
        metadata: unit.metadata,
        m: o.m,
        dataset: o.dataset,
      },
    });
  }
  const asksFor = o.task === 'keywords' || o.task === 'metadata' ? 1 : o.m;
  const generator = generatorId(o.role);
  const report: GenerationReport = {
    task: o.task,
    kind,
    generator,
    templateHash: template.hash,
    units: units.length,
    asked: asksFor * units.length,
    received: 0,
    kept: 0,
    truncated: 0,
    dropped: {},
    shortfalls: [],
    failedUnits: [],
    calls: { made: 0, fresh: 0, cached: 0, retries: 0, rejected: 0 },
    tokensIn: 0,
    tokensOut: 0,
    costUsd: 0,
    failures: {},
  };
  const finish = (stats: CallStats): void => {
    report.calls = {
      made: stats.attempts,
      fresh: stats.accepted,
      cached: stats.cached,
      retries: stats.retries,
      rejected: stats.rejected,
    };
    report.tokensIn = stats.tokensIn;
    report.tokensOut = stats.tokensOut;
    report.costUsd = stats.costUsd;
    report.failures = stats.failures;
  };
  let done = 0;
  const result = await runCalls({
    provider: o.provider ?? (await createProvider(o.role)),
    // Calls are keyed by the model the role really resolves to (the offline generator's version).
    role: { ...o.role, model: resolvedModel(o.role) },
    jobs,
    store: o.store,
    limits: o.limits,
    ...(o.budget === undefined ? {} : { budget: o.budget }),
    signal: o.signal,
    accept: (response) => parseResponse(o.task, response, instruction),
    onSettled: (_job, _outcome, stats) => o.onProgress?.(++done, jobs.length, stats),
  });
  if (!result.ok) {
    const { stats, ...failure } = result.error;
    finish(stats);
    return err({ ...failure, report });
  }
  finish(result.value.stats);
  const records: QueryRecord[] = [];
  units.forEach((unit, i) => {
    const outcome = result.value.outcomes[i];
    if (outcome === undefined) throw new Error(`internal error: unit ${unit.id} was never settled`);
    if (outcome.status === 'failed') {
      report.failedUnits.push({ unit: unit.id, reason: outcome.reason, message: outcome.message });
      report.shortfalls.push({ unit: unit.id, asked: asksFor, received: 0, kept: 0 });
      return;
    }
    const parsed = outcome.value;
    const unitRecords = toRecords(o.task, unit, kind, generator, outcome.sample, parsed.items);
    const kept = parsed.items.kind === 'metadata' ? 1 : parsed.items.items.length;
    report.received += parsed.received;
    report.kept += kept;
    report.truncated += parsed.truncated;
    for (const d of parsed.dropped) report.dropped[d.why] = (report.dropped[d.why] ?? 0) + 1;
    if (kept < asksFor)
      report.shortfalls.push({ unit: unit.id, asked: asksFor, received: parsed.received, kept });
    records.push(...unitRecords);
  });
  return ok({ records, report });
}

export interface Estimate {
  calls: number;
  tokensIn: number;
  tokensOut: number;
  /** Undefined when the model has no price in the cost table. */
  usd: number | undefined;
}

/** What a generation would cost, for `exp plan`, before anything is spent. */
export function estimate(o: {
  task: Task;
  units: number;
  m: number;
  role: Role;
  costTable: CostTable;
  avgUnitChars?: number;
  promptsDir?: string;
}): Estimate {
  const template = loadTemplate(o.task, o.promptsDir);
  // Typical answer sizes: ~30 tokens per question or pair, ~60 for a keyword list.
  const perCallOut = o.task === 'keywords' ? 60 : o.task === 'metadata' ? 15 : 30 * o.m;
  const perCallIn = estimateTokens(template.body) + Math.ceil((o.avgUnitChars ?? 1_100) / 4);
  const tokensIn = o.units * perCallIn;
  const tokensOut = o.units * Math.min(o.role.maxTokens, perCallOut);
  return {
    calls: o.units,
    tokensIn,
    tokensOut,
    usd: costUsd(o.costTable, o.role.provider, o.role.model, tokensIn, tokensOut),
  };
}
