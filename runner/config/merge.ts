// Deep merge of partial recipes with the origin of every value kept, so `exp config` can say
// where each value came from. Objects merge key by key; scalars, arrays and null replace (null
// switches a query set off).

import type { Json } from '../result.js';

export interface Origin {
  label: string;
  file?: string;
  range?: [number, number];
}

export type Tree = { [key: string]: Json };
export type Origins = Map<string, Origin>;

export const isObject = (v: unknown): v is Tree =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Paths whose objects replace rather than merge (the schema's `x-merge: replace`). */
export type ReplaceRule = (at: string[]) => boolean;

export function mergeInto(
  target: Tree,
  origins: Origins,
  delta: Tree,
  originOf: (at: string[]) => Origin,
  replace: ReplaceRule = () => false,
  at: string[] = [],
): void {
  for (const [key, value] of Object.entries(delta)) {
    const here = [...at, key];
    const current = target[key];
    if (isObject(value) && isObject(current) && !replace(here)) {
      mergeInto(current, origins, value, originOf, replace, here);
      continue;
    }
    target[key] = structuredClone(value);
    const prefix = here.join('.');
    for (const p of [...origins.keys()]) {
      if (p === prefix || p.startsWith(`${prefix}.`)) origins.delete(p);
    }
    for (const leaf of leaves(value, here)) origins.set(leaf.join('.'), originOf(leaf));
  }
}

function leaves(value: Json, at: string[]): string[][] {
  if (!isObject(value) || Object.keys(value).length === 0) return [at];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, [...at, k]));
}

export function getPath(tree: Json, at: readonly string[]): Json | undefined {
  let node: Json | undefined = tree;
  for (const k of at) node = isObject(node) ? node[k] : undefined;
  return node;
}

/** Canonical JSON: keys sorted at every level, so equal trees give equal strings. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    isObject(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}
