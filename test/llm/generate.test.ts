import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  estimate,
  generateForUnits,
  type GenerateOptions,
  type Unit,
} from '../../runner/llm/generate.js';
import { CallStore } from '../../runner/llm/store.js';
import type { Task } from '../../runner/llm/types.js';
import { fastLimits, repoRoot, tempDir, units } from './helpers.js';

const offline = {
  provider: 'offline' as const,
  model: 'offline-v1',
  temperature: 0,
  maxTokens: 400,
};
let cache: ReturnType<typeof tempDir>;
beforeEach(() => {
  cache = tempDir();
});
afterEach(() => {
  cache.remove();
});

const gen = (task: Task, over: Partial<GenerateOptions> = {}) =>
  generateForUnits({
    task,
    units: units(5),
    m: 4,
    dataset: 'multihop-rag',
    role: offline,
    store: new CallStore(cache.dir),
    limits: fastLimits(),
    signal: new AbortController().signal,
    ...over,
  });

describe('offline generation', () => {
  it('is deterministic, labelled offline, with ids <unit>#<kind>#<n>', async () => {
    const a = await gen('questions', { kind: 'sentence' });
    const b = await gen('questions', {
      kind: 'sentence',
      store: new CallStore(path.join(cache.dir, 'fresh')),
    });
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(a.value.records).toEqual(b.value.records);
    const renamed = await gen('questions', { role: { ...offline, model: 'mixtral-8x7b' } });
    expect(renamed.ok && renamed.value.records[0]?.generator).toBe('offline:offline-v2');
    const first = a.value.records[0];
    expect(first).toMatchObject({
      id: 'doc0#sentence#0',
      unit: 'doc0',
      kind: 'sentence',
      generator: 'offline:offline-v2',
      sample: 0,
    });
    expect(a.value.report).toMatchObject({
      generator: 'offline:offline-v2',
      units: 5,
      asked: 20,
      calls: { fresh: 5, cached: 0 },
    });
    expect(
      a.value.report.kept + a.value.report.shortfalls.reduce((n, s) => n + s.asked - s.kept, 0),
    ).toBe(20);
    for (const r of a.value.records) expect(r.text).toMatch(/\?$/);
  });

  it('writes constraints with the unit metadata, and never self-references', async () => {
    const r = await gen('constraints');
    if (!r.ok) throw new Error(r.error.reason);
    expect(r.value.records.length).toBeGreaterThan(0);
    for (const q of r.value.records) {
      expect(q.text).toMatch(/Source \d|politics/);
      expect(q.text.toLowerCase()).not.toMatch(/the context|the article/);
    }
  });

  it('gives one keyword identifier per unit and query–answer pairs with answers', async () => {
    const k = await gen('keywords');
    if (!k.ok) throw new Error(k.error.reason);
    expect(k.value.records.map((r) => r.id)).toEqual([
      'doc0#keywords#0',
      'doc1#keywords#0',
      'doc2#keywords#0',
      'doc3#keywords#0',
      'doc4#keywords#0',
    ]);
    expect(k.value.records[0]?.text).toMatch(
      /Springfield, .*Mayor Quimby|Mayor Quimby, .*Springfield/,
    );
    const qa = await gen('qa-pairs');
    if (!qa.ok) throw new Error(qa.error.reason);
    for (const r of qa.value.records) expect(r.answer).toBeTruthy();
  });

  const pir = path.resolve(repoRoot, '../shared/data/pir-demo/demo_pir_dataset.json');
  it.skipIf(!existsSync(pir))(
    'extracts AGNews topic and location (shared pir-demo data)',
    async () => {
      const data = JSON.parse(readFileSync(pir, 'utf8')) as { agnews: { corpus: string[] } };
      const docs: Unit[] = data.agnews.corpus
        .slice(0, 30)
        .map((text, i) => ({ id: `ag${i}`, text, metadata: {} }));
      const r = await gen('metadata', { units: docs, dataset: 'agnews' });
      if (!r.ok) throw new Error(r.error.reason);
      expect(r.value.records).toHaveLength(30);
      for (const rec of r.value.records)
        expect(['World', 'Sports', 'Business', 'Sci/Tech']).toContain(rec.metadata?.topic);
      expect(
        r.value.records.filter((x) => x.metadata?.location !== 'unknown').length,
      ).toBeGreaterThan(10);
    },
  );
  if (!existsSync(pir)) console.warn(`skipping AGNews metadata test: ${pir} is absent`);
});

describe('estimate', () => {
  it('counts calls, tokens and dollars before anything is spent', () => {
    const role = {
      provider: 'bedrock' as const,
      model: 'anthropic.claude-3-sonnet-20240229-v1:0',
      temperature: 0.7,
      maxTokens: 1000,
    };
    const costTable = { [role.model]: { inputPerMTok: 3, outputPerMTok: 15 } };
    const e = estimate({
      task: 'questions',
      units: 1000,
      m: 10,
      role,
      costTable,
      avgUnitChars: 1000,
    });
    expect(e.calls).toBe(1000);
    expect(e.tokensOut).toBe(300_000);
    expect(e.tokensIn).toBeGreaterThan(250_000);
    expect(e.usd).toBeCloseTo((e.tokensIn * 3 + e.tokensOut * 15) / 1e6);
    expect(
      estimate({ task: 'questions', units: 10, m: 10, role, costTable: {} }).usd,
    ).toBeUndefined();
  });
});
