// TREC run files (`qid Q0 docid rank score tag`) and qrels (`qid 0 docid rel`): parse, order,
// write.
//
// Parsing is line-at-a-time (`TrecReader.push`), so a file is streamed, never held whole; all
// malformed lines of a file are collected in one pass and reported as `file:line: message`.
// Within a query, a run is ordered by score (descending), then by the rank column (ascending),
// then by docid (ascending, code-unit order). trec_eval breaks score ties by docid only and in
// reverse; we consult the rank column first because it records the order the retriever meant,
// which matters for generative retrieval, whose beam scores often tie.
// Does not compute metrics (metrics.ts) and does not know datasets.

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { err, ok, type Result } from '../result.js';

export type QueryId = string;
export type DocId = string;

export interface RunEntry {
  qid: QueryId;
  docid: DocId;
  rank: number;
  score: number;
  tag: string;
}

export interface Qrel {
  qid: QueryId;
  docid: DocId;
  rel: number;
}

/** Ranked documents of each query, best first. */
export type Rankings = Map<QueryId, RunEntry[]>;
/** Relevance judgements of each query: docid → grade (relevant when > 0). */
export type Qrels = Map<QueryId, Map<DocId, number>>;

export interface LineProblem {
  line: number;
  message: string;
}

export type TrecError =
  | {
      reason: 'malformed-file';
      file: string;
      format: TrecFormat;
      problems: LineProblem[];
      more: number;
    }
  | { reason: 'read-failed'; file: string; message: string }
  | { reason: 'write-failed'; file: string; message: string };

export type TrecFormat = 'run' | 'qrels';

/** Problems kept per file; past this only a count is kept, since the first few tell the story. */
const MAX_PROBLEMS = 20;

export function formatTrecError(e: TrecError): string {
  switch (e.reason) {
    case 'malformed-file': {
      const lines = e.problems.map((p) => `${e.file}:${p.line}: ${p.message}`);
      if (e.more > 0) lines.push(`${e.file}: … and ${e.more} more malformed lines`);
      return lines.join('\n');
    }
    case 'read-failed':
      return `${e.file}: cannot read: ${e.message}`;
    case 'write-failed':
      return `${e.file}: cannot write: ${e.message}`;
  }
}

const INTEGER = /^[+-]?\d+$/;

/** Accumulates one file's lines; `finish` gives the parsed value or every problem found. */
export class TrecReader<F extends TrecFormat> {
  private readonly problems: LineProblem[] = [];
  private problemCount = 0;
  private lineNo = 0;
  // Where each (qid, docid) was first seen, to report duplicates with both lines.
  private readonly seen = new Map<QueryId, Map<DocId, number>>();
  private readonly runs: Rankings = new Map();
  private readonly qrels: Qrels = new Map();

  constructor(
    readonly file: string,
    readonly format: F,
  ) {}

  push(text: string): void {
    this.lineNo += 1;
    const fields = text.trim().split(/\s+/);
    if (fields.length === 1 && fields[0] === '') return;
    if (this.format === 'run') this.pushRun(fields);
    else this.pushQrel(fields);
  }

  finish(): Result<F extends 'run' ? Rankings : Qrels, TrecError> {
    if (this.problemCount > 0) {
      return err({
        reason: 'malformed-file',
        file: this.file,
        format: this.format,
        problems: this.problems,
        more: this.problemCount - this.problems.length,
      });
    }
    if (this.format === 'qrels') return ok(this.qrels as F extends 'run' ? Rankings : Qrels);
    for (const entries of this.runs.values()) entries.sort(compareRunEntries);
    return ok(this.runs as F extends 'run' ? Rankings : Qrels);
  }

  private problem(message: string): void {
    this.problemCount += 1;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ line: this.lineNo, message });
  }

  private firstSighting(qid: QueryId, docid: DocId): boolean {
    let docs = this.seen.get(qid);
    if (docs === undefined) {
      docs = new Map();
      this.seen.set(qid, docs);
    }
    const first = docs.get(docid);
    if (first !== undefined) {
      this.problem(
        `duplicate entry for query "${qid}", document "${docid}" (first on line ${first})`,
      );
      return false;
    }
    docs.set(docid, this.lineNo);
    return true;
  }

  private pushRun(fields: string[]): void {
    if (fields.length !== 6) {
      this.problem(`expected 6 fields "qid Q0 docid rank score tag", found ${fields.length}`);
      return;
    }
    // The second column is conventionally "Q0"; like trec_eval, its value is not interpreted.
    const [qid, , docid, rankText, scoreText, tag] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const rank = Number(rankText);
    const score = Number(scoreText);
    if (!INTEGER.test(rankText) || rank < 0) {
      this.problem(`rank "${rankText}" is not a non-negative integer`);
      return;
    }
    if (!Number.isFinite(score)) {
      this.problem(`score "${scoreText}" is not a finite number`);
      return;
    }
    if (!this.firstSighting(qid, docid)) return;
    let entries = this.runs.get(qid);
    if (entries === undefined) {
      entries = [];
      this.runs.set(qid, entries);
    }
    entries.push({ qid, docid, rank, score, tag });
  }

  private pushQrel(fields: string[]): void {
    if (fields.length !== 4) {
      this.problem(`expected 4 fields "qid 0 docid rel", found ${fields.length}`);
      return;
    }
    const [qid, , docid, relText] = fields as [string, string, string, string];
    if (!INTEGER.test(relText)) {
      this.problem(`relevance "${relText}" is not an integer`);
      return;
    }
    if (!this.firstSighting(qid, docid)) return;
    let docs = this.qrels.get(qid);
    if (docs === undefined) {
      docs = new Map();
      this.qrels.set(qid, docs);
    }
    docs.set(docid, Number(relText));
  }
}

