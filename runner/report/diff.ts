// What differs between two configurations: the dotted paths whose values differ. Used by
// `exp why` and `exp tables --check` to name the field that changed a key.

import { canonical, isObject } from '../config/merge.js';
import type { Json } from '../result.js';

export interface Change {
  path: string;
  before: Json | undefined;
  after: Json | undefined;
}

export function diffTrees(before: Json | undefined, after: Json | undefined, at = ''): Change[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffTrees(before[k], after[k], at ? `${at}.${k}` : k));
  }
  return canonical(before) === canonical(after) ? [] : [{ path: at || '(root)', before, after }];
}

export function describe(changes: Change[], limit = 6): string {
  const show = (v: Json | undefined) => (v === undefined ? '(unset)' : JSON.stringify(v));
  const parts = changes
    .slice(0, limit)
    .map((c) => `${c.path}: ${show(c.before)} → ${show(c.after)}`);
  if (changes.length > limit) parts.push(`and ${String(changes.length - limit)} more`);
  return parts.join('; ');
}

/** The candidate whose tree differs from `target` in the fewest paths. */
export function closest<T>(
  target: Json,
  candidates: T[],
  tree: (c: T) => Json,
): { item: T; changes: Change[] } | undefined {
  let best: { item: T; changes: Change[] } | undefined;
  for (const item of candidates) {
    const changes = diffTrees(tree(item), target);
    if (!best || changes.length < best.changes.length) best = { item, changes };
  }
  return best;
}
