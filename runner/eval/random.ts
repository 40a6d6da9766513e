// Seeded pseudo-random numbers for negative sampling and significance tests.
//
// The generator is xoshiro128** (fast, 32-bit arithmetic only, good statistical quality); its
// 128-bit state comes from sha256 of the seed parts, so `seededRandom(7, 'q12')` is a stream of
// its own that does not depend on how many other streams were drawn before it. That keeps
// per-query sampling stable when queries are added or reordered.
// Not for anything security-related.

import { createHash } from 'node:crypto';

export interface Random {
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** A uniform float in [0, 1). */
  next(): number;
  /** A uniform integer in [0, n), without modulo bias. */
  below(n: number): number;
}

export function seededRandom(...parts: readonly (string | number)[]): Random {
  // \u0000 separates the parts so ('1', '23') and ('12', '3') give different streams.
  const digest = createHash('sha256').update(parts.map(String).join('\u0000')).digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  // An all-zero state would stay zero forever; sha256 practically never yields it, but be safe.
  if ((a | b | c | d) === 0) a = 1;

  const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };

  const below = (n: number): number => {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) {
      throw new Error(`internal error: below(${n}) needs an integer in [1, 2^32]`);
    }
    // Rejection sampling: drop draws from the incomplete top block so every value is equally likely.
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = nextUint32();
      if (x < limit) return x % n;
    }
  };

  return { nextUint32, next: () => nextUint32() / 2 ** 32, below };
}
