// Any BEIR-format folder → corpus units, test queries, qrels: `corpus.jsonl` ({_id, title?, text,
// metadata?}), `queries.jsonl` ({_id, text, metadata?}) and `qrels/<split>.tsv` (header
// `query-id corpus-id score`) or `qrels/<split>.jsonl`. Document-level retrieval: unit = document.
// Unit text is the title, a blank line, then the text (BEIR's own convention of indexing both).
// Metadata: the fields named in the dataset YAML (`metadataFields`), looked up in `metadata` and
// then at the top level; a named field absent from a document is counted, not invented.
// Skips (counted): documents with empty text, queries without judgements in the split, qrels with
// score 0. Errors: duplicate ids, unknown fields, qrels naming unknown documents or queries.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Result } from '../../result.js';
import { err, ok } from '../../result.js';
import type { DataError } from '../errors.js';
import { DataFailure } from '../errors.js';
import { catchData, readJsonl } from '../jsonl.js';
import type { CorpusUnit, JsonObject, Qrel, TestQuery } from '../records.js';
import { asObject, checkFields, getId, getMetadata, getString } from '../records.js';
import type { DataReport } from '../report.js';
import { ReportBuilder } from '../report.js';
import { writeDataset } from '../dataset-files.js';

export interface BeirSource {
  dir: string;
  split?: string;
  metadataFields?: readonly string[];
}

export interface BeirData {
  units: CorpusUnit[];
  queries: TestQuery[];
  qrels: Qrel[];
}

const must = <T>(r: Result<T, DataError>): T => {
  if (!r.ok) throw new DataFailure(r.error);
  return r.value;
};

function pickMetadata(
  obj: JsonObject,
  meta: Record<string, string>,
  fields: readonly string[],
  report: ReportBuilder,
  where: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = meta[f] ?? obj[f];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      out[f] = String(v);
    else report.skip(`metadata-missing:${f}`, where);
  }
  return out;
}

/** Reads a BEIR folder into memory (queries and qrels are small; units are needed for checks). */
export async function readBeir(
  src: BeirSource,
  report: ReportBuilder,
): Promise<Result<BeirData, DataError>> {
  return catchData(async () => {
    const corpusFile = path.join(src.dir, 'corpus.jsonl');
    const units: CorpusUnit[] = [];
    const seen = new Map<string, number>();
    for await (const { line, value } of readJsonl(corpusFile)) {
      const at = { file: corpusFile, record: line };
      const obj = must(asObject(value, at));
      must(
        checkFields(obj, at, {
          required: ['_id', 'text'],
          optional: ['title', 'metadata', ...(src.metadataFields ?? [])],
        }),
      );
      const id = must(getId(obj, '_id', at));
      const first = seen.get(id);
      if (first !== undefined)
        throw new DataFailure({ reason: 'duplicate-id', ...at, field: '_id', id, first });
      seen.set(id, line);
      const text = must(getString(obj, 'text', at));
      const title = obj['title'] === undefined ? '' : must(getString(obj, 'title', at));
      const meta = must(getMetadata(obj, 'metadata', at));
      if (text.trim() === '' && title.trim() === '') {
        report.skip('empty-document', `${corpusFile}:${String(line)}`);
        continue;
      }
      const full = title.trim() === '' ? text : `${title}\n\n${text}`;
      units.push({
        id,
        text: full,
        doc: id,
        metadata: pickMetadata(
          obj,
          meta,
          src.metadataFields ?? [],
          report,
          `${corpusFile}:${String(line)}`,
        ),
      });
    }
    const queriesFile = path.join(src.dir, 'queries.jsonl');
    const queries = new Map<string, TestQuery>();
    for await (const { line, value } of readJsonl(queriesFile)) {
      const at = { file: queriesFile, record: line };
      const obj = must(asObject(value, at));
      must(checkFields(obj, at, { required: ['_id', 'text'], optional: ['metadata'] }));
      const id = must(getId(obj, '_id', at));
      if (queries.has(id))
        throw new DataFailure({
          reason: 'duplicate-id',
          ...at,
          field: '_id',
          id,
          first: '(earlier line)',
        });
      const meta = must(getMetadata(obj, 'metadata', at));
      queries.set(id, {
        id,
        text: must(getString(obj, 'text', at)),
        ...(Object.keys(meta).length > 0 ? { metadata: meta } : {}),
      });
    }
    const unitIds = new Set(units.map((u) => u.id));
    const qrels = must(
      await readQrels(
        src.dir,
        src.split ?? 'test',
        { units: seen, queries: new Set(queries.keys()) },
        report,
      ),
    );
    const usable = qrels.filter((q) => unitIds.has(q.unit));
    for (const q of qrels)
      if (!unitIds.has(q.unit)) report.skip('qrel-to-skipped-document', `${q.qid} -> ${q.unit}`);
    const judged = new Set(usable.map((q) => q.qid));
    const test: TestQuery[] = [];
    for (const q of queries.values()) {
      if (judged.has(q.id)) test.push(q);
      else report.skip('query-not-in-split', q.id);
    }
    report.set('units', units.length);
    report.set('queries', test.length);
    report.set('qrels', usable.length);
    return { units, queries: test, qrels: usable };
  });
}

