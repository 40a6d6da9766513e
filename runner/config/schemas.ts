// Loads the JSON Schemas in `schemas/` (the single source of truth for YAML shapes), compiles
// them with ajv, and answers questions about them: which keys an object may have at a path
// (for did-you-mean) and which type a value at a path has (for typed `--set`). Does not read
// experiment files.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { repoRoot } from '../paths.js';

export const SCHEMA_NAMES = ['recipe', 'experiment', 'dataset', 'profile', 'reference'] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];
type Schema = Record<string, unknown>;

/** Validators compiled from the schemas at build time (build-validators.ts). */
export const validatorsFile = path.join(repoRoot, 'dist', 'validators.cjs');

export class Schemas {
  private readonly byName = new Map<SchemaName, Schema>();
  private readonly byId = new Map<string, Schema>();
  private validators?: Record<SchemaName, ValidateFunction>;

  constructor(dir = path.join(repoRoot, 'schemas')) {
    for (const name of SCHEMA_NAMES) {
      const schema = JSON.parse(
        readFileSync(path.join(dir, `${name}.schema.json`), 'utf8'),
      ) as Schema;
      this.byName.set(name, schema);
      this.byId.set(`${name}.schema.json`, schema);
    }
  }

  validator(name: SchemaName): ValidateFunction {
    this.validators ??= createRequire(import.meta.url)(validatorsFile) as Record<
      SchemaName,
      ValidateFunction
    >;
    return this.validators[name];
  }

  get(name: SchemaName): Schema {
    const s = this.byName.get(name);
    if (!s) throw new Error(`internal error: no schema ${name}`);
    return s;
  }

  /** Sub-schemas that apply to the instance at `at` (following $ref, allOf, properties, items). */
  at(name: SchemaName, at: readonly string[]): Schema[] {
    let current = this.expand(this.get(name), this.get(name));
    for (const seg of at) {
      const next: { schema: Schema; root: Schema }[] = [];
      for (const { schema, root } of current) {
        const props = schema.properties as Record<string, Schema> | undefined;
        const sub =
          props?.[seg] ??
          (typeof schema.additionalProperties === 'object'
            ? (schema.additionalProperties as Schema)
            : undefined) ??
          (/^\d+$/.test(seg) ? (schema.items as Schema | undefined) : undefined);
        if (sub) next.push(...this.expand(sub, root));
      }
      current = next;
    }
    return current.map((c) => c.schema);
  }

  /** Keys an object at `at` may have (the union over applicable sub-schemas). */
  keysAt(name: SchemaName, at: readonly string[]): string[] {
    const keys = new Set<string>();
    for (const s of this.at(name, at)) {
      for (const k of Object.keys((s.properties as Schema | undefined) ?? {})) keys.add(k);
    }
    return [...keys];
  }

  /** True when an object at `at` replaces, rather than merges into, an earlier one. */
  replaces(name: SchemaName, at: readonly string[]): boolean {
    return this.at(name, at).some((s) => s['x-merge'] === 'replace');
  }

  /** True when some object on the way to `at` accepts any keys (e.g. the test-only `fake`). */
  freeForm(name: SchemaName, at: readonly string[]): boolean {
    return at.some((_, i) =>
      this.at(name, at.slice(0, i + 1)).some(
        (s) =>
          s.type === 'object' &&
          s.properties === undefined &&
          s.additionalProperties === undefined &&
          s.$ref === undefined,
      ),
    );
  }

  private expand(schema: Schema, root: Schema): { schema: Schema; root: Schema }[] {
    const out = [{ schema, root }];
    const ref = schema.$ref;
    if (typeof ref === 'string') {
      const [file, pointer] = ref.split('#');
      const target = file ? this.byId.get(file) : root;
      if (!target) throw new Error(`internal error: unresolved $ref ${ref}`);
      let node: unknown = target;
      for (const seg of (pointer ?? '').split('/').filter(Boolean)) {
        node = (node as Schema)[seg];
      }
      out.push(...this.expand(node as Schema, target));
    }
    for (const sub of (schema.allOf as Schema[] | undefined) ?? [])
      out.push(...this.expand(sub, root));
    return out;
  }
}
