import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bedrockProvider } from '../../runner/llm/providers/bedrock.js';
import { retryAfterMs } from '../../runner/llm/providers/classify.js';
import { openAiProvider } from '../../runner/llm/providers/openai.js';
import type { Provider } from '../../runner/llm/types.js';
import { startFakeServer, type Fault, type FakeServer } from './fake-server.js';
import { useFakeAwsCredentials } from './helpers.js';

const req = {
  model: 'mistral.mixtral-8x7b-instruct-v0:1',
  prompt: 'Write 2 questions.',
  temperature: 0.7,
  maxTokens: 64,
  sample: 0,
};

describe.each(['openai', 'bedrock'] as const)('%s provider over the real SDK', (kind) => {
  let server: FakeServer;
  let provider: Provider;
  const faults: Fault[] = ['429', '500', 'malformed', 'auth', 'model-access', 'stall'];
  beforeAll(async () => {
    useFakeAwsCredentials();
    server = await startFakeServer({ faults, retryAfterS: 3, items: 2 });
    provider =
      kind === 'openai'
        ? openAiProvider({ baseURL: `${server.url}/v1`, apiKey: 'test' })
        : bedrockProvider({ endpoint: server.bedrockUrl, region: 'us-west-2' });
  });
  afterAll(() => server.close());

  it('classifies each failure, then answers', async () => {
    const reasons: string[] = [];
    for (let i = 0; i < faults.length; i++) {
      const r = await provider.complete(req, AbortSignal.timeout(500));
      reasons.push(r.ok ? 'ok' : r.error.reason);
      if (!r.ok && r.error.reason === 'rate-limited') expect(r.error.retryAfterMs).toBe(3000);
    }
    expect(reasons).toEqual([
      'rate-limited',
      'server-error',
      'malformed',
      'auth',
      'model-access',
      'aborted',
    ]);
    const r = await provider.complete(req, AbortSignal.timeout(2000));
    expect(r.ok && r.value.text.split('\n')).toHaveLength(2);
    expect(r.ok && r.value.stopReason).toBe('end');
    expect(r.ok && r.value.outputTokens).toBeGreaterThan(0);
    expect(server.log.at(-1)).toMatchObject({ protocol: kind, prompt: req.prompt, outcome: 'ok' });
  });
});

describe('Retry-After', () => {
  it('reads seconds, milliseconds and HTTP dates', () => {
    const h = (o: Record<string, string>) => (n: string) => o[n];
    expect(retryAfterMs(h({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(h({ 'retry-after-ms': '150', 'retry-after': '2' }))).toBe(150);
    expect(retryAfterMs(h({ 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(6000);
    expect(retryAfterMs(h({}))).toBeUndefined();
  });
});
