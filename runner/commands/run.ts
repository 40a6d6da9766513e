// `exp run` and `exp tables`: execute a session's plan, write result records for finished cells
// and rebuild the CSVs; `--check` compares rebuilt tables with the committed ones.

import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Cache } from '../cache/store.js';
import type { GlobalOptions } from '../cli.js';
import type { RunEvent } from '../execute/events.js';
import { jsonReporter } from '../execute/reporters/json.js';
import { plainReporter } from '../execute/reporters/plain.js';
import { execute } from '../execute/scheduler.js';
import { repoRoot } from '../paths.js';
import type { PlannedCell } from '../plan/graph.js';
import type { StepKey } from '../plan/step.js';
import { closest, describe } from '../report/diff.js';
import { provenance } from '../report/provenance.js';
import { readRecords, recordsDir, writeRecord } from '../report/records.js';
import { buildTable, type CellState } from '../report/tables.js';
import type { Session } from '../session.js';

export function openCache(g: GlobalOptions): Cache {
  return new Cache(path.resolve(g.cacheDir), process.env.EXP_CACHE_READONLY === '1');
}

/** A function that computes its value on the first call only. */
function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
}

export interface RunOptions {
  keepGoing?: boolean;
  jobs: number;
  frozen?: boolean;
  reporter: string;
  maxCost?: number;
}