export function compareRunEntries(a: RunEntry, b: RunEntry): number {
  if (a.score !== b.score) return b.score - a.score;
  if (a.rank !== b.rank) return a.rank - b.rank;
  return a.docid < b.docid ? -1 : a.docid > b.docid ? 1 : 0;
}

export function parseRun(text: string, file: string): Result<Rankings, TrecError> {
  return parseText(new TrecReader(file, 'run'), text);
}

export function parseQrels(text: string, file: string): Result<Qrels, TrecError> {
  return parseText(new TrecReader(file, 'qrels'), text);
}

function parseText<F extends TrecFormat>(reader: TrecReader<F>, text: string) {
  for (const line of text.split(/\r?\n/)) reader.push(line);
  return reader.finish();
}

export function readRun(file: string): Promise<Result<Rankings, TrecError>> {
  return readStreaming(new TrecReader(file, 'run'));
}

export function readQrels(file: string): Promise<Result<Qrels, TrecError>> {
  return readStreaming(new TrecReader(file, 'qrels'));
}

async function readStreaming<F extends TrecFormat>(reader: TrecReader<F>) {
  try {
    const lines = createInterface({ input: createReadStream(reader.file), crlfDelay: Infinity });
    for await (const line of lines) reader.push(line);
  } catch (e) {
    return err({
      reason: 'read-failed' as const,
      file: reader.file,
      message: (e as Error).message,
    });
  }
  return reader.finish();
}

/** Ranked ids per query, in run order: the input `evaluate` and the negative miner take. */
export function rankedIds(run: Rankings): Map<QueryId, DocId[]> {
  return new Map([...run].map(([qid, entries]) => [qid, entries.map((e) => e.docid)]));
}

/** One ranked document to write; without a score, a descending one is derived from the rank. */
export interface RankedDoc {
  docid: DocId;
  score?: number;
}

/**
 * Run-file lines for rankings given best first. Ranks are written from 1; a missing score
 * becomes `n - i` so that tools ordering by score alone (trec_eval) see the same order.
 */
export function* runLines(
  rankings: Iterable<[QueryId, readonly RankedDoc[]]>,
  tag: string,
): Generator<string> {
  assertToken(tag, 'run tag');
  for (const [qid, docs] of rankings) {
    assertToken(qid, 'query id');
    for (const [i, doc] of docs.entries()) {
      assertToken(doc.docid, 'document id');
      const score = doc.score ?? docs.length - i;
      yield `${qid} Q0 ${doc.docid} ${i + 1} ${score} ${tag}\n`;
    }
  }
}

export function* qrelsLines(qrels: Iterable<Qrel>): Generator<string> {
  for (const q of qrels) {
    assertToken(q.qid, 'query id');
    assertToken(q.docid, 'document id');
    yield `${q.qid} 0 ${q.docid} ${q.rel}\n`;
  }
}

/** Writes lines as they are produced, so a large run never sits in memory as one string. */
export async function writeLines(
  file: string,
  lines: Iterable<string>,
): Promise<Result<void, TrecError>> {
  try {
    const handle = await open(file, 'w');
    try {
      let buffer = '';
      for (const line of lines) {
        buffer += line;
        if (buffer.length >= 1 << 16) {
          await handle.write(buffer);
          buffer = '';
        }
      }
      await handle.write(buffer);
    } finally {
      await handle.close();
    }
  } catch (e) {
    return err({ reason: 'write-failed', file, message: (e as Error).message });
  }
  return ok(undefined);
}

// An id with whitespace would silently shift every later column; that is a bug in the caller.
function assertToken(value: string, what: string): void {
  if (value === '' || /\s/.test(value)) {
    throw new Error(
      `internal error: ${what} ${JSON.stringify(value)} is empty or contains whitespace`,
    );
  }
}
