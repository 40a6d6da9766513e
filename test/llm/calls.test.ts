import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallLimits } from '../../runner/llm/calls.js';
import { generateForUnits, type GenerateOptions } from '../../runner/llm/generate.js';
import { describeGenerationFailure } from '../../runner/llm/messages.js';
import { CallStore } from '../../runner/llm/store.js';
import type { ProviderName } from '../../runner/llm/types.js';
import { startFakeServer, type FakeServer, type FakeServerOptions } from './fake-server.js';
import { fastLimits, tempDir, units, useFakeAwsCredentials } from './helpers.js';

let cache: ReturnType<typeof tempDir>;
let server: FakeServer | undefined;
beforeEach(() => {
  cache = tempDir();
  useFakeAwsCredentials();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  cache.remove();
});

async function run(
  serverOptions: FakeServerOptions,
  over: {
    n?: number;
    limits?: Partial<CallLimits>;
    provider?: ProviderName;
    extra?: Partial<GenerateOptions>;
  } = {},
) {
  server ??= await startFakeServer(serverOptions);
  const provider = over.provider ?? 'openai';
  const role =
    provider === 'openai'
      ? {
          provider,
          model: 'mixtral-8x7b-instruct',
          temperature: 0.7,
          maxTokens: 100,
          baseURL: `${server.url}/v1`,
        }
      : {
          provider,
          model: 'mistral.mixtral-8x7b-instruct-v0:1',
          temperature: 0.7,
          maxTokens: 100,
          endpoint: server.bedrockUrl,
          region: 'us-east-1',
        };
  return generateForUnits({
    task: 'questions',
    kind: 'chunk',
    units: units(over.n ?? 4),
    m: 5,
    dataset: 'multihop-rag',
    role,
    store: new CallStore(cache.dir),
    limits: fastLimits(over.limits),
    signal: new AbortController().signal,
    ...over.extra,
  });
}

