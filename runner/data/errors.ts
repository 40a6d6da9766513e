// The data layer's expected failures: bad input files, failed downloads, missing tokenizers.
// Every error names the file and, where one exists, the record (1-based line or array index) and
// the field, so a user can go straight to the offending place. This module only describes and
// renders failures; it does not decide which problems are fatal (adapters do, and count skips).

import { unreachable } from '../result.js';

/** Where in a source a problem sits; `record` is a 1-based line (JSONL) or a label such as `[3]` (JSON array index). */
export interface DataLocation {
  file: string;
  record?: number | string;
  field?: string;
}

export type DataError =
  | ({ reason: 'file-missing' } & DataLocation)
  | ({ reason: 'invalid-utf8' } & DataLocation)
  | ({ reason: 'invalid-json'; detail: string } & DataLocation)
  | ({ reason: 'invalid-record'; detail: string } & DataLocation)
  | ({ reason: 'duplicate-id'; id: string; first: number | string } & DataLocation)
  | ({ reason: 'unknown-reference'; id: string } & DataLocation)
  | ({ reason: 'unsupported-format'; detail: string } & DataLocation)
  | { reason: 'download-failed'; url: string; detail: string }
  | { reason: 'checksum-mismatch'; url: string; expected: string; actual: string }
  | { reason: 'tokenizer-failed'; file: string; detail: string };

function where(loc: DataLocation): string {
  let s = loc.file;
  if (loc.record !== undefined)
    s += typeof loc.record === 'number' ? `:${String(loc.record)}` : ` record ${loc.record}`;
  if (loc.field !== undefined) s += ` field "${loc.field}"`;
  return s;
}

/** One line, no stack trace: these are expected failures a user fixes in their data. */
export function formatDataError(e: DataError): string {
  switch (e.reason) {
    case 'file-missing':
      return `${where(e)}: file not found`;
    case 'invalid-utf8':
      return `${where(e)}: not valid UTF-8`;
    case 'invalid-json':
      return `${where(e)}: invalid JSON (${e.detail})`;
    case 'invalid-record':
      return `${where(e)}: ${e.detail}`;
    case 'duplicate-id':
      return `${where(e)}: duplicate id "${e.id}" (first seen at ${String(e.first)})`;
    case 'unknown-reference':
      return `${where(e)}: names unknown id "${e.id}"`;
    case 'unsupported-format':
      return `${where(e)}: unsupported format (${e.detail})`;
    case 'download-failed':
      return `download of ${e.url} failed: ${e.detail}`;
    case 'checksum-mismatch':
      return `download of ${e.url}: sha256 ${e.actual} does not match the pinned ${e.expected}; nothing was written`;
    case 'tokenizer-failed':
      return `${e.file}: cannot load tokenizer (${e.detail})`;
    default:
      return unreachable(e);
  }
}

/** Thrown only inside a data module to unwind a stream; converted back to a value at its boundary. */
export class DataFailure extends Error {
  constructor(readonly error: DataError) {
    super(formatDataError(error));
  }
}
