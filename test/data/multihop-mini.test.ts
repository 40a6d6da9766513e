import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { adaptMini, generateMini } from '../../runner/data/adapters/mini.js';
import { adaptMultihopRag } from '../../runner/data/adapters/multihop-rag.js';
import { formatDataError } from '../../runner/data/errors.js';
import { whitespaceTokenizer } from '../../runner/data/tokenizer.js';
import { withTempDir } from './shared.js';

const lines = async (file: string): Promise<unknown[]> =>
  (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);

const article = (title: string, body: string): Record<string, string> => ({
  title,
  author: 'A. Writer',
  source: 'Fixture News',
  published_at: '2023-10-01T00:00:00+00:00',
  category: 'business',
  url: `https://x/${title}`,
  body,
});
const ev = (title: string, fact: string): Record<string, string> => ({
  ...article(title, ''),
  fact,
});

describe('multihop-rag adapter', () => {
  it('chunks bodies, finds gold chunks by whitespace-insensitive fact match, and reports null queries and missing facts', async () => {
    await withTempDir(async (dir) => {
      const body =
        'Alpha one two three. Beta four five six.\nGamma seven eight nine. Delta ten eleven twelve.';
      await writeFile(
        path.join(dir, 'corpus.json'),
        JSON.stringify([
          article('First', body),
          article('Second', 'Epsilon is here. Zeta is there.'),
        ]),
      );
      await writeFile(
        path.join(dir, 'MultiHopRAG.json'),
        JSON.stringify([
          {
            query: 'q about gamma and zeta',
            answer: 'x',
            question_type: 'comparison_query',
            evidence_list: [
              ev('First', 'Gamma  seven\neight nine.'),
              ev('Second', 'Zeta is there.'),
            ],
          },
          {
            query: 'nothing',
            answer: 'Insufficient information.',
            question_type: 'null_query',
            evidence_list: [],
          },
          {
            query: 'straddles',
            answer: 'x',
            question_type: 'inference_query',
            evidence_list: [ev('First', 'three. Beta four'), ev('First', 'Not in the corpus.')],
          },
        ]),
      );
      const out = path.join(dir, 'out');
      const r = await adaptMultihopRag({
        corpusFile: path.join(dir, 'corpus.json'),
        queriesFile: path.join(dir, 'MultiHopRAG.json'),
        outDir: out,
        tokenizer: whitespaceTokenizer,
        maxTokens: 8,
      });
      if (!r.ok) throw new Error(formatDataError(r.error));
      const units = (await lines(path.join(out, 'corpus.jsonl'))) as {
        id: string;
        text: string;
        doc: string;
        metadata: Record<string, string>;
      }[];
      expect(units.map((u) => u.id)).toEqual(['mh0-c0', 'mh0-c1', 'mh1-c0']);
      expect(units[1]?.text).toBe('Gamma seven eight nine. Delta ten eleven twelve.');
      expect(units[0]?.metadata['source']).toBe('Fixture News');
      expect(await readFile(path.join(out, 'qrels.txt'), 'utf8')).toBe(
        'q0 0 mh0-c1 1\nq0 0 mh1-c0 1\nq2 0 mh0-c0 1\n',
      );
      const skips = Object.fromEntries(r.value.skips.map((s) => [s.reason, s.count]));
      expect(skips).toEqual({ 'null-query': 1, 'fact-not-found': 1 });
      expect(r.value.counts['queries']).toBe(2);
    });
  });

  it('rejects an article with a missing field, naming file, record and field', async () => {
    await withTempDir(async (dir) => {
      const bad = article('T', 'body');
      delete bad['author'];
      await writeFile(path.join(dir, 'corpus.json'), JSON.stringify([article('A', 'b'), bad]));
      await writeFile(path.join(dir, 'q.json'), '[]');
      const r = await adaptMultihopRag({
        corpusFile: path.join(dir, 'corpus.json'),
        queriesFile: path.join(dir, 'q.json'),
        outDir: dir,
        tokenizer: whitespaceTokenizer,
        maxTokens: 8,
      });
      expect(r.ok).toBe(false);
      if (!r.ok)
        expect(formatDataError(r.error)).toBe(
          `${path.join(dir, 'corpus.json')} record [1] field "author": missing required field`,
        );
    });
  });

  it('rejects invalid UTF-8', async () => {
    await withTempDir(async (dir) => {
      await writeFile(path.join(dir, 'corpus.json'), Buffer.from([0x5b, 0x22, 0xff, 0x22, 0x5d]));
      const r = await adaptMultihopRag({
        corpusFile: path.join(dir, 'corpus.json'),
        queriesFile: path.join(dir, 'q.json'),
        outDir: dir,
        tokenizer: whitespaceTokenizer,
        maxTokens: 8,
      });
      expect(r.ok ? 'ok' : r.error.reason).toBe('invalid-utf8');
    });
  });
});

