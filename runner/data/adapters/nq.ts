// Natural Questions, the IncDSI "old documents" split (Kishore et al. 2023): a folder such as
// `NQ320k/old_docs/` with `passages_seen.json` / `passages_unseen.json` (records `{doc_id,
// doc_text}`: the document prefixes, which are the corpus), `trainqueries.json`,
// `valqueries.json`, `testqueries.json` (`{doc_id, question}` or `{doc_id, gen_question}`),
// `doc_list.pkl` (the split's document ids) and `doc_class.pkl` (doc id → class). Each JSON file
// may be one array or JSON Lines. Document-level retrieval: unit = `doc_id`.
// Outputs: the corpus (metadata `class` when doc_class.pkl exists); test queries and qrels from
// testqueries.json; query sets in the generation contract: `human-queries` (trainqueries.json
// questions, kind `human`, appendix A.4) and `docT5query-queries` (any `gen_question`).
// valqueries.json is not read (the paper does not use it). A query naming a document outside the
// corpus is an error; documents outside doc_list.pkl and duplicate doc_ids are counted skips.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Json, Result } from '../../result.js';
import { err, ok } from '../../result.js';
import type { DataError } from '../errors.js';
import { DataFailure } from '../errors.js';
import { catchData, readJsonFile, readJsonl } from '../jsonl.js';
import type { PickleValue } from '../pickle.js';
import { readPickle } from '../pickle.js';
import type { CorpusUnit, Qrel, QueryRecord, TestQuery } from '../records.js';
import { asObject, getId, getString } from '../records.js';
import type { DataReport } from '../report.js';
import { ReportBuilder } from '../report.js';
import { writeDataset } from '../dataset-files.js';

export interface NqOptions {
  dir: string;
  outDir: string;
}

interface Located {
  /** Line (JSON Lines) or `[index]` (JSON array). */
  record: number | string;
  value: Json;
}

/** A JSON array file or a JSON Lines file, told apart by the first non-blank character. */
async function readRecords(file: string): Promise<Result<Located[], DataError>> {
  const head = (await readFile(file)).subarray(0, 64).toString('utf8').trimStart();
  if (head.startsWith('[')) {
    const json = await readJsonFile(file);
    if (!json.ok) return json;
    if (!Array.isArray(json.value))
      return err({ reason: 'invalid-record', file, detail: 'expected an array' });
    return ok(json.value.map((value, i) => ({ record: `[${String(i)}]`, value })));
  }
  return catchData(async () => {
    const out: Located[] = [];
    for await (const { line, value } of readJsonl(file)) out.push({ record: line, value });
    return out;
  });
}

async function readPickleFile(file: string): Promise<Result<PickleValue, DataError>> {
  const r = readPickle(await readFile(file));
  if (!r.ok)
    return err({
      reason: 'unsupported-format',
      file,
      record: `byte ${String(r.error.offset)}`,
      detail: r.error.detail,
    });
  return r;
}

const idOf = (v: PickleValue): string | undefined =>
  typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'bigint'
      ? String(v)
      : undefined;

