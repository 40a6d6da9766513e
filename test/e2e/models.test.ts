// The steps that run off-the-shelf checkpoints, through `exp run` with tiny randomly initialised
// models in local directories (the local profile cannot download weights): a dense retriever row
// (dense-encode → dense → evaluate) and DSI-QG's filtered queries (docT5query samples → reranker
// → Figure 2's similarity).

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { repoRoot } from '../../runner/paths.js';
import { bin, experimentsCopy } from '../helpers.js';

const python = process.env.EXP_TRAINER_PYTHON;

test.skipIf(python === undefined)(
  'a dense row and a filtered query set run from local checkpoints',
  { timeout: 400_000 },
  async () => {
    const dir = experimentsCopy();
    const model = async (kind: string) => {
      const out = path.join(dir, 'models', kind);
      await execa(python ?? '', ['-m', 'trainers.tests.tiny_models', kind, out], { cwd: repoRoot });
      return out;
    };
    const [bert, reranker, t5] = [
      await model('bert'),
      await model('cross-encoder'),
      await model('t5'),
    ];
    writeFileSync(
      path.join(dir, 'experiments/dense.yaml'),
      `table: dense
title: Tiny dense retriever
datasets: [multihop-rag]
rows:
  Tiny: { system: dense, baseline: { model: ${bert}, query_format: 'query: {query}', passage_format: 'passage: {passage}', pooling: mean, normalize: true, max_length: 128 } }
`,
    );
    writeFileSync(
      path.join(dir, 'experiments/filtered.yaml'),
      `table: filtered
title: Filtered docT5query samples
kind: similarity
datasets: [multihop-rag]
rows:
  Chunk vs Chunk-F:
    similarity: { a: [chunk], b: [filtered] }
    queries: { filtered: { m: 4, filter_top: 2, model: ${t5}, reranker: ${reranker} } }
`,
    );
    const r = await execa(
      'node',
      [bin, 'run', 'experiments/dense.yaml', 'experiments/filtered.yaml'],
      { cwd: dir, env: { CI: 'true' }, reject: false },
    );
    expect(r.exitCode, r.stderr).toBe(0);

    const cache = path.join(dir, '.exp/cache');
    const entries = (kind: string) =>
      readdirSync(path.join(cache, kind)).map((k) => path.join(cache, kind, k));
    const corpus = readFileSync(path.join(entries('corpus')[0] ?? '', 'corpus.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: string }).id);
    const encoded = entries('dense-encode')[0] ?? '';
    expect(JSON.parse(readFileSync(path.join(encoded, 'ids.json'), 'utf8'))).toEqual(corpus);
    const metrics = readFileSync(path.join(dir, 'results/local/dense.csv'), 'utf8');
    const row = metrics.split('\n')[1]?.split(',') ?? [];
    expect(row[0]).toBe('Tiny');
    // A random encoder is a weak retriever, but every metric is a number in [0, 100].
    expect(row).toHaveLength(5);
    for (const v of row.slice(1)) {
      expect(Number(v)).toBeGreaterThanOrEqual(0);
      expect(Number(v)).toBeLessThanOrEqual(100);
    }

    const sets = entries('queries').map((d) =>
      readFileSync(path.join(d, 'queries.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { unit: string; kind: string; score?: number }),
    );
    const raw = sets.find((s) => s[0]?.kind === 'doct5query') ?? [];
    const filtered = sets.find((s) => s[0]?.kind === 'filtered') ?? [];
    const perUnit = (qs: { unit: string }[]) => {
      const n = new Map<string, number>();
      for (const q of qs) n.set(q.unit, (n.get(q.unit) ?? 0) + 1);
      return new Set(n.values());
    };
    expect(perUnit(raw)).toEqual(new Set([4]));
    expect(perUnit(filtered)).toEqual(new Set([2]));
    expect(filtered.every((q) => typeof q.score === 'number')).toBe(true);
    expect(readFileSync(path.join(dir, 'results/local/filtered.csv'), 'utf8')).toMatch(
      /^Chunk vs Chunk-F,\d/m,
    );
  },
);
