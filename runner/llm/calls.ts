// Runs a list of LLM requests the way paid calls must run: each accepted response is stored the
// moment it arrives and looked up before any call (so a resumed run never pays twice), under a
// concurrency limit and request/token buckets, with Retry-After-honouring backoff for 429,
// jittered exponential retry for 5xx, timeouts and network errors, bounded re-asking of
// unusable answers, a USD budget checked before each call, and a stop after too many
// consecutive failures. It does not render prompts or parse answers: `accept` does that.

import { err, ok, type Result } from '../result.js';
import { costUsd, estimateTokens } from './cost.js';
import { setMaxListeners } from 'node:events';
import { sleep, TokenBucket } from './ratelimit.js';
import { callKey, type CallIdentity, type CallStore } from './store.js';
import type {
  CallFailure,
  CallFailureReason,
  ChatResponse,
  CostTable,
  PromptSource,
  Provider,
  Role,
} from './types.js';

export interface CallLimits {
  concurrency: number;
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  /** Per attempt; a stalled response counts as a `timeout` failure. */
  timeoutMs: number;
  /** Attempts per request for transient failures (5xx, timeout, network, malformed). */
  maxAttempts: number;
  /** Extra samples asked when an answer is unusable; each is a distinct, separately stored call. */
  maxRejections: number;
  maxConsecutiveFailures: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_LIMITS: CallLimits = {
  concurrency: 8,
  timeoutMs: 120_000,
  maxAttempts: 6,
  maxRejections: 2,
  maxConsecutiveFailures: 10,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
};

export interface Budget {
  maxUsd: number;
  costTable: CostTable;
}

export interface CallJob {
  prompt: string;
  source?: PromptSource;
}

export type JobOutcome<T> =
  | { status: 'accepted'; value: T; sample: number; cached: boolean }
  | { status: 'failed'; reason: CallFailureReason | 'rejected'; message: string };

export interface CallStats {
  /** HTTP attempts made in this run (cached lookups are not attempts). */
  attempts: number;
  retries: number;
  /** Jobs answered from the call store without a call. */
  cached: number;
  /** Jobs answered by a fresh call in this run. */
  accepted: number;
  /** Responses that arrived but were unusable (kept under llm-rejected/). */
  rejected: number;
  failedJobs: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  failures: Partial<Record<CallFailureReason, number>>;
}

export type CallsFailure =
  | { reason: 'llm-fatal'; cause: 'auth' | 'quota' | 'model-access'; message: string }
  | { reason: 'llm-consecutive-failures'; count: number; last: CallFailure }
  | { reason: 'llm-budget'; maxUsd: number; spentUsd: number; nextCallUsd: number }
  | { reason: 'llm-unknown-cost'; model: string }
  | { reason: 'aborted' };

export interface CallsOptions<T> {
  provider: Provider;
  role: Pick<Role, 'model' | 'temperature' | 'maxTokens'>;
  jobs: readonly CallJob[];
  store: CallStore;
  limits: CallLimits;
  budget?: Budget;
  signal: AbortSignal;
  /** Parses and validates a response; an error string rejects it. */
  accept: (response: ChatResponse, job: number) => Result<T, string>;
  onSettled?: (job: number, outcome: JobOutcome<T>, stats: CallStats) => void;
}

export interface CallsDone<T> {
  outcomes: JobOutcome<T>[];
  stats: CallStats;
}

type Attempt = Result<ChatResponse, { reason: CallFailureReason; message: string }> | 'stopped';

export async function runCalls<T>(
  o: CallsOptions<T>,
): Promise<Result<CallsDone<T>, CallsFailure & { stats: CallStats }>> {
  const { limits, signal } = o;
  // Every concurrent worker listens on the run's signal (its sleep and its request), so Node's
  // default warning threshold of 10 listeners would report a leak that is not one.
  setMaxListeners(Math.max(10, 4 * limits.concurrency), signal);
  const stats: CallStats = {
    attempts: 0,
    retries: 0,
    cached: 0,
    accepted: 0,
    rejected: 0,
    failedJobs: 0,
    tokensIn: 0,
    tokensOut: 0,
    costUsd: 0,
    failures: {},
  };
  if (
    o.budget !== undefined &&
    costUsd(o.budget.costTable, o.provider.name, o.role.model, 0, 0) === undefined
  ) {
    return err({ reason: 'llm-unknown-cost', model: o.role.model, stats });
  }
  // Requests are spread evenly (burst 1) so the achieved rate never exceeds the cap; tokens may
  // burst by one second's worth, since one call alone can exceed a smooth per-token pace.
  const rpm =
    limits.requestsPerMinute === undefined
      ? undefined
      : new TokenBucket(limits.requestsPerMinute, 1);
  const tpm =
    limits.tokensPerMinute === undefined
      ? undefined
      : new TokenBucket(limits.tokensPerMinute, limits.tokensPerMinute / 60);
  let stop: CallsFailure | undefined;
  let consecutive = 0;
  let rateLimitStreak = 0;
  let pauseUntil = 0;
  let reservedUsd = 0;
  const outcomes: JobOutcome<T>[] = [];

  // Read through functions: the state changes inside awaits and callbacks, where TypeScript's
  // narrowing of the earlier checks no longer holds.
  const aborted = (): boolean => signal.aborted;
  const stopped = (): boolean => stop !== undefined || aborted();
  const backoff = (n: number): number =>
    Math.min(limits.backoffMaxMs, limits.backoffBaseMs * 2 ** (n - 1)) * (0.5 + Math.random() / 2);

  const fail = (f: { reason: CallFailureReason; message: string; status?: number }): void => {
    stats.failures[f.reason] = (stats.failures[f.reason] ?? 0) + 1;
    consecutive++;
    if (consecutive >= limits.maxConsecutiveFailures)
      stop ??= { reason: 'llm-consecutive-failures', count: consecutive, last: f };
  };

  /** What a call costs under the budget's price table (0 without a budget). */
  const priced = (model: string, tokensIn: number, tokensOut: number): number =>
    o.budget === undefined
      ? 0
      : (costUsd(o.budget.costTable, o.provider.name, model, tokensIn, tokensOut) ?? 0);
  const attempt = async (identity: CallIdentity, job: CallJob): Promise<Attempt> => {
    const inputEstimate = estimateTokens(identity.prompt);
    for (let n = 1; ; n++) {
      while (stop === undefined && !signal.aborted && performance.now() < pauseUntil)
        await sleep(pauseUntil - performance.now(), signal);
      if (stop !== undefined || signal.aborted) return 'stopped';
      // Worst case: the whole output budget is used.
      const nextUsd = priced(identity.model, inputEstimate, identity.max_tokens);
      if (o.budget !== undefined && stats.costUsd + reservedUsd + nextUsd > o.budget.maxUsd) {
        stop ??= {
          reason: 'llm-budget',
          maxUsd: o.budget.maxUsd,
          spentUsd: stats.costUsd,
          nextCallUsd: nextUsd,
        };
        return 'stopped';
      }
      reservedUsd += nextUsd;
      const tokenEstimate = inputEstimate + identity.max_tokens;
      await sleep(Math.max(rpm?.reserve(1) ?? 0, tpm?.reserve(tokenEstimate) ?? 0), signal);
      stats.attempts++;
      const started = performance.now();
      const request = {
        model: identity.model,
        prompt: identity.prompt,
        temperature: identity.temperature,
        maxTokens: identity.max_tokens,
        sample: identity.sample,
      };
      let r = await o.provider.complete(
        job.source === undefined ? request : { ...request, source: job.source },
        AbortSignal.any([signal, AbortSignal.timeout(limits.timeoutMs)]),
      );
      reservedUsd -= nextUsd;
      if (aborted()) return 'stopped';
      if (!r.ok && r.error.reason === 'aborted') {
        r = err({
          reason: 'timeout',
          message: `no response within ${limits.timeoutMs} ms (waited ${Math.round(performance.now() - started)} ms)`,
        });
      }
      if (r.ok) {
        consecutive = 0;
        rateLimitStreak = 0;
        stats.tokensIn += r.value.inputTokens;
        stats.tokensOut += r.value.outputTokens;
        stats.costUsd += priced(identity.model, r.value.inputTokens, r.value.outputTokens);
        tpm?.adjust(r.value.inputTokens + r.value.outputTokens - tokenEstimate);
        return r;
      }
      const failure = r.error;
      let wait: number;
      switch (failure.reason) {
        case 'auth':
        case 'quota':
        case 'model-access':
          stats.failures[failure.reason] = (stats.failures[failure.reason] ?? 0) + 1;
          stop ??= { reason: 'llm-fatal', cause: failure.reason, message: failure.message };
          return 'stopped';
        case 'bad-request':
          fail(failure);
          return err(failure);
        case 'rate-limited': {
          // One throttling episode counts once, however many in-flight calls it hits; the pause
          // applies to every worker because the limit is the account's, not the request's.
          const now = performance.now();
          if (now >= pauseUntil) {
            rateLimitStreak++;
            fail(failure);
          } else {
            stats.failures['rate-limited'] = (stats.failures['rate-limited'] ?? 0) + 1;
          }
          pauseUntil = Math.max(
            pauseUntil,
            now + (failure.retryAfterMs ?? backoff(rateLimitStreak)),
          );
          wait = 0;
          n--;
          break;
        }
        case 'server-error':
        case 'timeout':
        case 'network':
        case 'malformed':
        case 'aborted':
          fail(failure);
          wait = backoff(n);
          break;
      }
      if (stopped()) return 'stopped';
      if (n >= limits.maxAttempts) return err(failure);
      stats.retries++;
      await sleep(wait, signal);
    }
  };

  const runJob = async (
    index: number,
    job: CallJob,
  ): Promise<{ outcome: JobOutcome<T>; stored?: Promise<void> } | undefined> => {
    const identities: CallIdentity[] = [];
    for (let sample = 0; sample <= limits.maxRejections; sample++) {
      identities.push({
        provider: o.provider.name,
        model: o.role.model,
        prompt: job.prompt,
        temperature: o.role.temperature,
        max_tokens: o.role.maxTokens,
        sample,
      });
    }
    const keys = identities.map(callKey);
    const storedCalls = await Promise.all(keys.map((key) => o.store.get(key)));
    const storedButUnusable = new Set<number>();
    for (const [sample, stored] of storedCalls.entries()) {
      if (stored === undefined) continue;
      const value = o.accept(stored.response, index);
      if (value.ok) {
        stats.cached++;
        return { outcome: { status: 'accepted', value: value.value, sample, cached: true } };
      }
      storedButUnusable.add(sample);
    }
    let lastWhy = 'no sample asked';
    for (const identity of identities) {
      if (storedButUnusable.has(identity.sample)) continue;
      const response = await attempt(identity, job);
      if (response === 'stopped') return undefined;
      if (!response.ok)
        return {
          outcome: {
            status: 'failed',
            reason: response.error.reason,
            message: response.error.message,
          },
        };
      const key = keys[identity.sample] ?? callKey(identity);
      const value = o.accept(response.value, index);
      if (value.ok) {
        return {
          outcome: {
            status: 'accepted',
            value: value.value,
            sample: identity.sample,
            cached: false,
          },
          stored: o.store.put({ key, request: identity, response: response.value }),
        };
      }
      stats.rejected++;
      lastWhy = value.error;
      await o.store.reject(key, identity, response.value.text, value.error);
    }
    return {
      outcome: {
        status: 'failed',
        reason: 'rejected',
        message: `${identities.length} samples unusable; last: ${lastWhy}`,
      },
    };
  };

  const settle = (index: number, outcome: JobOutcome<T>): void => {
    if (outcome.status === 'failed') stats.failedJobs++;
    else if (!outcome.cached) stats.accepted++;
    outcomes[index] = outcome;
    o.onSettled?.(index, outcome, stats);
  };
  // A worker moves on to its next request while the previous answer is being written (the write
  // starts the moment the answer is accepted); a job counts as settled once its write is done.
  const writes = new Set<Promise<void>>();
  let writeError: unknown;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (stop === undefined && !signal.aborted && writeError === undefined) {
      const index = next++;
      const job = o.jobs[index];
      if (job === undefined) return;
      const done = await runJob(index, job);
      if (done === undefined) return;
      if (done.stored === undefined) {
        settle(index, done.outcome);
        continue;
      }
      const write = done.stored.then(
        () => {
          settle(index, done.outcome);
        },
        (e: unknown) => {
          writeError ??= e;
        },
      );
      writes.add(write);
      void write.finally(() => writes.delete(write));
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limits.concurrency, o.jobs.length)) }, worker),
  );
  await Promise.all(writes);
  if (writeError !== undefined)
    throw writeError instanceof Error
      ? writeError
      : new Error(`call store write failed: ${JSON.stringify(writeError)}`);
  if (stop !== undefined) return err({ ...stop, stats });
  if (signal.aborted) return err({ reason: 'aborted', stats });
  return ok({ outcomes, stats });
}