interface Known {
  units: ReadonlyMap<string, number>;
  queries: ReadonlySet<string>;
}

async function readQrels(
  dir: string,
  split: string,
  known: Known,
  report: ReportBuilder,
): Promise<Result<Qrel[], DataError>> {
  const tsv = path.join(dir, 'qrels', `${split}.tsv`);
  const jsonl = path.join(dir, 'qrels', `${split}.jsonl`);
  const rows: { qid: string; unit: string; rel: number; at: { file: string; record: number } }[] =
    [];
  if (existsSync(tsv)) {
    const lines = (await readFile(tsv, 'utf8')).split('\n');
    for (const [i, raw] of lines.entries()) {
      const at = { file: tsv, record: i + 1 };
      const line = raw.trim();
      if (line === '' || (i === 0 && line.startsWith('query-id'))) continue;
      const [qid, unit, score] = line.split('\t');
      const rel = Number(score);
      if (qid === undefined || unit === undefined || !Number.isInteger(rel)) {
        return err({
          reason: 'invalid-record',
          ...at,
          detail: 'expected "query-id<TAB>corpus-id<TAB>integer score"',
        });
      }
      rows.push({ qid, unit, rel, at });
    }
  } else if (existsSync(jsonl)) {
    const r = await catchData(async () => {
      for await (const { line, value } of readJsonl(jsonl)) {
        const at = { file: jsonl, record: line };
        const obj = must(asObject(value, at));
        const qf = ['query-id', 'query_id', 'qid'].find((f) => f in obj) ?? 'query-id';
        const cf = ['corpus-id', 'corpus_id', 'doc_id'].find((f) => f in obj) ?? 'corpus-id';
        const score = obj['score'] ?? 1;
        if (typeof score !== 'number')
          throw new DataFailure({
            reason: 'invalid-record',
            ...at,
            field: 'score',
            detail: 'expected a number',
          });
        rows.push({
          qid: must(getId(obj, qf, at)),
          unit: must(getId(obj, cf, at)),
          rel: score,
          at,
        });
      }
    });
    if (!r.ok) return r;
  } else {
    return err({ reason: 'file-missing', file: tsv });
  }
  const out: Qrel[] = [];
  for (const row of rows) {
    if (!known.units.has(row.unit))
      return err({ reason: 'unknown-reference', ...row.at, field: 'corpus-id', id: row.unit });
    if (!known.queries.has(row.qid))
      return err({ reason: 'unknown-reference', ...row.at, field: 'query-id', id: row.qid });
    if (row.rel <= 0) report.skip('non-relevant-qrel', `${row.at.file}:${String(row.at.record)}`);
    else out.push({ qid: row.qid, unit: row.unit, rel: row.rel });
  }
  return ok(out);
}

export interface BeirOptions extends BeirSource {
  outDir: string;
}

export async function adaptBeir(opts: BeirOptions): Promise<Result<DataReport, DataError>> {
  const report = new ReportBuilder();
  const data = await readBeir(opts, report);
  if (!data.ok) return data;
  await writeDataset(opts.outDir, data.value);
  return ok(report.build());
}