export async function adaptNq(opts: NqOptions): Promise<Result<DataReport, DataError>> {
  const report = new ReportBuilder();
  const file = (name: string): string => path.join(opts.dir, name);
  const r = await catchData(async () => {
    let listed: Set<string> | undefined;
    if (existsSync(file('doc_list.pkl'))) {
      const v = await readPickleFile(file('doc_list.pkl'));
      if (!v.ok) throw new DataFailure(v.error);
      if (!Array.isArray(v.value))
        throw new DataFailure({
          reason: 'invalid-record',
          file: file('doc_list.pkl'),
          detail: 'expected a list of document ids',
        });
      listed = new Set(v.value.map((x, i) => idOf(x) ?? fatal(file('doc_list.pkl'), i)));
    }
    const classes = new Map<string, string>();
    if (existsSync(file('doc_class.pkl'))) {
      const v = await readPickleFile(file('doc_class.pkl'));
      if (!v.ok) throw new DataFailure(v.error);
      if (!(v.value instanceof Map))
        throw new DataFailure({
          reason: 'invalid-record',
          file: file('doc_class.pkl'),
          detail: 'expected a dict doc id -> class',
        });
      for (const [k, c] of v.value) {
        const id = idOf(k);
        const cls = idOf(c);
        if (id !== undefined && cls !== undefined) classes.set(id, cls);
      }
    }
    const units = new Map<string, CorpusUnit>();
    for (const name of ['passages_seen.json', 'passages_unseen.json']) {
      if (!existsSync(file(name))) continue;
      for (const { record, value } of unwrap(await readRecords(file(name)))) {
        const at = { file: file(name), record };
        const obj = unwrap(asObject(value, at));
        const id = unwrap(getId(obj, 'doc_id', at));
        const text = unwrap(getString(obj, 'doc_text', at));
        const where = `${file(name)}:${String(record)}`;
        if (listed !== undefined && !listed.has(id)) report.skip('not-in-doc-list', where);
        else if (units.has(id)) report.skip('duplicate-document-kept-first', where);
        else if (text.trim() === '') report.skip('empty-document', where);
        else
          units.set(id, {
            id,
            text,
            doc: id,
            metadata: classes.has(id) ? { class: classes.get(id) ?? '' } : {},
          });
      }
    }
    if (units.size === 0)
      throw new DataFailure({ reason: 'file-missing', file: file('passages_seen.json') });
    if (listed !== undefined)
      report.set('listedWithoutText', [...listed].filter((id) => !units.has(id)).length);

    const human: QueryRecord[] = [];
    const generated: QueryRecord[] = [];
    const test: TestQuery[] = [];
    const qrels: Qrel[] = [];
    for (const name of ['trainqueries.json', 'testqueries.json']) {
      if (!existsSync(file(name))) continue;
      for (const [n, { record, value }] of unwrap(await readRecords(file(name))).entries()) {
        const at = { file: file(name), record };
        const obj = unwrap(asObject(value, at));
        const unit = unwrap(getId(obj, 'doc_id', at));
        if (!units.has(unit))
          throw new DataFailure({ reason: 'unknown-reference', ...at, field: 'doc_id', id: unit });
        const isGen = 'gen_question' in obj;
        const text = unwrap(getString(obj, isGen ? 'gen_question' : 'question', at));
        const qid = `${name === 'testqueries.json' ? 'test' : 'train'}${String(n)}`;
        if (name === 'testqueries.json' && !isGen) {
          test.push({ id: qid, text });
          qrels.push({ qid, unit, rel: 1 });
        } else if (isGen) {
          generated.push({
            id: `gen-${qid}`,
            text,
            unit,
            kind: 'docT5query',
            generator: 'incdsi',
            sample: 0,
          });
        } else {
          human.push({
            id: `human-${qid}`,
            text,
            unit,
            kind: 'human',
            generator: 'human',
            sample: 0,
          });
        }
      }
    }
    const querySets: Record<string, QueryRecord[]> = { 'human-queries': human };
    if (generated.length > 0) querySets['docT5query-queries'] = generated;
    await writeDataset(opts.outDir, {
      units: [...units.values()],
      queries: test,
      qrels,
      querySets,
    });
    report.set('units', units.size);
    report.set('queries', test.length);
    report.set('humanQueries', human.length);
    report.set('generatedQueries', generated.length);
  });
  return r.ok ? ok(report.build()) : r;
}

function unwrap<T>(r: Result<T, DataError>): T {
  if (!r.ok) throw new DataFailure(r.error);
  return r.value;
}

function fatal(file: string, i: number): never {
  throw new DataFailure({
    reason: 'invalid-record',
    file,
    record: `[${String(i)}]`,
    detail: 'document id is neither a string nor an integer',
  });
}
