// AllSides and AGNews from the perspective-aware retrieval benchmark (Zhao et al. 2024), from its
// demo JSON (a task's `corpus`, `queries`, `source_queries`, `perspectives`, `key_ref`,
// `query_labels`) or its BEIR-style release (queries' metadata `src_query`, `perspective`).
// Document-level retrieval: unit = document (`d<index>` in the demo, `_id` in BEIR files).
// Query metadata: `perspective` and its parsed attribute (`polarity`, `location` or `topic`).
// AllSides polarity is not a document field in either release; it is recovered from the queries:
// a document judged relevant to "a news article biased towards: left" is left-leaning. Documents
// no query judges have no polarity (counted). AGNews location/topic come from an LLM extraction
// step, merged here from a side file `{unit, metadata}`; the test-query rewrite to location +
// topic perspectives (§5.1, A.3) is `rewriteAgnewsQueries`, which needs that metadata.

import type { Json, Result } from '../../result.js';
import { err, ok } from '../../result.js';
import type { DataError } from '../errors.js';
import { DataFailure } from '../errors.js';
import { catchData, readJsonFile, readJsonl } from '../jsonl.js';
import type { CorpusUnit, Qrel, TestQuery } from '../records.js';
import { asObject, getId, getMetadata } from '../records.js';
import type { DataReport } from '../report.js';
import { ReportBuilder } from '../report.js';
import { writeDataset } from '../dataset-files.js';
import type { BeirData } from './beir.js';
import { readBeir } from './beir.js';

export type PirTask = 'allsides' | 'agnews';

export type PirSource =
  | { format: 'demo'; file: string; task: PirTask }
  | { format: 'beir'; dir: string; task: PirTask; split?: string };

export interface PirOptions {
  source: PirSource;
  outDir: string;
  /** JSONL `{unit, metadata}` from the extraction step (AGNews location and topic). */
  metadataFile?: string;
  /** AGNews: rewrite test queries to location + topic perspectives (needs `metadataFile`). */
  rewriteQueries?: boolean;
}

/** Parses a perspective phrase of the benchmark into the attribute it constrains. */
export function parsePerspective(p: string): Record<string, string> {
  const bias = /biased towards:\s*(\S+)/u.exec(p);
  if (bias?.[1] !== undefined) return { polarity: bias[1] };
  const loc = /happened in\s+(.+?)\s*$/u.exec(p);
  if (loc?.[1] !== undefined) return { location: loc[1] };
  const topic = /relates to\s+(.+?)\s*$/u.exec(p);
  if (topic?.[1] !== undefined) return { topic: topic[1] };
  return {};
}

function stringList(task: Record<string, Json>, key: string, file: string): string[] {
  const v = task[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new DataFailure({
      reason: 'invalid-record',
      file,
      field: key,
      detail: 'expected an array of strings',
    });
  }
  return v as string[];
}

async function readDemo(
  file: string,
  taskName: PirTask,
  report: ReportBuilder,
): Promise<Result<BeirData, DataError>> {
  const json = await readJsonFile(file);
  if (!json.ok) return json;
  return catchData(async () => {
    await Promise.resolve();
    const root = json.value;
    const task =
      root !== null && typeof root === 'object' && !Array.isArray(root)
        ? root[taskName]
        : undefined;
    if (task === undefined || task === null || typeof task !== 'object' || Array.isArray(task)) {
      throw new DataFailure({
        reason: 'invalid-record',
        file,
        field: taskName,
        detail: 'task missing or not an object',
      });
    }
    const corpus = stringList(task, 'corpus', file);
    const texts = stringList(task, 'queries', file);
    const perspectives = stringList(task, 'perspectives', file);
    const sources = stringList(task, 'source_queries', file);
    const labels = stringList(task, 'query_labels', file);
    const keyRef = task['key_ref'];
    if (keyRef === null || typeof keyRef !== 'object' || Array.isArray(keyRef)) {
      throw new DataFailure({
        reason: 'invalid-record',
        file,
        field: 'key_ref',
        detail: 'expected an object',
      });
    }
    const units: CorpusUnit[] = [];
    for (const [i, text] of corpus.entries()) {
      if (text.trim() === '')
        report.skip('empty-document', `${file} ${taskName}.corpus[${String(i)}]`);
      else units.push({ id: `d${String(i)}`, text, doc: `d${String(i)}`, metadata: {} });
    }
    const known = new Set(units.map((u) => u.id));
    const queries: TestQuery[] = [];
    const qrels: Qrel[] = [];
    for (const [i, text] of texts.entries()) {
      const refs = keyRef[String(i)];
      const field = `${taskName}.key_ref.${String(i)}`;
      if (!Array.isArray(refs) || refs.some((r) => typeof r !== 'number')) {
        throw new DataFailure({
          reason: 'invalid-record',
          file,
          field,
          detail: 'expected an array of corpus indices',
        });
      }
      const id = `q${String(i)}`;
      const perspective = perspectives[i] ?? '';
      queries.push({
        id,
        text,
        metadata: {
          perspective,
          label: labels[i] ?? '',
          src_query: sources[i] ?? '',
          ...parsePerspective(perspective),
        },
      });
      for (const r of refs as number[]) {
        const unit = `d${String(r)}`;
        if (!known.has(unit))
          throw new DataFailure({ reason: 'unknown-reference', file, field, id: unit });
        qrels.push({ qid: id, unit, rel: 1 });
      }
    }
    return { units, queries, qrels };
  });
}