export async function runCommand(s: Session, g: GlobalOptions, o: RunOptions): Promise<number> {
  // A budget never enters a key: it decides whether a call is made, not what it returns.
  const profile =
    o.maxCost === undefined
      ? s.profile
      : { ...s.profile, llm: { ...s.profile.llm, budget_usd: o.maxCost } };
  const cache = openCache(g);
  const blocked = [];
  for (const step of s.plan.steps.values()) {
    if (step.blocked && !(await cache.has(step.kind, step.key))) blocked.push(step);
  }
  // Docker was not there when the plan was made (a warning said so): its keys are provisional.
  for (const step of s.plan.steps.values()) {
    if (!step.env.trainer_image?.startsWith('unresolved:')) continue;
    if (await cache.has(step.kind, step.key)) continue;
    const image = step.env.trainer_image.slice('unresolved:'.length);
    console.error(
      `cannot run ${step.label}: the trainer image ${image} is not available (build it with \`docker build -f trainers/Dockerfile -t ${image} .\` or pull it)`,
    );
    return 2;
  }
  if (blocked.length && !o.keepGoing) {
    for (const b of blocked)
      console.error(
        `cannot run ${b.label} in profile ${s.profile.name}: ${b.blocked ?? ''} (needed by ${[...b.cells].slice(0, 3).join(', ')}${b.cells.size > 3 ? ', …' : ''})`,
      );
    return 2;
  }
  const kind =
    o.reporter === 'auto'
      ? process.env.CI === 'true' || !process.stderr.isTTY
        ? 'plain'
        : 'terminal'
      : o.reporter;
  // listr2 is loaded only for a terminal: CI and fully cached runs should not pay for it.
  const reporter =
    kind === 'json'
      ? jsonReporter()
      : kind === 'plain'
        ? plainReporter()
        : (await import('../execute/reporters/terminal.js')).terminalReporter(s.plan);
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    reporter.emit({ type: 'interrupted', signal } satisfies RunEvent);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await execute({
      plan: s.plan,
      kinds: s.pipeline.kinds,
      cache,
      limits: {
        cpu: Math.max(1, o.jobs),
        gpu: s.profile.executor?.gpus ?? 0,
        llm: s.profile.executor?.llm_concurrency ?? 8,
      },
      keepGoing: o.keepGoing ?? false,
      frozen: o.frozen ?? false,
      signal: controller.signal,
      emit: reporter.emit,
      profile,
      repoRoot,
      provenance: once(() => provenance(repoRoot)),
    });
    await reporter.close();
    const state = (c: PlannedCell) => cellState(s, c, (k) => result.status.get(k) === 'failed');
    if (!cache.readOnly) {
      const dir = recordsDir(path.resolve(g.resultsDir), s.profile.name);
      for (const c of s.plan.cells) {
        const st = result.status.get(c.terminal);
        if (st === 'done' || st === 'cached') await writeRecord(dir, cache, s.plan, c);
      }
    }
    await writeTables(s, g, state);
    const failed = [...result.status.values()].some((v) => v === 'failed' || v === 'skipped');
    return failed || controller.signal.aborted ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Why a cell has no result: a step this profile cannot run, a failed step, or not run yet. */
function cellState(
  s: Session,
  c: PlannedCell,
  failed: (k: StepKey) => boolean = () => false,
): CellState {
  const closure = new Set<StepKey>();
  const walk = (k: StepKey) => {
    if (closure.has(k)) return;
    closure.add(k);
    Object.values(s.plan.steps.get(k)?.inputs ?? {}).forEach(walk);
  };
  walk(c.terminal);
  if ([...closure].some((k) => s.plan.steps.get(k)?.blocked)) return 'blocked';
  return [...closure].some(failed) ? 'failed' : 'missing';
}

async function tablesFor(
  s: Session,
  g: GlobalOptions,
  state: (c: PlannedCell) => CellState = (c) => cellState(s, c),
) {
  const records = await readRecords(recordsDir(path.resolve(g.resultsDir), s.profile.name));
  return s.experiments.map((exp) => {
    const cells = s.plan.cells.filter((c) => c.cell.table === exp.experiment.value.table);
    const ref = exp.experiment.value.reference
      ? s.references.get(exp.experiment.value.reference)
      : undefined;
    const csv = buildTable(exp, cells, records, ref, state);
    const base = path.join(path.resolve(g.resultsDir), s.profile.name, exp.experiment.value.table);
    return { exp, csv, files: { wide: `${base}.csv`, long: `${base}.long.csv` }, records };
  });
}

async function writeTables(s: Session, g: GlobalOptions, state?: (c: PlannedCell) => CellState) {
  for (const t of await tablesFor(s, g, state)) {
    await mkdir(path.dirname(t.files.wide), { recursive: true });
    await writeFile(t.files.wide, t.csv.wide);
    await writeFile(t.files.long, t.csv.long);
  }
}

export async function tablesCommand(
  s: Session,
  g: GlobalOptions,
  o: { check?: boolean },
): Promise<number> {
  if (!o.check) {
    await writeTables(s, g);
    for (const e of s.experiments)
      console.log(
        `wrote ${path.join(g.resultsDir, s.profile.name, `${e.experiment.value.table}.csv`)}`,
      );
    return 0;
  }
  const problems: string[] = [];
  for (const t of await tablesFor(s, g)) {
    // Cells this profile cannot compute (blocked) are expected to be absent.
    for (const { cell: c } of t.csv.absent.filter((a) => a.state === 'missing')) {
      const same = [...t.records.values()].filter((r) => r.dataset === c.cell.dataset);
      const near = closest(c.cell.recipe, same, (r) => r.recipe);
      problems.push(
        `${c.cell.id}: no result for its current configuration${near ? (near.changes.length ? ` (closest result differs in ${describe(near.changes)})` : ' (a result with the same recipe exists: code, prompts or environment changed its key)') : ''}`,
      );
    }
    for (const [name, file] of Object.entries(t.files)) {
      const want = name === 'wide' ? t.csv.wide : t.csv.long;
      const have = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      if (have !== want)
        problems.push(
          `${path.relative(process.cwd(), file)} is ${have === undefined ? 'missing' : 'stale'}: run \`exp tables\``,
        );
    }
  }
  for (const p of problems) console.error(p);
  if (!problems.length)
    console.log(`tables are up to date (${String(s.experiments.length)} tables)`);
  return problems.length ? 1 : 0;
}
