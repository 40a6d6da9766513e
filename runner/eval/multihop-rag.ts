// Reader for MultiHop-RAG's own retrieval output (`--format multihop-rag`): a JSON list of
// `{query, question_type, retrieval_list: [{text, score}], gold_list: [{fact, …}]}`.
//
// It turns the file into `evaluate`'s inputs, so any retriever's output is scored by the same
// code as ours: query ids are the record positions ("0", "1", …, the benchmark has no ids),
// retrieved units get ids "<record>#<rank>" and carry their text. Records are kept in file order
// with their question type, so `evaluate` excludes null queries as the benchmark does.
// Extra fields are ignored. Does not compute metrics.

import { readFile } from 'node:fs/promises';
import { err, ok, type Result } from '../result.js';
import type { FactsQuery, Gold, UnitId } from './metrics.js';
import type { QueryId } from './trec.js';

export interface MultihopRagOutput {
  run: Map<QueryId, UnitId[]>;
  gold: Extract<Gold, { kind: 'facts' }>;
}

export type MultihopRagError =
  | { reason: 'read-failed'; file: string; message: string }
  | { reason: 'invalid-json'; file: string; message: string }
  | { reason: 'invalid-shape'; file: string; problems: string[]; more: number };

const MAX_PROBLEMS = 20;

export function formatMultihopRagError(e: MultihopRagError): string {
  switch (e.reason) {
    case 'read-failed':
      return `${e.file}: cannot read: ${e.message}`;
    case 'invalid-json':
      return `${e.file}: not valid JSON: ${e.message}`;
    case 'invalid-shape': {
      const lines = e.problems.map((p) => `${e.file}: ${p}`);
      if (e.more > 0) lines.push(`${e.file}: … and ${e.more} more problems`);
      return lines.join('\n');
    }
  }
}

export async function readMultihopRagOutput(
  file: string,
): Promise<Result<MultihopRagOutput, MultihopRagError>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return err({ reason: 'read-failed', file, message: (e as Error).message });
  }
  return parseMultihopRagOutput(text, file);
}

export function parseMultihopRagOutput(
  text: string,
  file: string,
): Result<MultihopRagOutput, MultihopRagError> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return err({ reason: 'invalid-json', file, message: (e as Error).message });
  }
  const problems: string[] = [];
  if (!Array.isArray(data)) {
    return err({
      reason: 'invalid-shape',
      file,
      problems: ['expected a JSON list of query records'],
      more: 0,
    });
  }

  const run = new Map<QueryId, UnitId[]>();
  const queries: FactsQuery[] = [];
  const unitText = new Map<UnitId, string>();
  data.forEach((record: unknown, index) => {
    const at = `[${index}]`;
    if (!isObject(record)) {
      problems.push(`${at}: expected an object`);
      return;
    }
    const qid = String(index);
    const questionType = record['question_type'];
    if (typeof questionType !== 'string') problems.push(`${at}.question_type: expected a string`);

    const units: UnitId[] = [];
    listOf(record, 'retrieval_list', at, problems).forEach((item, rank) => {
      const textValue = isObject(item) ? item['text'] : undefined;
      if (typeof textValue !== 'string') {
        problems.push(`${at}.retrieval_list[${rank}].text: expected a string`);
        return;
      }
      const unit = `${qid}#${rank + 1}`;
      unitText.set(unit, textValue);
      units.push(unit);
    });

    const facts: string[] = [];
    listOf(record, 'gold_list', at, problems).forEach((item, i) => {
      const fact = isObject(item) ? item['fact'] : undefined;
      if (typeof fact !== 'string') problems.push(`${at}.gold_list[${i}].fact: expected a string`);
      else facts.push(fact);
    });

    run.set(qid, units);
    queries.push(typeof questionType === 'string' ? { qid, facts, questionType } : { qid, facts });
  });

  if (problems.length > 0) {
    return err({
      reason: 'invalid-shape',
      file,
      problems: problems.slice(0, MAX_PROBLEMS),
      more: Math.max(0, problems.length - MAX_PROBLEMS),
    });
  }
  return ok({ run, gold: { kind: 'facts', queries, unitText } });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function listOf(
  record: Record<string, unknown>,
  key: string,
  at: string,
  problems: string[],
): unknown[] {
  const value = record[key];
  if (Array.isArray(value)) return value;
  problems.push(`${at}.${key}: expected a list`);
  return [];
}
