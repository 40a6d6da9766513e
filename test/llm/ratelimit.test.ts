import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../runner/llm/ratelimit.js';

describe('TokenBucket', () => {
  it('spaces requests evenly at the cap when the burst is 1', () => {
    let now = 1_000;
    const bucket = new TokenBucket(600, 1, () => now); // one per 100 ms
    expect([bucket.reserve(1), bucket.reserve(1), bucket.reserve(1)]).toEqual([0, 100, 200]);
    now += 1_000; // idle time refills, but only up to the burst
    expect([bucket.reserve(1), bucket.reserve(1)]).toEqual([0, 100]);
  });

  it('lets a burst through, then paces, and takes back over-reservations', () => {
    let now = 0;
    const bucket = new TokenBucket(60_000, 1_000, () => now); // 1 token per ms, burst 1,000
    now = 10_000;
    expect(bucket.reserve(800)).toBe(0);
    expect(bucket.reserve(800)).toBe(600);
    bucket.adjust(-800); // the second call used nothing after all
    expect(bucket.reserve(200)).toBe(0);
  });
});
