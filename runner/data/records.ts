// The record shapes of DESIGN "Data formats" and a small field checker for reading them. The
// checker reports the first problem of a record with file, record and field; it coerces nothing
// (a number where a string is required is an error, not a silent String()).
// This module does not read files (jsonl.ts) and does not decide what to skip (adapters do).

import type { Json, Result } from '../result.js';
import { err, ok } from '../result.js';
import type { DataError } from './errors.js';

/** A retrieval unit: a chunk (multihop-rag) or a whole document (document-level datasets). */
export interface CorpusUnit {
  id: string;
  text: string;
  metadata: Record<string, string>;
  /** The source document the unit comes from (equal to `id` for document-level datasets). */
  doc: string;
}

/** A Context2ID input: a piece of text that maps to `unit`. */
export interface ContextRecord {
  id: string;
  unit: string;
  text: string;
}

export interface SentenceRecord {
  id: string;
  unit: string;
  context: string;
  text: string;
}

export interface TestQuery {
  id: string;
  text: string;
  metadata?: Record<string, string>;
  facts?: string[];
  question_type?: string;
}

/** A query file from generation (or a human/docT5query set): any `kind` is accepted. */
export interface QueryRecord {
  /** `<unit>#<kind>#<n>` for generated queries. */
  id: string;
  text: string;
  unit: string;
  kind: string;
  /** `<provider>:<model>`, e.g. `offline:offline-v2`; `human` or `mini` for given sets. */
  generator: string;
  sample: number;
  answer?: string;
}

export interface IdentifierRecord {
  unit: string;
  identifier: string;
}

export interface Qrel {
  qid: string;
  unit: string;
  rel: number;
}

export type SftKind = 'context2id' | 'query2id';

export interface SftExample {
  prompt: string;
  completion: string;
  kind: SftKind;
  unit: string;
}

export interface Where {
  file: string;
  record: number | string;
}

export type JsonObject = { [key: string]: Json };

export function asObject(value: Json, at: Where): Result<JsonObject, DataError> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return err({ reason: 'invalid-record', ...at, detail: 'expected a JSON object' });
  }
  return ok(value);
}

/**
 * Checks that `obj` has exactly the allowed fields: every `required` field present, nothing outside
 * `required ∪ optional` (unless `extra: 'allow'`, for sources whose producers add fields freely).
 */
export function checkFields(
  obj: JsonObject,
  at: Where,
  spec: { required: readonly string[]; optional?: readonly string[]; extra?: 'allow' | 'reject' },
): Result<void, DataError> {
  for (const f of spec.required) {
    if (!(f in obj))
      return err({ reason: 'invalid-record', ...at, field: f, detail: 'missing required field' });
  }
  if (spec.extra !== 'allow') {
    // Called once per record on million-line files: plain array scans, no per-call allocation.
    for (const f in obj) {
      if (!spec.required.includes(f) && spec.optional?.includes(f) !== true) {
        return err({ reason: 'invalid-record', ...at, field: f, detail: 'unexpected field' });
      }
    }
  }
  return ok(undefined);
}

export function getString(obj: JsonObject, field: string, at: Where): Result<string, DataError> {
  const v = obj[field];
  if (typeof v !== 'string') {
    return err({
      reason: 'invalid-record',
      ...at,
      field,
      detail: `expected a string, got ${describe(v)}`,
    });
  }
  return ok(v);
}

/** An id field: a string, or an integer (several sources number their documents). */
export function getId(obj: JsonObject, field: string, at: Where): Result<string, DataError> {
  const v = obj[field];
  if (typeof v === 'string' && v !== '') return ok(v);
  if (typeof v === 'number' && Number.isInteger(v)) return ok(String(v));
  return err({
    reason: 'invalid-record',
    ...at,
    field,
    detail: `expected a non-empty string or integer id, got ${describe(v)}`,
  });
}

/** A flat metadata object; non-string scalar values are rendered, nested values rejected. */
export function getMetadata(
  obj: JsonObject,
  field: string,
  at: Where,
): Result<Record<string, string>, DataError> {
  const v = obj[field];
  if (v === undefined) return ok({});
  const o = asObject(v, { ...at });
  if (!o.ok) return err({ ...o.error, field } as DataError);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(o.value)) {
    if (typeof x === 'string') out[k] = x;
    else if (typeof x === 'number' || typeof x === 'boolean') out[k] = String(x);
    else if (x !== null)
      return err({
        reason: 'invalid-record',
        ...at,
        field: `${field}.${k}`,
        detail: `expected a scalar, got ${describe(x)}`,
      });
  }
  return ok(out);
}

function describe(v: Json | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}
