// Streaming JSONL and JSON-array I/O for the data layer. Reading validates UTF-8 strictly (a bad
// byte is an error naming file and line, never a silent U+FFFD) and parses one line at a time, so
// corpora of any size stream in constant memory. Writing batches lines into large writes.
// This module knows nothing about record shapes: callers validate fields (records.ts).

import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Json, Result } from '../result.js';
import { err, ok } from '../result.js';
import type { DataError } from './errors.js';
import { DataFailure } from './errors.js';

export interface JsonlLine {
  /** 1-based line number in the file. */
  line: number;
  value: Json;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Finds the first line of `bytes` that is not valid UTF-8, for the error message. */
function badLineIn(bytes: Buffer, firstLine: number): number {
  let line = firstLine;
  let start = 0;
  for (;;) {
    const nl = bytes.indexOf(10, start);
    const end = nl === -1 ? bytes.length : nl;
    try {
      decoder.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    if (nl === -1) return line;
    start = nl + 1;
    line++;
  }
}

/**
 * Yields each non-blank line of a JSONL file, parsed. Throws `DataFailure` (file-missing,
 * invalid-utf8, invalid-json) so that a `for await` loop unwinds; `collectJsonl` and the adapters
 * turn it back into a value at their boundary.
 */
export async function* readJsonl(file: string): AsyncGenerator<JsonlLine> {
  if (!(await exists(file))) throw new DataFailure({ reason: 'file-missing', file });
  let pending: Buffer = Buffer.alloc(0);
  let line = 1;
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const bytes = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const lastNl = bytes.lastIndexOf(10);
    if (lastNl === -1) {
      pending = bytes;
      continue;
    }
    pending = bytes.subarray(lastNl + 1);
    yield* parseLines(file, bytes.subarray(0, lastNl), line);
    line += countNewlines(bytes, lastNl) + 1;
  }
  if (pending.length > 0) yield* parseLines(file, pending, line);
}

function countNewlines(bytes: Buffer, upTo: number): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i !== -1 && i < upTo; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

function* parseLines(file: string, bytes: Buffer, firstLine: number): Generator<JsonlLine> {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new DataFailure({ reason: 'invalid-utf8', file, record: badLineIn(bytes, firstLine) });
  }
  let line = firstLine;
  for (const raw of text.split('\n')) {
    const s = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (s.trim() !== '') {
      try {
        yield { line, value: JSON.parse(s) as Json };
      } catch (e) {
        throw new DataFailure({
          reason: 'invalid-json',
          file,
          record: line,
          detail: (e as Error).message,
        });
      }
    }
    line++;
  }
}

/** Reads a whole JSON document (for sources shipped as one JSON array or object). */
export async function readJsonFile(file: string): Promise<Result<Json, DataError>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return err({ reason: 'file-missing', file });
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return err({ reason: 'invalid-utf8', file, record: badLineIn(bytes, 1) });
  }
  try {
    return ok(JSON.parse(text) as Json);
  } catch (e) {
    return err({ reason: 'invalid-json', file, detail: (e as Error).message });
  }
}

/** Runs a streaming body and converts a thrown `DataFailure` into an error value. */
export async function catchData<T>(body: () => Promise<T>): Promise<Result<T, DataError>> {
  try {
    return ok(await body());
  } catch (e) {
    if (e instanceof DataFailure) return err(e.error);
    throw e;
  }
}

const FLUSH_CHARS = 1 << 20;

/** Appends JSON lines to a file in ~1 MB writes; `close()` must be awaited. */
export class JsonlWriter {
  private parts: string[] = [];
  private size = 0;
  count = 0;

  private constructor(private readonly fh: FileHandle) {}

  static async create(file: string): Promise<JsonlWriter> {
    await mkdir(path.dirname(file), { recursive: true });
    return new JsonlWriter(await open(file, 'w'));
  }

  async write(record: unknown): Promise<void> {
    const s = JSON.stringify(record) + '\n';
    this.parts.push(s);
    this.size += s.length;
    this.count++;
    if (this.size >= FLUSH_CHARS) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const s = this.parts.join('');
    this.parts = [];
    this.size = 0;
    await this.fh.write(s);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.fh.close();
  }
}

/** Writes all records of an iterable to a JSONL file; returns how many. */
export async function writeJsonl(
  file: string,
  records: Iterable<unknown> | AsyncIterable<unknown>,
): Promise<number> {
  const w = await JsonlWriter.create(file);
  try {
    for await (const r of records) await w.write(r);
  } finally {
    await w.close();
  }
  return w.count;
}