/** Gives each unit the polarity of the queries that judge it relevant. */
function deriveAttributes(data: BeirData, attr: string, report: ReportBuilder): void {
  const byUnit = new Map(data.units.map((u) => [u.id, u]));
  const queries = new Map(data.queries.map((q) => [q.id, q]));
  for (const q of data.qrels) {
    const value = queries.get(q.qid)?.metadata?.[attr];
    const unit = byUnit.get(q.unit);
    if (value === undefined || unit === undefined) continue;
    const had = unit.metadata[attr];
    if (had === undefined) unit.metadata[attr] = value;
    else if (had !== value)
      report.skip(`conflicting-${attr}-kept-first`, `${q.unit} (${had} vs ${value})`);
  }
  const without = data.units.filter((u) => u.metadata[attr] === undefined).length;
  report.set(`unitsWithout_${attr}`, without);
}

async function mergeMetadata(data: BeirData, file: string): Promise<Result<void, DataError>> {
  const byUnit = new Map(data.units.map((u) => [u.id, u]));
  return catchData(async () => {
    for await (const { line, value } of readJsonl(file)) {
      const at = { file, record: line };
      const obj = asObject(value, at);
      if (!obj.ok) throw new DataFailure(obj.error);
      const unit = getId(obj.value, 'unit', at);
      if (!unit.ok) throw new DataFailure(unit.error);
      const u = byUnit.get(unit.value);
      if (u === undefined)
        throw new DataFailure({
          reason: 'unknown-reference',
          ...at,
          field: 'unit',
          id: unit.value,
        });
      const meta = getMetadata(obj.value, 'metadata', at);
      if (!meta.ok) throw new DataFailure(meta.error);
      Object.assign(u.metadata, meta.value);
    }
  });
}

/**
 * AGNews test queries pair a location or topic perspective with "similar to the following news";
 * the paper replaces the second part with the other attribute of the relevant document, so each
 * query asks for both location and topic. Queries whose gold document lacks the metadata keep
 * their text and are counted.
 */
export function rewriteAgnewsQueries(
  queries: readonly TestQuery[],
  qrels: readonly Qrel[],
  units: readonly CorpusUnit[],
  report: ReportBuilder,
): TestQuery[] {
  const meta = new Map(units.map((u) => [u.id, u.metadata]));
  const gold = new Map<string, string>();
  for (const q of qrels) if (!gold.has(q.qid)) gold.set(q.qid, q.unit);
  return queries.map((q) => {
    const m = meta.get(gold.get(q.id) ?? '') ?? {};
    const location = q.metadata?.['location'] ?? m['location'];
    const topic = q.metadata?.['topic'] ?? m['topic'];
    if (location === undefined || topic === undefined) {
      report.skip('query-not-rewritten', q.id);
      return q;
    }
    report.add('queriesRewritten');
    return {
      ...q,
      text: `Find a news article that happened in ${location} and relates to ${topic}`,
      metadata: { ...(q.metadata ?? {}), location, topic },
    };
  });
}

export async function adaptPir(opts: PirOptions): Promise<Result<DataReport, DataError>> {
  const report = new ReportBuilder();
  const src = opts.source;
  const data =
    src.format === 'demo'
      ? await readDemo(src.file, src.task, report)
      : await readBeir({ dir: src.dir, split: src.split }, report);
  if (!data.ok) return data;
  if (src.format === 'beir') {
    for (const q of data.value.queries) {
      const p = q.metadata?.['perspective'];
      if (p !== undefined) q.metadata = { ...q.metadata, ...parsePerspective(p) };
    }
  }
  if (src.task === 'allsides') deriveAttributes(data.value, 'polarity', report);
  if (opts.metadataFile !== undefined) {
    const merged = await mergeMetadata(data.value, opts.metadataFile);
    if (!merged.ok) return merged;
  }
  let queries = data.value.queries;
  if (opts.rewriteQueries === true) {
    if (src.task !== 'agnews' || opts.metadataFile === undefined) {
      return err({
        reason: 'unsupported-format',
        file: opts.metadataFile ?? '(none)',
        detail: 'query rewriting is for AGNews and needs a metadata file',
      });
    }
    queries = rewriteAgnewsQueries(queries, data.value.qrels, data.value.units, report);
  }
  await writeDataset(opts.outDir, { ...data.value, queries });
  report.set('units', data.value.units.length);
  report.set('queries', queries.length);
  report.set('qrels', data.value.qrels.length);
  return ok(report.build());
}
