// MultiHop-RAG (Tang and Yang 2024) → corpus units, test queries, qrels. Retrieval unit: chunks
// of at most `maxTokens` (256) tokens of an article's body, no overlap (appendix A.1). The chunk
// text is the body only: the benchmark matches evidence facts against chunk text, and a title or
// metadata header would both eat the token budget and create matches the benchmark never sees;
// title, author, source, category, published_at and url travel in `metadata` for prompts that
// want them. Articles have no id field: document ids are `mh<index>` in corpus.json order.
// Gold for a test query: every chunk whose text contains one of its evidence facts, comparing
// with all whitespace removed, as the benchmark does. Null queries are excluded; facts found in
// no chunk (e.g. straddling a chunk boundary) are counted as skips, never dropped silently.

import type { Result } from '../../result.js';
import { err, ok } from '../../result.js';
import { chunkText } from '../chunk.js';
import type { DataError } from '../errors.js';
import { readJsonFile } from '../jsonl.js';
import type { CorpusUnit, Qrel, TestQuery } from '../records.js';
import { asObject, checkFields, getString } from '../records.js';
import type { DataReport } from '../report.js';
import { ReportBuilder } from '../report.js';
import type { Tokenizer } from '../tokenizer.js';
import { writeDataset } from '../dataset-files.js';

export interface MultihopRagSource {
  corpusFile: string;
  queriesFile: string;
}

export interface MultihopRagOptions extends MultihopRagSource {
  outDir: string;
  tokenizer: Tokenizer;
  maxTokens: number;
}

const ARTICLE_FIELDS = [
  'title',
  'author',
  'source',
  'published_at',
  'category',
  'url',
  'body',
] as const;
const QUERY_FIELDS = ['query', 'answer', 'question_type', 'evidence_list'] as const;
const NULL_TYPE = 'null_query';

const squash = (s: string): string => s.replace(/\s+/gu, '');

export async function adaptMultihopRag(
  opts: MultihopRagOptions,
): Promise<Result<DataReport, DataError>> {
  const report = new ReportBuilder();
  const units = await readArticles(opts, report);
  if (!units.ok) return units;
  const queries = await readQueries(opts, units.value, report);
  if (!queries.ok) return queries;
  await writeDataset(opts.outDir, {
    units: units.value,
    queries: queries.value.queries,
    qrels: queries.value.qrels,
  });
  report.set('units', units.value.length);
  report.set('queries', queries.value.queries.length);
  report.set('qrels', queries.value.qrels.length);
  return ok(report.build());
}

async function readArticles(
  opts: MultihopRagOptions,
  report: ReportBuilder,
): Promise<Result<CorpusUnit[], DataError>> {
  const file = opts.corpusFile;
  const json = await readJsonFile(file);
  if (!json.ok) return json;
  if (!Array.isArray(json.value))
    return err({ reason: 'invalid-record', file, detail: 'expected a JSON array of articles' });
  const units: CorpusUnit[] = [];
  const titles = new Map<string, number>();
  for (const [i, value] of json.value.entries()) {
    const at = { file, record: `[${String(i)}]` };
    const obj = asObject(value, at);
    if (!obj.ok) return obj;
    const fields = checkFields(obj.value, at, { required: ARTICLE_FIELDS });
    if (!fields.ok) return fields;
    const meta: Record<string, string> = {};
    for (const f of ARTICLE_FIELDS) {
      const v = getString(obj.value, f, at);
      if (!v.ok) return v;
      if (f !== 'body') meta[f] = v.value;
    }
    const body = obj.value['body'] as string;
    const doc = `mh${String(i)}`;
    const title = meta['title'] ?? '';
    if (titles.has(title))
      report.skip(
        'duplicate-title-kept',
        `${file} [${String(i)}] repeats record ${String(titles.get(title))}`,
      );
    else titles.set(title, i);
    const chunks = chunkText(body, { tokenizer: opts.tokenizer, maxTokens: opts.maxTokens })
      .map((c) => c.text.trim())
      .filter((t) => t !== '');
    if (chunks.length === 0) report.skip('empty-article', `${file} [${String(i)}]`);
    report.add('articles');
    for (const [j, text] of chunks.entries())
      units.push({ id: `${doc}-c${String(j)}`, text, metadata: meta, doc });
  }
  return ok(units);
}

interface Gold {
  queries: TestQuery[];
  qrels: Qrel[];
}

async function readQueries(
  opts: MultihopRagOptions,
  units: readonly CorpusUnit[],
  report: ReportBuilder,
): Promise<Result<Gold, DataError>> {
  const file = opts.queriesFile;
  const json = await readJsonFile(file);
  if (!json.ok) return json;
  if (!Array.isArray(json.value))
    return err({ reason: 'invalid-record', file, detail: 'expected a JSON array of queries' });
  // Facts are searched in the chunks of the evidence's article first (by title), then everywhere:
  // a full scan per fact is quadratic in the corpus.
  const squashed = units.map((u) => ({ id: u.id, text: squash(u.text) }));
  const byTitle = new Map<string, typeof squashed>();
  for (const [k, u] of units.entries()) {
    const t = u.metadata['title'] ?? '';
    const list = byTitle.get(t) ?? [];
    list.push(squashed[k] ?? { id: u.id, text: '' });
    byTitle.set(t, list);
  }
  const queries: TestQuery[] = [];
  const qrels: Qrel[] = [];
  for (const [i, value] of json.value.entries()) {
    const at = { file, record: `[${String(i)}]` };
    const obj = asObject(value, at);
    if (!obj.ok) return obj;
    const fields = checkFields(obj.value, at, { required: QUERY_FIELDS });
    if (!fields.ok) return fields;
    const text = getString(obj.value, 'query', at);
    if (!text.ok) return text;
    const type = getString(obj.value, 'question_type', at);
    if (!type.ok) return type;
    if (type.value === NULL_TYPE) {
      report.skip('null-query', `${file} [${String(i)}]`);
      continue;
    }
    const evidence = obj.value['evidence_list'];
    if (!Array.isArray(evidence))
      return err({
        reason: 'invalid-record',
        ...at,
        field: 'evidence_list',
        detail: 'expected an array',
      });
    const facts: string[] = [];
    const gold = new Set<string>();
    for (const [e, ev] of evidence.entries()) {
      const eat = { ...at, field: `evidence_list[${String(e)}]` };
      const eobj = asObject(ev, eat);
      if (!eobj.ok) return err({ ...eobj.error, field: eat.field } as DataError);
      const fact = getString(eobj.value, 'fact', at);
      if (!fact.ok) return err({ ...fact.error, field: `${eat.field}.fact` } as DataError);
      const title = eobj.value['title'];
      facts.push(fact.value);
      const needle = squash(fact.value);
      const near = typeof title === 'string' ? (byTitle.get(title) ?? []) : [];
      let hits = near.filter((u) => u.text.includes(needle));
      if (hits.length === 0) hits = squashed.filter((u) => u.text.includes(needle));
      if (hits.length === 0) report.skip('fact-not-found', `${file} [${String(i)}] ${eat.field}`);
      for (const h of hits) gold.add(h.id);
    }
    const id = `q${String(i)}`;
    if (gold.size === 0) {
      report.skip('query-without-gold', `${file} [${String(i)}]`);
      continue;
    }
    report.add('facts', facts.length);
    queries.push({ id, text: text.value, facts, question_type: type.value });
    for (const unit of [...gold].sort()) qrels.push({ qid: id, unit, rel: 1 });
  }
  return ok({ queries, qrels });
}
