// Composition: dataset recipe < profile < table base < row < `--set`, into one fully resolved
// recipe per cell (table × row × dataset × seed), with the origin of every value. Also the
// semantic rules that span files: unknown dataset or profile, metrics a dataset does not define,
// generated row names that collide, rows that change nothing. Does not plan steps.

import path from 'node:path';
import { parse as parseYamlValue } from 'yaml';
import { err, ok, type Json, type Result } from '../result.js';
import { suggestion, type Diagnostic, type SourceFile } from './diagnostics.js';
import {
  loadYaml,
  siblingNames,
  type DatasetFile,
  type ExperimentFile,
  type Loaded,
  type ProfileFile,
  type Recipe,
  type ReferenceFile,
} from './load.js';
import { canonical, getPath, mergeInto, type Origin, type Origins, type Tree } from './merge.js';
import type { Schemas } from './schemas.js';
import { keyRange, nodeRange } from './validate.js';

export type CellId = string & { __brand: 'CellId' };

export interface Cell {
  id: CellId;
  table: string;
  row: string;
  dataset: string;
  seed: number;
  profile: string;
  recipe: Recipe;
  origins: Origins;
}

export interface ResolvedExperiment {
  experiment: Loaded<ExperimentFile>;
  rows: string[];
  cells: Cell[];
  warnings: Diagnostic[];
}

export interface Override {
  path: string[];
  raw: string;
}

/** The files around an experiment folder, each loaded and validated once. */
export class Workspace {
  private readonly cache = new Map<string, Result<Loaded<unknown>, Diagnostic[]>>();
  constructor(
    readonly dir: string,
    readonly schemas: Schemas,
  ) {}

  dataset(name: string): Result<Loaded<DatasetFile>, Diagnostic[]> {
    return this.load<DatasetFile>('datasets', name, 'dataset');
  }
  profile(name: string): Result<Loaded<ProfileFile>, Diagnostic[]> {
    return this.load<ProfileFile>('profiles', name, 'profile');
  }
  reference(name: string): Result<Loaded<ReferenceFile>, Diagnostic[]> {
    return this.load<ReferenceFile>('reference', name, 'reference');
  }
  names(sub: 'datasets' | 'profiles' | 'reference'): string[] {
    return siblingNames(this.dir, sub);
  }

  private load<T>(sub: string, name: string, schema: 'dataset' | 'profile' | 'reference') {
    const file = path.join(this.dir, sub, `${name}.yaml`);
    let r = this.cache.get(file);
    if (!r) {
      r = loadYaml<T>(file, schema, this.schemas);
      this.cache.set(file, r);
    }
    return r as Result<Loaded<T>, Diagnostic[]>;
  }
}

export function parseOverride(arg: string): Result<Override, string> {
  const eq = arg.indexOf('=');
  if (eq <= 0) return err(`--set ${arg}: expected path=value, e.g. preference.k=3`);
  return ok({ path: arg.slice(0, eq).split('.'), raw: arg.slice(eq + 1) });
}

