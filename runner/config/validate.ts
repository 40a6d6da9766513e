// Schema validation of one YAML file, with every ajv error mapped back to the YAML node it is
// about (all errors at once). Semantic rules that need more than one file live in resolve.ts.

import { isMap, isScalar, type Node } from 'yaml';
import type { ErrorObject } from 'ajv';
import { suggestion, type Diagnostic, type SourceFile } from './diagnostics.js';
import type { SchemaName, Schemas } from './schemas.js';

/** The node at a path of keys and indices, or the nearest ancestor that exists. */
export function nodeRange(
  src: SourceFile,
  at: readonly (string | number)[],
): [number, number] | undefined {
  for (let n = at.length; n >= 0; n--) {
    const node = src.doc.getIn(at.slice(0, n), true) as Node | undefined;
    if (node?.range) return [node.range[0], node.range[1]];
    if (n === 0 && src.doc.contents?.range)
      return [src.doc.contents.range[0], src.doc.contents.range[1]];
  }
  return undefined;
}

/** The range of a key inside the map at `at`. */
export function keyRange(
  src: SourceFile,
  at: readonly (string | number)[],
  key: string,
): [number, number] | undefined {
  const map = at.length === 0 ? src.doc.contents : src.doc.getIn(at, true);
  if (isMap(map)) {
    for (const pair of map.items) {
      if (isScalar(pair.key) && String(pair.key.value) === key && pair.key.range) {
        return [pair.key.range[0], pair.key.range[1]];
      }
    }
  }
  return nodeRange(src, at);
}

export function validateSource(
  src: SourceFile,
  schema: SchemaName,
  schemas: Schemas,
): Diagnostic[] {
  const diags: Diagnostic[] = src.doc.errors.map((e) => ({
    severity: 'error',
    file: src.path,
    range: [e.pos[0], e.pos[1]],
    message: yamlMessage(e.message),
  }));
  if (diags.length > 0) return diags;
  const validate = schemas.validator(schema);
  if (validate(src.doc.toJS())) return [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    const d = fromAjv(e, src, schema, schemas);
    if (!d) continue;
    const id = `${String(d.range?.[0])}:${d.message}`;
    if (!seen.has(id)) diags.push(d);
    seen.add(id);
  }
  return diags;
}

function yamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.startsWith('Map keys must be unique')
    ? 'duplicate key: each key (and row name) may appear once'
    : first;
}

function fromAjv(
  e: ErrorObject,
  src: SourceFile,
  schema: SchemaName,
  schemas: Schemas,
): Diagnostic | undefined {
  const at = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const where = at.length ? `at "${at.join('.')}"` : 'at the top level';
  const base = { severity: 'error' as const, file: src.path };
  switch (e.keyword) {
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const key = String(
        (e.params as { additionalProperty?: string; unevaluatedProperty?: string })
          .additionalProperty ?? (e.params as { unevaluatedProperty?: string }).unevaluatedProperty,
      );
      const allowed = schemas.keysAt(schema, at);
      return {
        ...base,
        range: keyRange(src, at, key),
        message: `unknown key "${key}" ${where}${suggestion(key, allowed)}`,
      };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const value = String(src.doc.getIn(at));
      return {
        ...base,
        range: nodeRange(src, at),
        message: `"${value}" is not one of ${allowed.join(', ')}${suggestion(value, allowed)}`,
      };
    }
    case 'type': {
      const value: unknown = src.doc.getIn(at);
      const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
      const want = String((e.params as { type: string | string[] }).type).replace(',', ' or ');
      return {
        ...base,
        range: nodeRange(src, at),
        message: `expected ${want} ${where}, got ${got}`,
      };
    }
    case 'required': {
      const key = (e.params as { missingProperty: string }).missingProperty;
      return {
        ...base,
        range: nodeRange(src, at),
        message: `missing required key "${key}" ${where}`,
      };
    }
    // Parent keywords only restate their children's errors.
    case 'if':
    case 'anyOf':
    case 'oneOf':
    case '$ref':
      return undefined;
    default:
      return { ...base, range: nodeRange(src, at), message: `${where}: ${e.message ?? e.keyword}` };
  }
}
