// Document identifiers (§2.1): `atomic` — one new token per unit, `<id_N>` in corpus order — and
// `semantic` — the unit's keyword list from the keywords prompt, joined with ", ". Semantic
// identifiers can collide (two chunks of one article often get the same keywords); collisions are
// resolved deterministically in corpus order: the first unit keeps the identifier, each later one
// gets the most frequent word of its own text that is not already a keyword and makes it unique,
// else a numeric suffix. The report gives the number of collisions and the identifier length
// distribution in tokens of the base model's tokenizer. This module does not call the LLM.

import type { Result } from '../result.js';
import { err, ok } from '../result.js';
import type { DataError } from './errors.js';
import type { IdentifierRecord } from './records.js';
import type { Tokenizer } from './tokenizer.js';

export interface LengthStats {
  min: number;
  median: number;
  p90: number;
  max: number;
}

export interface IdentifierReport {
  units: number;
  collisions: number;
  resolvedByKeyword: number;
  resolvedBySuffix: number;
  lengthTokens: LengthStats;
}

export interface KeywordRecord {
  unit: string;
  keywords: string[];
}

export interface IdentifierResult {
  identifiers: IdentifierRecord[];
  report: IdentifierReport;
}

/** Nearest-rank quantiles of a non-empty list. */
export function lengthStats(values: readonly number[]): LengthStats {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number): number =>
    s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? 0;
  return { min: s[0] ?? 0, median: q(0.5), p90: q(0.9), max: s[s.length - 1] ?? 0 };
}

function finish(
  identifiers: IdentifierRecord[],
  tokenizer: Tokenizer,
  extra: Omit<IdentifierReport, 'units' | 'lengthTokens'>,
): IdentifierResult {
  return {
    identifiers,
    report: {
      units: identifiers.length,
      ...extra,
      lengthTokens: lengthStats(identifiers.map((i) => tokenizer.count(i.identifier))),
    },
  };
}

export function atomicIdentifiers(
  units: readonly string[],
  tokenizer: Tokenizer,
): IdentifierResult {
  const identifiers = units.map((unit, i) => ({ unit, identifier: `<id_${String(i)}>` }));
  return finish(identifiers, tokenizer, {
    collisions: 0,
    resolvedByKeyword: 0,
    resolvedBySuffix: 0,
  });
}

const STOP = new Set(
  'that this with from have were been their there which would about after also into more than they will said says what when where while other could over some such them then these those very your only just most made like'.split(
    ' ',
  ),
);

/** Candidate distinguishing words of a text: frequent first, then alphabetical, for determinism. */
function candidateWords(text: string, exclude: ReadonlySet<string>): string[] {
  const counts = new Map<string, number>();
  for (const m of text.toLowerCase().matchAll(/\p{L}[\p{L}\p{N}'-]{3,}/gu)) {
    const w = m[0];
    if (!STOP.has(w) && !exclude.has(w)) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([w]) => w);
}

export interface SemanticOptions {
  /** Units in corpus order; every unit needs a keyword record. */
  units: readonly string[];
  keywords: readonly KeywordRecord[];
  /** Unit texts, for distinguishing words; without them collisions get numeric suffixes. */
  texts?: ReadonlyMap<string, string>;
  tokenizer: Tokenizer;
  /** The file the keyword records were read from, in order (errors name record i + 1 as its line). */
  file: string;
}

export function semanticIdentifiers(opts: SemanticOptions): Result<IdentifierResult, DataError> {
  const byUnit = new Map<string, string[]>();
  for (const [i, r] of opts.keywords.entries()) {
    if (byUnit.has(r.unit))
      return err({
        reason: 'duplicate-id',
        file: opts.file,
        record: i + 1,
        field: 'unit',
        id: r.unit,
        first: '(earlier record)',
      });
    byUnit.set(
      r.unit,
      r.keywords.map((k) => k.trim()).filter((k) => k !== ''),
    );
  }
  const known = new Set(opts.units);
  for (const [i, r] of opts.keywords.entries()) {
    if (!known.has(r.unit))
      return err({
        reason: 'unknown-reference',
        file: opts.file,
        record: i + 1,
        field: 'unit',
        id: r.unit,
      });
  }
  const taken = new Set<string>();
  const identifiers: IdentifierRecord[] = [];
  let collisions = 0;
  let resolvedByKeyword = 0;
  let resolvedBySuffix = 0;
  for (const unit of opts.units) {
    const kws = byUnit.get(unit);
    if (kws === undefined || kws.length === 0) {
      return err({
        reason: 'invalid-record',
        file: opts.file,
        record: unit,
        field: 'keywords',
        detail: `unit "${unit}" has no keywords`,
      });
    }
    let id = kws.join(', ');
    if (taken.has(id)) {
      collisions++;
      const base = id;
      const exclude = new Set(kws.flatMap((k) => k.toLowerCase().split(/\s+/u)));
      const word = candidateWords(opts.texts?.get(unit) ?? '', exclude).find(
        (w) => !taken.has(`${base}, ${w}`),
      );
      if (word !== undefined) {
        id = `${base}, ${word}`;
        resolvedByKeyword++;
      } else {
        let n = 2;
        while (taken.has(`${base} #${String(n)}`)) n++;
        id = `${base} #${String(n)}`;
        resolvedBySuffix++;
      }
    }
    taken.add(id);
    identifiers.push({ unit, identifier: id });
  }
  return ok(
    finish(identifiers, opts.tokenizer, { collisions, resolvedByKeyword, resolvedBySuffix }),
  );
}
