// Figure 2's post-analysis: the win rate of synthetic query set S over set T against test
// queries, where each side scores a test query by the highest token-level Jaccard similarity
// among its queries generated for the query's gold unit(s). Loading the sets is the caller's job.

export interface TestQuery {
  text: string;
  /** Gold unit ids (chunks or documents). */
  gold: readonly string[];
}

export interface SyntheticQuery {
  text: string;
  unit: string;
}

export interface WinRate {
  queries: number;
  wins: number;
  ties: number;
  losses: number;
  winRate: number;
  tieRate: number;
}

/** Lower-cased runs of letters and digits (Unicode-aware); punctuation separates tokens. */
export function tokens(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let shared = 0;
  for (const t of a) if (b.has(t)) shared++;
  return shared / (a.size + b.size - shared);
}

function byUnit(set: readonly SyntheticQuery[]): Map<string, Set<string>[]> {
  const out = new Map<string, Set<string>[]>();
  for (const q of set) {
    const list = out.get(q.unit) ?? [];
    list.push(tokens(q.text));
    out.set(q.unit, list);
  }
  return out;
}

/** Max Jaccard of `q` over the queries generated for its gold units; 0 when there are none. */
function best(q: Set<string>, gold: readonly string[], index: Map<string, Set<string>[]>): number {
  let max = 0;
  for (const unit of gold)
    for (const s of index.get(unit) ?? []) max = Math.max(max, jaccard(q, s));
  return max;
}

/** Win Rate(S, T) = |{q : max_s J(q, s) > max_t J(q, t)}| / |Q|, with ties reported apart. */
export function winRate(
  test: readonly TestQuery[],
  s: readonly SyntheticQuery[],
  t: readonly SyntheticQuery[],
): WinRate {
  const [si, ti] = [byUnit(s), byUnit(t)];
  let wins = 0;
  let ties = 0;
  for (const q of test) {
    const qt = tokens(q.text);
    const [bs, bt] = [best(qt, q.gold, si), best(qt, q.gold, ti)];
    if (bs > bt) wins++;
    else if (bs === bt) ties++;
  }
  const n = test.length;
  return {
    queries: n,
    wins,
    ties,
    losses: n - wins - ties,
    winRate: n === 0 ? 0 : wins / n,
    tieRate: n === 0 ? 0 : ties / n,
  };
}
