// Context2ID inputs from a corpus file, streamed: each unit's text is cut into contexts of at most
// `maxTokens` tokens (a chunk unit of multihop-rag gives one context; a long document of a
// document-level dataset gives several, all mapping to the document unit, appendix A.2), and each
// context into sentences (sentence-level Context2ID and queries). Context text is trimmed of
// surrounding whitespace, which never adds tokens. Ids: `<unit>#c<i>` and `<context>#s<j>`.
// This module does not read adapters' sources or assign identifiers.

import type { Result } from '../result.js';
import type { DataError } from './errors.js';
import { DataFailure } from './errors.js';
import { chunkText } from './chunk.js';
import { catchData, JsonlWriter, readJsonl } from './jsonl.js';
import type { ContextRecord, SentenceRecord } from './records.js';
import { asObject, getString } from './records.js';
import type { DataReport } from './report.js';
import { ReportBuilder } from './report.js';
import { splitSentences } from './sentences.js';
import type { Tokenizer } from './tokenizer.js';

export interface ContextOptions {
  corpusFile: string;
  contextsFile: string;
  /** Omit to skip sentence splitting. */
  sentencesFile?: string;
  tokenizer: Tokenizer;
  maxTokens: number;
}

export function contextsOf(
  unit: string,
  text: string,
  tokenizer: Tokenizer,
  maxTokens: number,
): ContextRecord[] {
  const out: ContextRecord[] = [];
  for (const c of chunkText(text, { tokenizer, maxTokens })) {
    const t = c.text.trim();
    if (t !== '') out.push({ id: `${unit}#c${String(out.length)}`, unit, text: t });
  }
  return out;
}

export function sentencesOf(context: ContextRecord): SentenceRecord[] {
  return splitSentences(context.text).map((s, j) => ({
    id: `${context.id}#s${String(j)}`,
    unit: context.unit,
    context: context.id,
    text: s.text,
  }));
}

export async function buildContexts(opts: ContextOptions): Promise<Result<DataReport, DataError>> {
  const report = new ReportBuilder();
  const contexts = await JsonlWriter.create(opts.contextsFile);
  const sentences =
    opts.sentencesFile === undefined ? undefined : await JsonlWriter.create(opts.sentencesFile);
  const result = await catchData(async () => {
    for await (const { line, value } of readJsonl(opts.corpusFile)) {
      const at = { file: opts.corpusFile, record: line };
      const obj = asObject(value, at);
      if (!obj.ok) throw new DataFailure(obj.error);
      const id = getString(obj.value, 'id', at);
      if (!id.ok) throw new DataFailure(id.error);
      const text = getString(obj.value, 'text', at);
      if (!text.ok) throw new DataFailure(text.error);
      report.add('units');
      const cs = contextsOf(id.value, text.value, opts.tokenizer, opts.maxTokens);
      if (cs.length === 0) report.skip('empty-unit', `${opts.corpusFile}:${String(line)}`);
      for (const c of cs) {
        await contexts.write(c);
        if (sentences !== undefined) {
          for (const s of sentencesOf(c)) await sentences.write(s);
        }
      }
    }
  });
  await contexts.close();
  await sentences?.close();
  report.set('contexts', contexts.count);
  if (sentences !== undefined) report.set('sentences', sentences.count);
  return result.ok ? { ok: true, value: report.build() } : result;
}
