import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContexts } from '../../runner/data/contexts.js';
import { formatDataError } from '../../runner/data/errors.js';
import { fetchSource } from '../../runner/data/fetch-source.js';
import {
  atomicIdentifiers,
  lengthStats,
  semanticIdentifiers,
} from '../../runner/data/identifiers.js';
import type { SftExample } from '../../runner/data/records.js';
import { buildSftData } from '../../runner/data/sft-data.js';
import { datasetStats } from '../../runner/data/stats.js';
import { whitespaceTokenizer } from '../../runner/data/tokenizer.js';
import { jsonl, readLines, withTempDir } from './shared.js';

describe('identifiers', () => {
  it('atomic: one token string per unit in corpus order', () => {
    const r = atomicIdentifiers(['u1', 'u2'], whitespaceTokenizer);
    expect(r.identifiers).toEqual([
      { unit: 'u1', identifier: '<id_0>' },
      { unit: 'u2', identifier: '<id_1>' },
    ]);
  });

  it('semantic: resolves collisions with a word of the unit text, else a suffix, and reports lengths', () => {
    const texts = new Map([
      ['a', 'Rivers rivers flood.'],
      ['b', 'Harbor harbor harbor ships sail.'],
      ['c', ''],
    ]);
    const r = semanticIdentifiers({
      units: ['a', 'b', 'c'],
      texts,
      tokenizer: whitespaceTokenizer,
      file: 'kw.jsonl',
      keywords: [
        { unit: 'a', keywords: ['storm', 'coast'] },
        { unit: 'b', keywords: ['storm', 'coast'] },
        { unit: 'c', keywords: ['storm', ' coast '] },
      ],
    });
    if (!r.ok) throw new Error(formatDataError(r.error));
    expect(r.value.identifiers.map((i) => i.identifier)).toEqual([
      'storm, coast',
      'storm, coast, harbor',
      'storm, coast #2',
    ]);
    expect(r.value.report).toMatchObject({
      collisions: 2,
      resolvedByKeyword: 1,
      resolvedBySuffix: 1,
      lengthTokens: { min: 2, median: 3, p90: 3, max: 3 },
    });
    const missing = semanticIdentifiers({
      units: ['a', 'z'],
      tokenizer: whitespaceTokenizer,
      file: 'kw.jsonl',
      keywords: [{ unit: 'a', keywords: ['x'] }],
    });
    expect(missing.ok ? '' : formatDataError(missing.error)).toBe(
      'kw.jsonl record z field "keywords": unit "z" has no keywords',
    );
  });

  it('length statistics use nearest ranks', () => {
    expect(lengthStats([5, 1, 3, 2, 4, 6, 7, 8, 9, 10])).toEqual({
      min: 1,
      median: 5,
      p90: 9,
      max: 10,
    });
  });
});

