import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { exp, suite } from '../helpers.js';

test("exp eval scores the benchmark's own retrieval output with its metric definitions", async () => {
  const dir = suite();
  const file = path.join(dir, 'output.json');
  // Query 1: two facts, matched at ranks 1 and 3 → hit@4 1, mrr 1, MAP (1/1 + 1/3) / 2.
  // Query 2: one fact, never retrieved → 0. A null query is excluded.
  writeFileSync(
    file,
    JSON.stringify([
      {
        query: 'q1',
        question_type: 'inference_query',
        retrieval_list: [
          { text: 'Alpha  reported\nrecord sales.', score: 3 },
          { text: 'noise', score: 2 },
          { text: 'Beta hired 40 people.', score: 1 },
        ],
        gold_list: [{ fact: 'Alpha reported record sales.' }, { fact: 'Beta hired 40 people.' }],
      },
      {
        query: 'q2',
        question_type: 'comparison_query',
        retrieval_list: [{ text: 'noise', score: 1 }],
        gold_list: [{ fact: 'Gamma closed a plant.' }],
      },
      {
        query: 'q3',
        question_type: 'null_query',
        retrieval_list: [{ text: 'noise', score: 1 }],
        gold_list: [],
      },
    ]),
  );
  const r = await exp(dir, [
    'eval',
    '--run',
    file,
    '--format',
    'multihop-rag',
    '--out',
    path.join(dir, 'eval.json'),
  ]);
  expect(r.exitCode, r.stderr).toBe(0);
  const line = (m: string) =>
    r.stdout
      .split('\n')
      .find((l) => l.startsWith(m))
      ?.split(/\s+/)[1];
  expect(line('hit@4')).toBe('50.00');
  expect(line('mrr@10')).toBe('50.00');
  expect(line('map@10')).toBe(((100 * (1 + 1 / 3)) / 2 / 2).toFixed(2));
  expect(r.stdout).toContain('queries  2');
});

test('exp eval on a malformed file says where and what', async () => {
  const dir = suite();
  const file = path.join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify([{ query: 'q1', retrieval_list: 'oops' }]));
  const r = await exp(dir, ['eval', '--run', file, '--format', 'multihop-rag']);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain('bad.json');
});