export function resolveExperiment(
  experiment: Loaded<ExperimentFile>,
  options: { profile: string; overrides: Override[] },
  ws: Workspace,
): Result<ResolvedExperiment, Diagnostic[]> {
  const diags: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const { src, value: exp } = experiment;
  const at = (p: (string | number)[]) => nodeRange(src, p);

  const profile = ws.profile(options.profile);
  if (!profile.ok) {
    const known = ws.names('profiles');
    return err(
      missingFile(profile.error)
        ? [
            {
              severity: 'error',
              file: src.path,
              message: `unknown profile "${options.profile}"${suggestion(options.profile, known)}; profiles: ${known.join(', ')}`,
            },
          ]
        : profile.error,
    );
  }

  const datasets = new Map<string, Loaded<DatasetFile>>();
  diags.push(...unknownDatasets(src, exp.datasets, ws));
  for (const name of exp.datasets) {
    const d = ws.dataset(name);
    if (d.ok) datasets.set(name, d.value);
    else if (!missingFile(d.error)) diags.push(...d.error);
  }

  const rows = expandRows(experiment, diags);
  const overrides = typedOverrides(options.overrides, ws.schemas, diags);
  if (diags.length) return err(diags);

  const cells: Cell[] = [];
  const seen = new Map<string, string>();
  for (const row of rows) {
    for (const [name, dataset] of datasets) {
      if (row.only && !row.only.includes(name)) continue;
      const recipe: Tree = {};
      const origins: Origins = new Map();
      const from =
        (loaded: Loaded<unknown>, base: (string | number)[], label: string) =>
        (leaf: string[]) => ({
          label,
          file: loaded.src.path,
          range: nodeRange(loaded.src, [...base, ...leaf]),
        });
      const apply = (delta: Tree, originOf: (leaf: string[]) => Origin) => {
        mergeInto(recipe, origins, delta, originOf, (at) => ws.schemas.replaces('recipe', at));
      };
      apply(dataset.value.recipe, from(dataset, ['recipe'], `dataset ${name}`));
      const p = profile.value;
      if (p.value.recipe) apply(p.value.recipe, from(p, ['recipe'], `profile ${p.value.name}`));
      const pd = p.value.datasets?.[name];
      if (pd) apply(pd, from(p, ['datasets', name], `profile ${p.value.name} (${name})`));
      for (const part of row.parts) {
        if (part.dataset === undefined || part.dataset === name)
          apply(part.delta, from(experiment, part.at, part.label));
      }
      for (const o of overrides)
        apply(nest(o.path, o.value), () => ({ label: `--set ${o.path.join('.')}` }));
      if (recipe.metrics === undefined) {
        apply({ metrics: dataset.value.metrics }, from(dataset, ['metrics'], `dataset ${name}`));
      }
      checkCell(recipe, origins, dataset, ws.schemas, diags);
      const seeds = exp.seeds ?? [typeof recipe.seed === 'number' ? recipe.seed : 0];
      for (const seed of seeds) {
        const seeded = { ...recipe, seed };
        const seededOrigins = new Map(origins);
        if (exp.seeds)
          seededOrigins.set('seed', { label: 'table seeds', file: src.path, range: at(['seeds']) });
        const suffix = exp.seeds ? `/seed=${seed}` : '';
        cells.push({
          id: `${exp.table}/${row.name}/${name}${suffix}` as CellId,
          table: exp.table,
          row: row.name,
          dataset: name,
          seed,
          profile: p.value.name,
          recipe: seeded,
          origins: seededOrigins,
        });
      }
      const key = `${name}\u0000${canonical(recipe)}`;
      const twin = seen.get(key);
      if (twin !== undefined) {
        warnings.push({
          severity: 'warning',
          file: src.path,
          range: row.keyRange,
          message: `row "${row.name}" resolves to the same ${name} cell as row "${twin}": this ablation changes nothing`,
        });
      } else seen.set(key, row.name);
    }
  }
  if (diags.length) return err(diags);
  return ok({ experiment, rows: rows.map((r) => r.name), cells, warnings });
}

interface Row {
  name: string;
  keyRange?: [number, number];
  only?: string[];
  /** Deltas in order; one with `dataset` applies to that dataset's cells only. */
  parts: { delta: Tree; at: (string | number)[]; label: string; dataset?: string }[];
}

function expandRows(experiment: Loaded<ExperimentFile>, diags: Diagnostic[]): Row[] {
  const { src, value: exp } = experiment;
  const rows: Row[] = [];
  const baseParts = (): Row['parts'] => {
    const parts: Row['parts'] = [];
    const base = exp.base ?? {};
    parts.push({ delta: strip(base), at: ['base'], label: 'table base' });
    const pd = (base.per_dataset ?? {}) as Record<string, Tree>;
    for (const [d, delta] of Object.entries(pd))
      parts.push({ delta, at: ['base', 'per_dataset', d], label: `table base (${d})`, dataset: d });
    return parts;
  };
  const checkPerDataset = (delta: Tree, at: (string | number)[]) => {
    for (const d of Object.keys((delta.per_dataset ?? {}) as Tree)) {
      if (!exp.datasets.includes(d)) {
        diags.push({
          severity: 'error',
          file: src.path,
          range: keyRange(src, [...at, 'per_dataset'], d),
          message: `per_dataset names "${d}", which is not among this table's datasets${suggestion(d, exp.datasets)}`,
        });
      }
    }
  };
  checkPerDataset(exp.base ?? {}, ['base']);
  const rowParts = (delta: Tree, at: (string | number)[], label: string): Row['parts'] => {
    checkPerDataset(delta, at);
    return [
      { delta: strip(delta), at, label },
      ...Object.entries((delta.per_dataset ?? {}) as Record<string, Tree>).map(([d, dd]) => ({
        delta: dd,
        at: [...at, 'per_dataset', d],
        label: `${label} (${d})`,
        dataset: d,
      })),
    ];
  };
  for (const [name, delta] of Object.entries(exp.rows ?? {})) {
    rows.push({
      name,
      keyRange: keyRange(src, ['rows'], name),
      only: delta.only as string[] | undefined,
      parts: [...baseParts(), ...rowParts(delta, ['rows', name], `row "${name}"`)],
    });
  }
  if (exp.sweep) {
    const { grid, name: pattern } = exp.sweep;
    const keys = Object.keys(grid);
    const combos = keys.reduce<Json[][]>(
      (acc, k) => acc.flatMap((c) => (grid[k] ?? []).map((v) => [...c, v])),
      [[]],
    );
    for (const combo of combos) {
      const delta: Tree = {};
      keys.forEach((k, i) => {
        mergeInto(delta, new Map(), nest(k.split('.'), combo[i] ?? null), () => ({ label: '' }));
      });
      const name = pattern.replace(/\{([^}]+)\}/g, (_m, p: string) =>
        valueText(combo[keys.indexOf(p)], `{${p}}`),
      );
      if (rows.some((r) => r.name === name)) {
        diags.push({
          severity: 'error',
          file: src.path,
          range: nodeRange(src, ['sweep', 'name']),
          message: `the sweep generates row "${name}", which already exists; put a grid key in the name, e.g. "${pattern} {${keys[0] ?? ''}}"`,
        });
        continue;
      }
      rows.push({
        name,
        keyRange: nodeRange(src, ['sweep', 'name']),
        parts: [
          ...baseParts(),
          ...(exp.sweep.base ? rowParts(exp.sweep.base, ['sweep', 'base'], 'sweep base') : []),
          ...keys.map((k, i) => ({
            delta: nest(k.split('.'), combo[i] ?? null),
            at: ['sweep', 'grid', k],
            label: `sweep ${k}`,
          })),
        ],
      });
    }
  }
  if (rows.length === 0) {
    diags.push({
      severity: 'error',
      file: src.path,
      range: nodeRange(src, []),
      message: 'no rows: add `rows:` or a `sweep:`',
    });
  }
  return rows;
}