describe('contexts and sft-data', () => {
  async function fixture(
    dir: string,
  ): Promise<{ ids: string; contexts: string; sentences: string; chunkQ: string; humanQ: string }> {
    const corpus = path.join(dir, 'corpus.jsonl');
    await writeFile(
      corpus,
      jsonl([
        { id: 'u1', text: 'One two three. Four five six. Seven eight.', doc: 'u1', metadata: {} },
        { id: 'u2', text: 'Alpha beta.', doc: 'u2', metadata: {} },
      ]),
    );
    const contexts = path.join(dir, 'contexts.jsonl');
    const sentences = path.join(dir, 'sentences.jsonl');
    const c = await buildContexts({
      corpusFile: corpus,
      contextsFile: contexts,
      sentencesFile: sentences,
      tokenizer: whitespaceTokenizer,
      maxTokens: 4,
    });
    if (!c.ok) throw new Error(formatDataError(c.error));
    expect(c.value.counts).toEqual({ units: 2, contexts: 3, sentences: 5 });
    const ids = path.join(dir, 'ids.jsonl');
    await writeFile(
      ids,
      jsonl([
        { unit: 'u1', identifier: 'numbers, counting' },
        { unit: 'u2', identifier: 'greek, letters' },
      ]),
    );
    const q = (id: string, unit: string, kind: string): object => ({
      id,
      text: `query ${id}`,
      unit,
      kind,
      generator: 'offline',
      sample: 0,
    });
    const chunkQ = path.join(dir, 'chunk.jsonl');
    await writeFile(
      chunkQ,
      jsonl([
        q('c1', 'u1', 'chunk'),
        q('c2', 'u1', 'chunk'),
        q('c3', 'u1', 'chunk'),
        q('c4', 'u1', 'chunk'),
      ]),
    );
    const humanQ = path.join(dir, 'human.jsonl');
    await writeFile(humanQ, jsonl([{ ...q('h1', 'u2', 'human'), answer: 'x' }]));
    return { ids, contexts, sentences, chunkQ, humanQ };
  }

  it('writes contexts of at most N tokens mapping to their unit, and sentences of each context', async () => {
    await withTempDir(async (dir) => {
      const f = await fixture(dir);
      expect(await readLines(f.contexts)).toEqual([
        { id: 'u1#c0', unit: 'u1', text: 'One two three. Four' },
        { id: 'u1#c1', unit: 'u1', text: 'five six. Seven eight.' },
        { id: 'u2#c0', unit: 'u2', text: 'Alpha beta.' },
      ]);
      const contexts = await readLines<{ unit: string; text: string }>(f.contexts);
      expect(contexts.map((c) => c.text).join(' ')).toBe(
        'One two three. Four five six. Seven eight. Alpha beta.',
      );
      for (const c of contexts) expect(whitespaceTokenizer.count(c.text)).toBeLessThanOrEqual(4);
      const sentences = await readLines<{ context: string; text: string }>(f.sentences);
      expect(sentences[0]).toEqual({
        id: 'u1#c0#s0',
        unit: 'u1',
        context: 'u1#c0',
        text: 'One two three.',
      });
      const stats = await datasetStats({
        contextsFile: f.contexts,
        queryFiles: [f.chunkQ, f.humanQ],
      });
      expect(stats.ok && stats.value).toEqual({ contexts: 3, queries: { chunk: 4, human: 1 } });
    });
  });

  it('concat: every example once, Context2ID first, in the prompt format', async () => {
    await withTempDir(async (dir) => {
      const f = await fixture(dir);
      const out = path.join(dir, 'sft.jsonl');
      const r = await buildSftData({
        identifiersFile: f.ids,
        contextFile: f.contexts,
        queryFiles: [f.chunkQ, f.humanQ],
        combine: 'concat',
        seed: 1,
        promptFormat: 'mistral-instruct',
        outFile: out,
      });
      if (!r.ok) throw new Error(formatDataError(r.error));
      const rows = await readLines<SftExample>(out);
      expect(rows.map((x) => x.kind)).toEqual([
        ...Array<string>(3).fill('context2id'),
        ...Array<string>(5).fill('query2id'),
      ]);
      expect(rows[3]).toEqual({
        prompt: '[INST] query c1 [/INST]',
        completion: ' numbers, counting',
        kind: 'query2id',
        unit: 'u1',
      });
      expect(r.value).toMatchObject({
        context2id: 3,
        query2id: 5,
        queriesByKind: { chunk: 4, human: 1 },
        total: 8,
      });
    });
  });

  it('interleave: each query followed by a context of its unit, cycling; unreached contexts appended; seed-stable', async () => {
    await withTempDir(async (dir) => {
      const f = await fixture(dir);
      const run = async (seed: number): Promise<SftExample[]> => {
        const out = path.join(dir, `sft-${String(seed)}.jsonl`);
        const r = await buildSftData({
          identifiersFile: f.ids,
          contextFile: f.sentences,
          queryFiles: [f.chunkQ, f.humanQ],
          combine: 'interleave',
          seed,
          promptFormat: 'plain',
          outFile: out,
        });
        if (!r.ok) throw new Error(formatDataError(r.error));
        expect(r.value).toMatchObject({ query2id: 5, context2id: 5 + r.value.leftoverContexts });
        return readLines<SftExample>(out);
      };
      const rows = await run(1);
      for (let i = 0; i < 10; i += 2) {
        expect(rows[i]?.kind).toBe('query2id');
        expect(rows[i + 1]).toMatchObject({ kind: 'context2id', unit: rows[i]?.unit });
      }
      // u1 has 4 sentences and 4 queries: the cycle visits each once.
      expect(
        new Set(
          rows
            .slice(0, 8)
            .filter((x) => x.kind === 'context2id')
            .map((x) => x.prompt),
        ).size,
      ).toBe(4);
      expect(rows[0]?.prompt).toBe('query c1\nIdentifier:');
      expect(await run(1)).toEqual(rows);
      expect(await run(2)).not.toEqual(rows);
    });
  });

  it('rejects a query naming a unit without an identifier, with file and line', async () => {
    await withTempDir(async (dir) => {
      const f = await fixture(dir);
      await writeFile(
        f.humanQ,
        jsonl([
          { id: 'h1', text: 't', unit: 'u1', kind: 'human', generator: 'h', sample: 0 },
          { id: 'h2', text: 't', unit: 'nope', kind: 'human', generator: 'h', sample: 0 },
        ]),
      );
      const r = await buildSftData({
        identifiersFile: f.ids,
        queryFiles: [f.humanQ],
        combine: 'concat',
        seed: 1,
        promptFormat: 'plain',
        outFile: path.join(dir, 'o.jsonl'),
      });
      expect(r.ok ? '' : formatDataError(r.error)).toBe(
        `${f.humanQ}:2 field "unit": names unknown id "nope"`,
      );
    });
  });
});

describe('fetchSource', () => {
  const payload = Buffer.from('id\ttext\n1\thello\n'.repeat(1000));
  const digest = createHash('sha256').update(payload).digest('hex');
  let server: http.Server;
  let base = '';
  let hits = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits++;
      if (req.url === '/data.tsv') res.end(payload);
      else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  );

  it('downloads, verifies, and reuses a verified file without the network', async () => {
    await withTempDir(async (dir) => {
      const dest = path.join(dir, 'sub', 'data.tsv');
      const r = await fetchSource({ url: `${base}/data.tsv`, sha256: digest, dest });
      expect(r.ok && r.value).toEqual({ dest, bytes: payload.length, downloaded: true });
      expect(await readFile(dest)).toEqual(payload);
      const before = hits;
      const again = await fetchSource({ url: `${base}/data.tsv`, sha256: digest, dest });
      expect(again.ok && again.value.downloaded).toBe(false);
      expect(hits).toBe(before);
    });
  });

  it('a wrong checksum or HTTP error leaves nothing at dest', async () => {
    await withTempDir(async (dir) => {
      const dest = path.join(dir, 'data.tsv');
      const r = await fetchSource({ url: `${base}/data.tsv`, sha256: '0'.repeat(64), dest });
      expect(r.ok ? '' : formatDataError(r.error)).toBe(
        `download of ${base}/data.tsv: sha256 ${digest} does not match the pinned ${'0'.repeat(64)}; nothing was written`,
      );
      expect(existsSync(dest)).toBe(false);
      expect(await readdir(dir)).toEqual([]);
      const missing = await fetchSource({ url: `${base}/nope`, sha256: digest, dest });
      expect(missing.ok ? '' : missing.error.reason).toBe('download-failed');
      expect(await readdir(dir)).toEqual([]);
    });
  });
});
