// Rate limiting for the calls layer: a reservation-based token bucket (the generic cell rate
// algorithm), usable by many concurrent workers without a queue, and an abortable sleep.
// What to limit and when to back off is calls.ts's decision.

export class TokenBucket {
  private readonly msPerToken: number;
  private readonly burstMs: number;
  /** Theoretical arrival time: when the bucket would be exactly full again. */
  private tat = 0;

  /** `perMinute` tokens refill evenly; up to `burst` tokens may be taken at once. */
  constructor(
    perMinute: number,
    burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.msPerToken = 60_000 / perMinute;
    this.burstMs = burst * this.msPerToken;
  }

  /** Reserves `n` tokens and returns how long the caller must wait before using them. */
  reserve(n: number): number {
    const now = this.now();
    const start = Math.max(now, this.tat + n * this.msPerToken - this.burstMs);
    this.tat = Math.max(this.tat, now) + n * this.msPerToken;
    return start - now;
  }

  /** Corrects an earlier reservation once the real count is known (negative gives back). */
  adjust(delta: number): void {
    this.tat += delta * this.msPerToken;
  }
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