describe('mini corpus', () => {
  it('is deterministic from the seed and fast', () => {
    const t0 = performance.now();
    const a = generateMini({ seed: 7 });
    const ms = performance.now() - t0;
    expect(JSON.stringify(generateMini({ seed: 7 }))).toBe(JSON.stringify(a));
    expect(JSON.stringify(generateMini({ seed: 8 }))).not.toBe(JSON.stringify(a));
    expect(a.articles).toHaveLength(300);
    expect(ms).toBeLessThan(1000);
  });

  it('has multi-evidence, constrained and null queries whose facts are article sentences, paraphrased', () => {
    const { articles, queries } = generateMini({ seed: 3, articles: 200 });
    const types = new Set(queries.map((q) => q.question_type));
    for (const t of [
      'inference_query',
      'comparison_query',
      'temporal_query',
      'constraint_query',
      'null_query',
    ])
      expect(types).toContain(t);
    const bodies = new Map(articles.map((a) => [a.title, a.body]));
    for (const q of queries) {
      for (const e of q.evidence_list) {
        expect(bodies.get(e.title)).toContain(e.fact);
        expect(q.query).not.toContain(e.fact.slice(0, -1));
      }
      if (q.question_type !== 'null_query' && q.question_type !== 'constraint_query')
        expect(q.evidence_list.length).toBe(2);
    }
    expect(
      queries.filter((q) => /^(According to|In the article by)/u.test(q.query)).length,
    ).toBeGreaterThan(10);
  });

  it('normalises through the multihop-rag path with gold for every non-null query', async () => {
    await withTempDir(async (dir) => {
      const r = await adaptMini({
        seed: 1,
        articles: 120,
        outDir: dir,
        tokenizer: whitespaceTokenizer,
        maxTokens: 200,
      });
      if (!r.ok) throw new Error(formatDataError(r.error));
      expect(r.value.skips.map((s) => s.reason)).toEqual(['null-query']);
      expect(r.value.counts['units']).toBeGreaterThan(120);
      const queries = await lines(path.join(dir, 'queries.jsonl'));
      const qrels = (await readFile(path.join(dir, 'qrels.txt'), 'utf8')).trim().split('\n');
      expect(new Set(qrels.map((l) => l.split(' ')[0])).size).toBe(queries.length);
    });
  });
});

it('mini holds out training queries after the test queries without changing them', async () => {
  await withTempDir(async (plain) => {
    await withTempDir(async (held) => {
      await holdOutCase(plain, held);
    });
  });
});

async function holdOutCase(plain: string, held: string): Promise<void> {
  const base = {
    seed: 5,
    articles: 12,
    queries: 20,
    tokenizer: whitespaceTokenizer,
    maxTokens: 10_000,
  };
  expect((await adaptMini({ ...base, outDir: plain })).ok).toBe(true);
  const r = await adaptMini({ ...base, outDir: held, trainQueries: 15 });
  expect(r.ok).toBe(true);
  const read = (d: string, f: string) => readFileSync(path.join(d, f), 'utf8');
  expect(read(held, 'queries.jsonl')).toBe(read(plain, 'queries.jsonl'));
  expect(read(held, 'qrels.txt')).toBe(read(plain, 'qrels.txt'));
  const human = read(held, 'human-queries.jsonl')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; unit: string });
  expect(human.length).toBeGreaterThan(10);
  const units = new Set(
    read(held, 'corpus.jsonl')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: string }).id),
  );
  for (const q of human) {
    expect(q.kind).toBe('human');
    expect(units.has(q.unit)).toBe(true);
  }
}
