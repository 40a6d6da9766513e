// Read-only commands: `exp plan`, `exp config`, `exp why`, `exp cache ls|verify|gc`.

import path from 'node:path';
import { stringify as yamlLine } from 'yaml';
import type { GlobalOptions } from '../cli.js';
import { session } from '../cli.js';
import { openCache } from './run.js';
import type { Origin } from '../config/merge.js';
import type { PlannedStep } from '../plan/graph.js';
import { summarize } from '../plan/graph.js';
import type { StepKey } from '../plan/step.js';
import { closest, describe } from '../report/diff.js';
import type { Session } from '../session.js';
import { ensureTrainerEnv } from '../execute/trainer/env.js';
import { repoRoot } from '../paths.js';
import { requirementsFile } from '../steps/trainer.js';

const short = (k: string) => k.slice(0, 12);

export async function planCommand(
  s: Session,
  g: GlobalOptions,
  o: { json?: boolean },
): Promise<number> {
  const cache = openCache(g);
  const cached = new Set<StepKey>();
  for (const step of s.plan.steps.values())
    if (await cache.has(step.kind, step.key)) cached.add(step.key);
  const toRun = new Set([...s.plan.steps.keys()].filter((k) => !cached.has(k)));
  const kinds = summarize(s.plan);
  const pending = new Map(summarize(s.plan, toRun).map((k) => [k.kind, k]));
  if (o.json) {
    console.log(
      JSON.stringify(
        {
          profile: s.profile.name,
          cells: s.plan.cells.map((c) => ({ id: c.cell.id, terminal: c.terminal })),
          kinds: kinds.map((k) => ({
            ...k,
            toRun: pending.get(k.kind)?.distinct ?? 0,
            costToRun: pending.get(k.kind)?.cost,
          })),
          steps: s.plan.order.map((k) => {
            const st = s.plan.steps.get(k) as PlannedStep;
            return {
              key: k,
              kind: st.kind,
              label: st.label,
              cached: cached.has(k),
              inputs: st.inputs,
              cells: [...st.cells],
              cost: st.cost,
              blocked: st.blocked ?? null,
            };
          }),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  console.log(
    `profile ${s.profile.name}: ${String(s.plan.cells.length)} cells, ${String(s.plan.steps.size)} distinct steps, ${String(cached.size)} cached`,
  );
  const rows = [
    ['kind', 'distinct', 'cells using', 'to run', 'LLM calls', 'LLM tokens', 'USD', 'GPU-hours'],
  ];
  for (const k of kinds) {
    const p = pending.get(k.kind);
    rows.push([
      k.kind,
      String(k.distinct),
      String(k.cells),
      String(p?.distinct ?? 0),
      (p?.cost.llmCalls ?? 0).toLocaleString('en-US'),
      (p?.cost.llmTokens ?? 0).toLocaleString('en-US'),
      (p?.cost.usd ?? 0).toFixed(2),
      (p?.cost.gpuHours ?? 0).toFixed(1),
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const r of rows)
    console.log(
      r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '),
    );
  const blocked = [...s.plan.steps.values()].filter((st) => st.blocked && !cached.has(st.key));
  for (const b of blocked)
    console.log(`blocked in profile ${s.profile.name}: ${b.label}: ${b.blocked ?? ''}`);
  return 0;
}

export function configCommand(s: Session, row: string, dataset: string): number {
  const cell = s.plan.cells.find((c) => c.cell.row === row && c.cell.dataset === dataset)?.cell;
  if (!cell) {
    const rows = [...new Set(s.plan.cells.map((c) => c.cell.row))];
    console.error(
      `no cell for row "${row}" and dataset "${dataset}"; rows: ${rows.join(', ')}; datasets: ${[...new Set(s.plan.cells.map((c) => c.cell.dataset))].join(', ')}`,
    );
    return 2;
  }
  console.log(`# ${cell.id} (profile ${cell.profile})`);
  const where = (o: Origin | undefined) => {
    if (!o) return '';
    if (!o.file || !o.range) return o.label;
    const src = s.sources.get(o.file);
    const line = src ? src.lines.linePos(o.range[0]).line : undefined;
    return `${o.label} (${path.relative(process.cwd(), o.file)}${line ? `:${String(line)}` : ''})`;
  };
  const paths = [...cell.origins.keys()].sort();
  const width = Math.max(...paths.map((p) => p.length));
  for (const p of paths) {
    let v: unknown = cell.recipe;
    for (const k of p.split('.')) v = (v as Record<string, unknown> | undefined)?.[k];
    console.log(
      `${p.padEnd(width)} = ${yamlLine(v).trim().replace(/\n\s*/g, ' ').padEnd(24)}  # ${where(cell.origins.get(p))}`,
    );
  }
  return 0;
}

export async function whyCommand(s: Session, g: GlobalOptions, target: string): Promise<number> {
  const cache = openCache(g);
  const cell = s.plan.cells.find((c) => c.cell.id === target);
  const start = cell?.terminal ?? [...s.plan.steps.keys()].find((k) => k.startsWith(target));
  if (!start) {
    console.error(
      `"${target}" is neither a cell id (table/row/dataset) nor a step key of these experiments`,
    );
    return 2;
  }
  // Walk down from the target to the uncached steps whose inputs are all cached: those are
  // where the difference starts.
  const frontier: PlannedStep[] = [];
  const seen = new Set<StepKey>();
  const visit = async (k: StepKey): Promise<boolean> => {
    const st = s.plan.steps.get(k) as PlannedStep;
    if (await cache.has(st.kind, k)) return true;
    if (seen.has(k)) return false;
    seen.add(k);
    let inputsCached = true;
    for (const i of Object.values(st.inputs)) inputsCached = (await visit(i)) && inputsCached;
    if (inputsCached) frontier.push(st);
    return false;
  };
  if (await visit(start)) {
    console.log(`${target}: cached (${short(start)})`);
    return 0;
  }
  for (const st of frontier) {
    const others = [];
    for (const e of await cache.entries()) {
      if (e.kind !== st.kind) continue;
      const m = await cache.manifest(e.kind, e.key);
      if (m) others.push(m);
    }
    const view = (x: { version: number; slice: unknown; inputs: unknown; env: unknown }) =>
      JSON.parse(
        JSON.stringify({ version: x.version, recipe: x.slice, inputs: x.inputs, env: x.env }),
      ) as never;
    const near = closest(view(st), others, view);
    if (!near)
      console.log(
        `${st.label} (${short(st.key)}): never run (no cached ${st.kind} step to compare with)`,
      );
    else
      console.log(
        `${st.label} (${short(st.key)}): differs from cached ${short(near.item.key)} in ${describe(near.changes)}`,
      );
  }
  return 0;
}

export async function cacheCommand(
  action: string,
  files: string[],
  g: GlobalOptions,
): Promise<number> {
  const cache = openCache(g);
  switch (action) {
    case 'ls': {
      for (const e of await cache.entries()) {
        const m = await cache.manifest(e.kind, e.key);
        const bytes = m?.files.reduce((t, f) => t + f.size, 0) ?? 0;
        console.log(
          `${e.kind.padEnd(16)} ${short(e.key)}  ${m ? `${(bytes / 1e6).toFixed(1).padStart(8)} MB  ${m.timings.finished}  ${m.label}` : 'INVALID (no manifest)'}`,
        );
      }
      return 0;
    }
    case 'verify': {
      const problems = await cache.verify();
      for (const p of problems) console.error(p);
      console.log(
        problems.length
          ? `${String(problems.length)} problem(s)`
          : 'cache verified: every file matches its manifest',
      );
      return problems.length ? 1 : 0;
    }
    case 'gc': {
      const s = await session(files, g);
      if (!s) return 2;
      const { removed, bytes } = await cache.gc(new Set(s.plan.steps.keys()));
      console.log(
        `removed ${String(removed)} entries (${(bytes / 1e6).toFixed(1)} MB) not used by ${files.join(' ')}`,
      );
      return 0;
    }
    default:
      console.error(`unknown cache action "${action}": use ls, verify or gc`);
      return 2;
  }
}

/** `exp env`: the host's trainer environment, created if missing. */
export async function envCommand(): Promise<number> {
  const r = await ensureTrainerEnv({
    root: repoRoot,
    requirementsFile: requirementsFile(repoRoot),
    python: process.env.EXP_PYTHON,
    onProgress: (line) => {
      console.error(line);
    },
  });
  if (!r.ok) {
    console.error(`creating the trainer environment failed: ${r.error.message}`);
    return 1;
  }
  console.log(r.value.python);
  return 0;
}
