// Per-cell result records (DESIGN "Result record"): `results/<profile>/cells/<key>.json`, where
// the key is the cell's terminal step key, so every cell with the same configuration shares one
// record across tables. A record is written from the terminal step's cached output and manifest
// only, so it is the same whichever run wrote it. Tables are built from these records alone.

import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Cache } from '../cache/store.js';
import type { Plan, PlannedCell } from '../plan/graph.js';
import type { StepKey } from '../plan/step.js';
import type { Json } from '../result.js';

/** What every terminal step writes as `metrics.json`. */
export interface TerminalOutput {
  values: Record<string, number>;
  queries?: number;
  /** sha256 of the per-query ranks, so two records can be compared query by query. */
  digest?: string;
  /** e.g. "queries generated offline (not an LLM)"; shown in tables' provenance. */
  labels?: string[];
}

export interface ResultRecord extends TerminalOutput {
  key: StepKey;
  dataset: string;
  recipe: Json;
  steps: Record<string, StepKey[]>;
  provenance: Json;
}

export const recordsDir = (resultsRoot: string, profile: string) =>
  path.join(resultsRoot, profile, 'cells');

export async function readTerminal(
  cache: Cache,
  plan: Plan,
  c: PlannedCell,
): Promise<TerminalOutput | undefined> {
  const kind = plan.steps.get(c.terminal)?.kind ?? '';
  const file = path.join(cache.dir(kind, c.terminal), 'metrics.json');
  if (!(await cache.has(kind, c.terminal))) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as TerminalOutput;
}

export async function writeRecord(
  dir: string,
  cache: Cache,
  plan: Plan,
  c: PlannedCell,
): Promise<boolean> {
  const out = await readTerminal(cache, plan, c);
  const manifest = await cache.manifest(plan.steps.get(c.terminal)?.kind ?? '', c.terminal);
  if (!out || !manifest) return false;
  const steps: Record<string, StepKey[]> = {};
  const seen = new Set<StepKey>();
  const walk = (k: StepKey) => {
    if (seen.has(k)) return;
    seen.add(k);
    const s = plan.steps.get(k);
    if (!s) return;
    (steps[s.kind] ??= []).push(k);
    Object.values(s.inputs).forEach(walk);
  };
  walk(c.terminal);
  for (const list of Object.values(steps)) list.sort();
  const record: ResultRecord = {
    key: c.terminal,
    dataset: c.cell.dataset,
    ...out,
    recipe: c.cell.recipe,
    steps,
    provenance: manifest.provenance,
  };
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${c.terminal}.json`);
  const tmp = `${file}.${String(process.pid)}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
  await rename(tmp, file);
  return true;
}

export async function readRecords(dir: string): Promise<Map<string, ResultRecord>> {
  const out = new Map<string, ResultRecord>();
  if (!existsSync(dir)) return out;
  for (const f of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
    const r = JSON.parse(await readFile(path.join(dir, f), 'utf8')) as ResultRecord;
    out.set(r.key, r);
  }
  return out;
}
