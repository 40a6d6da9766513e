// Assembles SFT training data (step kind `sft-data`) from identifiers, Context2ID inputs (contexts
// or sentences, or none) and any number of query files in the generation contract, streamed to
// JSONL `{prompt, completion, kind, unit}` in the model's prompt format.
//
// Order. The file order is canonical and reproducible; there is no file-level shuffle: the
// trainer shuffles with the run's seed, and a global shuffle here would hold the whole dataset
// (1.5M NQ queries) in memory.
// - `concat`: every Context2ID example once (context file order), then every Query2ID example
//   once (query files in the order given, each in file order). The paper's NQ recipe (A.4).
// - `interleave`: our reading of the paper's "interleave" (§5.3.1, Table 5, A.1–A.3): each
//   Query2ID example is followed by a Context2ID example of the same unit, cycling through that
//   unit's contexts, so Context2ID is upsampled and the dataset is about twice the number of
//   queries ("much larger", A.4). The cycle of each unit starts at an offset drawn from the seed.
//   Contexts the cycle never reaches (a unit with more contexts than queries, or no queries) are
//   appended at the end, so memorisation still sees the whole corpus. (Another reading —
//   alternating the two datasets and restarting the smaller one — would not pair a query with its
//   own unit's text, which is what makes the interleave useful for packing.)
// Interleave keeps the Context2ID texts in memory (unit → texts); queries always stream.
// This module does not tokenise or truncate: max sequence length is the trainer's business.

import type { Result } from '../result.js';
import { err, ok, unreachable } from '../result.js';
import type { DataError } from './errors.js';
import { DataFailure } from './errors.js';
import { catchData, JsonlWriter, readJsonl } from './jsonl.js';
import type { PromptFormat } from './prompt-format.js';
import { formatExample } from './prompt-format.js';
import type { JsonObject, SftExample } from './records.js';
import { asObject, checkFields, getId, getString } from './records.js';

export type Combine = 'concat' | 'interleave';

export interface SftDataOptions {
  identifiersFile: string;
  /** contexts.jsonl or sentences.jsonl; omit for no Context2ID. */
  contextFile?: string;
  queryFiles: readonly string[];
  combine: Combine;
  seed: number;
  promptFormat: PromptFormat;
  outFile: string;
}

export interface SftDataReport {
  context2id: number;
  query2id: number;
  /** Query2ID examples per query `kind` (chunk, sentence, constraints, human, …). */
  queriesByKind: Record<string, number>;
  /** Interleave only: contexts appended because no query's cycle reached them. */
  leftoverContexts: number;
  total: number;
}

const must = <T>(r: Result<T, DataError>): T => {
  if (!r.ok) throw new DataFailure(r.error);
  return r.value;
};

async function readIdentifiers(file: string): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for await (const { line, value } of readJsonl(file)) {
    const at = { file, record: line };
    const obj = must(asObject(value, at));
    must(checkFields(obj, at, { required: ['unit', 'identifier'] }));
    const unit = must(getString(obj, 'unit', at));
    if (ids.has(unit))
      throw new DataFailure({
        reason: 'duplicate-id',
        ...at,
        field: 'unit',
        id: unit,
        first: '(earlier line)',
      });
    ids.set(unit, must(getString(obj, 'identifier', at)));
  }
  return ids;
}

/** Context or sentence records: `{id, unit, text}` plus `context` for sentences. */
async function* readContexts(
  file: string,
  ids: ReadonlyMap<string, string>,
): AsyncGenerator<{ unit: string; text: string }> {
  for await (const { line, value } of readJsonl(file)) {
    const at = { file, record: line };
    const obj = must(asObject(value, at));
    must(checkFields(obj, at, { required: ['id', 'unit', 'text'], optional: ['context'] }));
    yield { unit: knownUnit(obj, at, ids), text: must(getString(obj, 'text', at)) };
  }
}