/** A row's recipe delta without the row-only keys. */
function strip(delta: Tree): Tree {
  return Object.fromEntries(
    Object.entries(delta).filter(([k]) => k !== 'per_dataset' && k !== 'only'),
  );
}

function valueText(v: Json | undefined, fallback: string): string {
  if (v === undefined) return fallback;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function nest(at: string[], value: Json): Tree {
  return at.reduceRight<Json>((v, k) => ({ [k]: v }), value) as Tree;
}

/** `--set` values typed by the schema: a string field keeps its raw text, others parse as YAML. */
function typedOverrides(overrides: Override[], schemas: Schemas, diags: Diagnostic[]) {
  const out: { path: string[]; value: Json }[] = [];
  for (const o of overrides) {
    const parent = o.path.slice(0, -1);
    const key = o.path[o.path.length - 1] ?? '';
    const allowed = schemas.keysAt('recipe', parent);
    if (!allowed.includes(key) && !schemas.freeForm('recipe', parent)) {
      diags.push({
        severity: 'error',
        file: '--set',
        message: `unknown recipe field "${o.path.join('.')}"${suggestion(key, allowed)}`,
      });
      continue;
    }
    const types = schemas.at('recipe', o.path).flatMap((s) => [s.type ?? []].flat());
    const value =
      types.includes('string') && !types.includes('null') ? o.raw : (parseYamlValue(o.raw) as Json);
    out.push({ path: o.path, value });
  }
  return out;
}

function checkCell(
  recipe: Tree,
  origins: Origins,
  dataset: Loaded<DatasetFile>,
  schemas: Schemas,
  diags: Diagnostic[],
) {
  const locate = (p: string): Pick<Diagnostic, 'file' | 'range'> => {
    const o: Origin | undefined =
      origins.get(p) ?? [...origins.entries()].find(([k]) => k.startsWith(`${p}.`))?.[1];
    return { file: o?.file ?? o?.label ?? dataset.src.path, range: o?.range };
  };
  const validate = schemas.validator('recipe');
  if (!validate(recipe)) {
    for (const e of validate.errors ?? []) {
      if (['$ref', 'anyOf', 'oneOf', 'if'].includes(e.keyword)) continue;
      const p = e.instancePath.split('/').slice(1).join('.');
      diags.push({
        severity: 'error',
        ...locate(p),
        message: `in the resolved ${dataset.value.name} recipe, "${p}" ${e.message ?? ''}`,
      });
    }
  }
  const metrics = getPath(recipe, ['metrics']);
  if (Array.isArray(metrics)) {
    for (const m of metrics) {
      if (typeof m === 'string' && !dataset.value.metrics.includes(m)) {
        diags.push({
          severity: 'error',
          ...locate('metrics'),
          message: `metric "${m}" is not defined for dataset ${dataset.value.name}; it defines ${dataset.value.metrics.join(', ')}${suggestion(m, dataset.value.metrics)}`,
        });
      }
    }
  }
}

const missingFile = (diags: Diagnostic[]) => diags.some((d) => d.message.startsWith('cannot read'));

/** Datasets named by an experiment that have no file; checked even when the schema fails. */
export function unknownDatasets(src: SourceFile, names: unknown, ws: Workspace): Diagnostic[] {
  if (!Array.isArray(names)) return [];
  return names.flatMap((name, i) => {
    if (typeof name !== 'string') return [];
    const d = ws.dataset(name);
    if (d.ok || !missingFile(d.error)) return [];
    return [
      {
        severity: 'error' as const,
        file: src.path,
        range: nodeRange(src, ['datasets', i]),
        message: `unknown dataset "${name}"${suggestion(name, ws.names('datasets'))}`,
      },
    ];
  });
}
