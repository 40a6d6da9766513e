// Negative candidates for preference learning (paper §4.3) and the preference pairs they form.
//
// - `model-top, k`: the candidates the SFT model ranked above the positive, the highest k of
//   them. A positive at rank 1 gives no pair (the model is already right); a positive missing
//   from the ranking gives the top k. Fewer than k above the positive gives that many.
// - `random, k`: k distinct units other than the positive, drawn uniformly from all units. Each
//   query has its own stream seeded by (seed, qid), so a query's negatives do not change when
//   other queries are added, removed or reordered.
// - `none`: no pairs (the SFT-only rows).
// Each negative pairs with the positive: `{prompt, chosen, rejected}` is what the RPO trainer
// reads (identifier strings), `query`, `positive`, `negative` keep the ids for tracing.
// The ranking is taken as given: score ties were already broken when it was built (trec.ts:
// score, then rank, then docid), so only rank order matters here; a unit repeated in a ranking
// counts once. Does not run retrieval and does not write files.

import { err, ok, type Result } from '../result.js';
import type { UnitId } from './metrics.js';
import { seededRandom } from './random.js';
import type { QueryId } from './trec.js';

export type NegativesSpec =
  | { strategy: 'none' }
  | { strategy: 'model-top'; k: number }
  | { strategy: 'random'; k: number; seed: number };

export interface PreferenceQuery {
  qid: QueryId;
  /** The model input for this query, as the trainer expects it. */
  prompt: string;
  positive: UnitId;
  /** The SFT model's ranking for the query, best first (only `model-top` reads it). */
  ranked: readonly UnitId[];
}

export interface PreferencePair {
  prompt: string;
  chosen: string;
  rejected: string;
  query: QueryId;
  positive: UnitId;
  negative: UnitId;
}

export interface MiningReport {
  strategy: NegativesSpec['strategy'];
  queries: number;
  queriesWithPairs: number;
  pairs: number;
  /** model-top only: queries whose positive was ranked first / was not in the ranking. */
  positiveFirst?: number;
  positiveMissing?: number;
}

export type MiningError =
  | { reason: 'invalid-k'; k: number }
  | { reason: 'unknown-unit'; qid: QueryId; unit: UnitId; role: 'positive' | 'negative' };

export function formatMiningError(e: MiningError): string {
  switch (e.reason) {
    case 'invalid-k':
      return `negatives: k must be a positive integer, got ${e.k}`;
    case 'unknown-unit':
      return `query "${e.qid}": ${e.role} unit "${e.unit}" has no identifier`;
  }
}

export interface MineOptions {
  queries: readonly PreferenceQuery[];
  spec: NegativesSpec;
  /** Every unit of the corpus and its identifier string; `random` samples from these units. */
  identifiers: ReadonlyMap<UnitId, string>;
}

export function mineNegatives(
  options: MineOptions,
): Result<{ pairs: PreferencePair[]; report: MiningReport }, MiningError> {
  const { spec, identifiers } = options;
  if (spec.strategy !== 'none' && !(Number.isInteger(spec.k) && spec.k > 0)) {
    return err({ reason: 'invalid-k', k: spec.k });
  }
  // Sorted, so sampling does not depend on the order the caller built the map in.
  const universe = spec.strategy === 'random' ? [...identifiers.keys()].sort() : [];

  const pairs: PreferencePair[] = [];
  let queriesWithPairs = 0;
  let positiveFirst = 0;
  let positiveMissing = 0;
  for (const q of options.queries) {
    const chosen = identifiers.get(q.positive);
    if (chosen === undefined)
      return err({ reason: 'unknown-unit', qid: q.qid, unit: q.positive, role: 'positive' });

    let negatives: UnitId[];
    switch (spec.strategy) {
      case 'none':
        negatives = [];
        break;
      case 'model-top': {
        const ranked = [...new Set(q.ranked)];
        const at = ranked.indexOf(q.positive);
        if (at === 0) positiveFirst += 1;
        if (at === -1) positiveMissing += 1;
        negatives = ranked.slice(0, at === -1 ? spec.k : Math.min(at, spec.k));
        break;
      }
      case 'random':
        negatives = sampleOthers(universe, q.positive, spec.k, spec.seed, q.qid);
        break;
    }

    for (const negative of negatives) {
      const rejected = identifiers.get(negative);
      if (rejected === undefined)
        return err({ reason: 'unknown-unit', qid: q.qid, unit: negative, role: 'negative' });
      pairs.push({
        prompt: q.prompt,
        chosen,
        rejected,
        query: q.qid,
        positive: q.positive,
        negative,
      });
    }
    if (negatives.length > 0) queriesWithPairs += 1;
  }

  const report: MiningReport = {
    strategy: spec.strategy,
    queries: options.queries.length,
    queriesWithPairs,
    pairs: pairs.length,
    ...(spec.strategy === 'model-top' ? { positiveFirst, positiveMissing } : {}),
  };
  return ok({ pairs, report });
}

/** k distinct units of `universe` other than `positive`, in draw order; all of them if fewer. */
function sampleOthers(
  universe: readonly UnitId[],
  positive: UnitId,
  k: number,
  seed: number,
  qid: QueryId,
): UnitId[] {
  // The positive has an identifier (checked by the caller), so it is one of the universe.
  const want = Math.min(k, universe.length - 1);
  const random = seededRandom('negatives', seed, qid);
  const picked = new Set<UnitId>();
  // Rejection keeps this O(k) for the usual k ≪ |units|; when k approaches |units| the
  // expected number of redraws grows, but stays bounded by |units|·H(|units|).
  while (picked.size < want) {
    const unit = universe[random.below(universe.length)];
    if (unit !== undefined && unit !== positive) picked.add(unit);
  }
  return [...picked];
}