describe('calls: retries and failures', () => {
  it('retries 500, a stalled response and malformed JSON, then succeeds', async () => {
    const r = await run(
      { faults: ['500', 'stall', 'malformed'] },
      { n: 3, limits: { concurrency: 1, timeoutMs: 300 } },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.records).toHaveLength(15);
    expect(r.value.report.calls).toMatchObject({ made: 6, fresh: 3, retries: 3, cached: 0 });
    expect(r.value.report.failures).toEqual({ 'server-error': 1, timeout: 1, malformed: 1 });
  });

  it.each(['openai', 'bedrock'] as const)('%s: honours Retry-After on 429', async (provider) => {
    const r = await run(
      { faults: ['429'], retryAfterS: 1 },
      { n: 2, limits: { concurrency: 1 }, provider },
    );
    expect(r.ok && r.value.report.failures).toEqual({ 'rate-limited': 1 });
    const log = server?.log ?? [];
    expect(log.map((e) => [e.outcome, e.prompt === log[0]?.prompt])).toEqual([
      ['429', true],
      ['ok', true],
      ['ok', false],
    ]);
    expect((log[1]?.at ?? 0) - (log[0]?.at ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it('stops after consecutive failures with the likely cause', async () => {
    const r = await run(
      { faults: Array(30).fill('500') },
      { n: 10, limits: { concurrency: 1, maxConsecutiveFailures: 5 } },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe('llm-consecutive-failures');
    expect(describeGenerationFailure(r.error)).toMatch(
      /5 consecutive failures, last server-error.*Likely cause: the model server keeps failing/,
    );
    expect(server?.log).toHaveLength(5);
  });

  it('stops at once on refused credentials, naming them', async () => {
    const r = await run({ faults: ['auth'] }, { n: 5, limits: { concurrency: 1 } });
    expect(!r.ok && describeGenerationFailure(r.error)).toMatch(
      /credentials were refused; check OPENAI_API_KEY/,
    );
    expect(server?.log).toHaveLength(1);
  });
});

describe('calls: accepted, rejected and cached responses', () => {
  it('keeps an unusable answer for inspection and asks a new sample', async () => {
    const r = await run({ faults: ['empty'] }, { n: 1 });
    expect(r.ok && r.value.records.map((x) => x.sample)).toEqual([1, 1, 1, 1, 1]);
    expect(r.ok && r.value.report.calls.rejected).toBe(1);
    expect(readdirSync(path.join(cache.dir, '.llm-rejected'))).toHaveLength(1);
    expect(await new CallStore(cache.dir).keys()).toHaveLength(1);
  });

  it('counts a unit as failed after the bounded number of unusable samples', async () => {
    const r = await run(
      { faults: ['empty', 'empty', 'empty'] },
      { n: 2, limits: { concurrency: 1, maxRejections: 2 } },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.report.failedUnits).toEqual([
      {
        unit: 'doc0',
        reason: 'rejected',
        message: expect.stringMatching(/3 samples unusable/) as string,
      },
    ]);
    expect(r.value.report.shortfalls).toContainEqual({
      unit: 'doc0',
      asked: 5,
      received: 0,
      kept: 0,
    });
    expect(r.value.records.map((x) => x.unit)).toEqual(Array(5).fill('doc1'));
  });

  it('a second run is served from the call store without a single request', async () => {
    const first = await run({}, { n: 6 });
    const calls = server?.log.length;
    const second = await run({}, { n: 6 });
    expect(server?.log.length).toBe(calls);
    expect(second.ok && second.value.report.calls).toMatchObject({ made: 0, cached: 6, fresh: 0 });
    expect(second.ok && second.value.records).toEqual(first.ok && first.value.records);
  });

  it('parses numbered lists and drops the cut-off item of a truncated list', async () => {
    const numbered = await run({ style: 'numbered' }, { n: 2 });
    expect(numbered.ok && numbered.value.report).toMatchObject({
      asked: 10,
      received: 10,
      kept: 10,
      shortfalls: [],
    });
    await server?.close();
    server = await startFakeServer({ style: 'truncated' });
    const truncated = await run(
      {},
      { n: 2, extra: { store: new CallStore(path.join(cache.dir, 'other')) } },
    );
    expect(truncated.ok && truncated.value.report).toMatchObject({
      asked: 10,
      kept: 8,
      truncated: 2,
    });
    expect(truncated.ok && truncated.value.report.shortfalls).toEqual([
      { unit: 'doc0', asked: 5, received: 5, kept: 4 },
      { unit: 'doc1', asked: 5, received: 5, kept: 4 },
    ]);
  });
});

describe('calls: budget and rate caps', () => {
  it('stops before the call that could exceed the budget, and resumes with a larger one', async () => {
    // $1 per output token: each call may cost up to maxTokens = $100 before it is made.
    const costTable = { 'mixtral-8x7b-instruct': { inputPerMTok: 0, outputPerMTok: 1e6 } };
    const r = await run(
      {},
      { n: 8, limits: { concurrency: 1 }, extra: { budget: { maxUsd: 250, costTable } } },
    );
    expect(r.ok).toBe(false);
    if (r.ok || r.error.reason !== 'llm-budget') throw new Error('expected a budget stop');
    expect(r.error.spentUsd).toBeLessThanOrEqual(250);
    expect(r.error.spentUsd + 100).toBeGreaterThan(250);
    const paid = server?.log.length ?? 0;
    expect(paid).toBe(r.error.report.calls.fresh);
    const rest = await run(
      {},
      { n: 8, limits: { concurrency: 1 }, extra: { budget: { maxUsd: 10_000, costTable } } },
    );
    expect(rest.ok && rest.value.report.calls).toMatchObject({ cached: paid, fresh: 8 - paid });
    expect(server?.log).toHaveLength(8);
  });

  it('refuses a budget for a model without a price', async () => {
    const r = await run({}, { n: 1, extra: { budget: { maxUsd: 1, costTable: {} } } });
    expect(!r.ok && describeGenerationFailure(r.error)).toMatch(
      /no price for model mixtral-8x7b-instruct/,
    );
  });

  it('spreads requests at the requests-per-minute cap', async () => {
    const r = await run({}, { n: 11, limits: { concurrency: 8, requestsPerMinute: 1200 } });
    expect(r.ok).toBe(true);
    const at = (server?.log ?? []).map((e) => e.at);
    // 11 requests at 20/s: the first is immediate, the last 500 ms later, never sooner.
    expect(Math.max(...at) - Math.min(...at)).toBeGreaterThanOrEqual(480);
  });
});
