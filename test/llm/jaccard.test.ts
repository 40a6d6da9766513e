import { describe, expect, it } from 'vitest';
import { jaccard, tokens, winRate } from '../../runner/llm/jaccard.js';

describe('jaccard win rate', () => {
  it('tokenises to lower-case word tokens', () => {
    expect([...tokens('Who won the 2004 Cup? Who, then!')]).toEqual([
      'who',
      'won',
      'the',
      '2004',
      'cup',
      'then',
    ]);
    expect(jaccard(tokens('a b c'), tokens('b c d'))).toBeCloseTo(2 / 4);
  });

  it('compares the best query per gold unit and reports wins, ties and losses', () => {
    const test = [
      { text: 'who won the cup final', gold: ['u1'] },
      { text: 'price of oil in march', gold: ['u2'] },
      { text: 'new phone launch date', gold: ['u3'] },
      { text: 'election results', gold: ['u1', 'u2'] },
    ];
    const s = [
      { unit: 'u1', text: 'who won the cup final' },
      { unit: 'u2', text: 'oil' },
      { unit: 'u9', text: 'new phone launch date' }, // not the gold unit: must not count
    ];
    const t = [
      { unit: 'u1', text: 'cup final' },
      { unit: 'u2', text: 'price of oil in march' },
      { unit: 'u2', text: 'election results today' },
    ];
    const r = winRate(test, s, t);
    expect(r).toEqual({ queries: 4, wins: 1, ties: 1, losses: 2, winRate: 0.25, tieRate: 0.25 });
    expect(winRate(test, t, s).wins).toBe(2);
  });
});