function knownUnit(
  obj: JsonObject,
  at: { file: string; record: number },
  ids: ReadonlyMap<string, string>,
): string {
  const unit = must(getString(obj, 'unit', at));
  if (!ids.has(unit))
    throw new DataFailure({ reason: 'unknown-reference', ...at, field: 'unit', id: unit });
  return unit;
}

async function* readQueries(
  files: readonly string[],
  ids: ReadonlyMap<string, string>,
): AsyncGenerator<{ unit: string; text: string; kind: string }> {
  for (const file of files) {
    for await (const { line, value } of readJsonl(file)) {
      const at = { file, record: line };
      const obj = must(asObject(value, at));
      must(
        checkFields(obj, at, {
          required: ['id', 'text', 'unit', 'kind', 'generator', 'sample'],
          optional: ['answer', 'score'],
        }),
      );
      must(getId(obj, 'id', at));
      yield {
        unit: knownUnit(obj, at, ids),
        text: must(getString(obj, 'text', at)),
        kind: must(getString(obj, 'kind', at)),
      };
    }
  }
}

/** FNV-1a of seed and unit: a stable per-unit starting offset for the context cycle. */
function offsetFor(seed: number, unit: string, n: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < unit.length; i++) h = Math.imul(h ^ unit.charCodeAt(i), 0x01000193) >>> 0;
  return h % n;
}

export async function buildSftData(
  opts: SftDataOptions,
): Promise<Result<SftDataReport, DataError>> {
  if (opts.combine === 'interleave' && opts.contextFile === undefined) {
    return err({
      reason: 'unsupported-format',
      file: opts.outFile,
      detail: 'combine "interleave" needs Context2ID data (a context file)',
    });
  }
  const out = await JsonlWriter.create(opts.outFile);
  const report: SftDataReport = {
    context2id: 0,
    query2id: 0,
    queriesByKind: {},
    leftoverContexts: 0,
    total: 0,
  };
  const r = await catchData(async () => {
    const ids = await readIdentifiers(opts.identifiersFile);
    const emit = async (kind: SftExample['kind'], unit: string, input: string): Promise<void> => {
      const { prompt, completion } = formatExample(opts.promptFormat, input, ids.get(unit) ?? '');
      await out.write({ prompt, completion, kind, unit } satisfies SftExample);
      if (kind === 'context2id') report.context2id++;
      else report.query2id++;
    };
    const queries = async (
      each: (q: { unit: string; text: string }) => Promise<void>,
    ): Promise<void> => {
      for await (const q of readQueries(opts.queryFiles, ids)) {
        report.queriesByKind[q.kind] = (report.queriesByKind[q.kind] ?? 0) + 1;
        await emit('query2id', q.unit, q.text);
        await each(q);
      }
    };
    switch (opts.combine) {
      case 'concat':
        if (opts.contextFile !== undefined)
          for await (const c of readContexts(opts.contextFile, ids))
            await emit('context2id', c.unit, c.text);
        await queries(async () => {});
        break;
      case 'interleave': {
        const byUnit = new Map<string, { texts: string[]; next: number; used: boolean[] }>();
        for await (const c of readContexts(opts.contextFile ?? '', ids)) {
          const e = byUnit.get(c.unit) ?? { texts: [], next: -1, used: [] };
          e.texts.push(c.text);
          e.used.push(false);
          byUnit.set(c.unit, e);
        }
        await queries(async (q) => {
          const e = byUnit.get(q.unit);
          if (e === undefined) return;
          if (e.next < 0) e.next = offsetFor(opts.seed, q.unit, e.texts.length);
          const i = e.next;
          e.next = (i + 1) % e.texts.length;
          e.used[i] = true;
          await emit('context2id', q.unit, e.texts[i] ?? '');
        });
        for (const [unit, e] of byUnit) {
          for (const [i, text] of e.texts.entries()) {
            if (e.used[i] === true) continue;
            report.leftoverContexts++;
            await emit('context2id', unit, text);
          }
        }
        break;
      }
      default:
        unreachable(opts.combine);
    }
  });
  await out.close();
  if (!r.ok) return r;
  report.total = out.count;
  return ok(report);
}
