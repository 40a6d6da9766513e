// Reads YAML files into validated values with their source kept for diagnostics, and finds the
// dataset, profile and reference files that sit next to an experiment file
// (`<dir>/datasets/*.yaml`, `<dir>/profiles/*.yaml`, `<dir>/reference/*.yaml`). Does not merge
// recipes (resolve.ts does).

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { err, ok, type Json, type Result } from '../result.js';
import { parseSource, type Diagnostic, type SourceFile } from './diagnostics.js';
import type { SchemaName, Schemas } from './schemas.js';
import { validateSource } from './validate.js';

export interface Loaded<T> {
  src: SourceFile;
  value: T;
}

export type Recipe = { [key: string]: Json };

export interface ExperimentFile {
  table: string;
  title: string;
  kind?: 'retrieval' | 'statistics' | 'similarity';
  datasets: string[];
  base?: Recipe;
  rows?: Record<string, Recipe>;
  sweep?: { name: string; base?: Recipe; grid: Record<string, Json[]> };
  seeds?: number[];
  reference?: string;
  compare?: [string, string][];
}

export interface DatasetFile {
  name: string;
  description?: string;
  unit: 'chunk' | 'document';
  metrics: string[];
  recipe: Recipe;
  estimate?: { contexts?: number; sentences_per_context?: number; units?: number };
}

export interface ProfileFile {
  name: string;
  description?: string;
  recipe?: Recipe;
  datasets?: Record<string, Recipe>;
  /** No network: steps that download model weights cannot run. */
  offline?: boolean;
  executor?: {
    kind?: 'local' | 'docker' | 'slurm';
    image?: string;
    gpus?: number;
    cpus?: number;
    llm_concurrency?: number;
  };
  llm?: {
    budget_usd?: number;
    requests_per_minute?: number;
    tokens_per_minute?: number;
    region?: string;
    endpoint?: string;
    base_url?: string;
    cost?: Record<string, { input: number; output: number }>;
  };
  gpu_hours_per_step?: Record<string, number>;
}

export interface ReferenceFile {
  name: string;
  source?: string;
  tables: Record<string, Record<string, Record<string, Record<string, number>>>>;
}

export function loadYaml<T>(
  file: string,
  schema: SchemaName,
  schemas: Schemas,
): Result<Loaded<T>, Diagnostic[]> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(e);
    return err([{ severity: 'error', file, message: `cannot read: ${reason}` }]);
  }
  const src = parseSource(file, text);
  const diags = validateSource(src, schema, schemas);
  return diags.length ? err(diags) : ok({ src, value: src.doc.toJS() as T });
}

/** Experiment files named on the command line: files as they are, folders by their *.yaml. */
export function experimentPaths(args: string[]): Result<string[], Diagnostic[]> {
  const out: string[] = [];
  const diags: Diagnostic[] = [];
  for (const a of args) {
    if (!existsSync(a)) {
      diags.push({ severity: 'error', file: a, message: 'no such file or folder' });
    } else if (statSync(a).isDirectory()) {
      out.push(...yamlFilesIn(a));
    } else out.push(a);
  }
  return diags.length ? err(diags) : ok(out);
}

export function yamlFilesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The named files of one kind next to an experiment: `<dir>/<sub>/<name>.yaml`. */
export function siblingNames(experimentDir: string, sub: string): string[] {
  return yamlFilesIn(path.join(experimentDir, sub)).map((f) =>
    path.basename(f).replace(/\.ya?ml$/, ''),
  );
}
