import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../runner/eval/metrics.js';
import {
  formatMultihopRagError,
  parseMultihopRagOutput,
  readMultihopRagOutput,
} from '../../runner/eval/multihop-rag.js';

// The shape of the benchmark's retrieval output, with extra fields it carries.
const records = [
  {
    query: 'Who won, and where?',
    answer: 'Jane Doe',
    question_type: 'inference_query',
    retrieval_list: [
      { text: 'Unrelated text.', score: 0.9 },
      { text: 'The race took place in New York\nCity.', score: 0.8 },
      { text: 'Jane  Doe won the race in New York City.', score: 0.7 },
    ],
    gold_list: [
      { title: 'A', fact: 'in New York City' },
      { title: 'B', fact: 'Jane Doe won' },
    ],
  },
  {
    query: 'Is there an answer?',
    question_type: 'null_query',
    retrieval_list: [{ text: 'Anything', score: 0.1 }],
    gold_list: [],
  },
  {
    query: 'Second question',
    question_type: 'comparison_query',
    retrieval_list: [{ text: 'no match', score: 1 }],
    gold_list: [{ fact: 'missing fact' }],
  },
];

describe('MultiHop-RAG retrieval output', () => {
  it('scores the benchmark format with the benchmark metrics, skipping null queries', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'exp-mhr-'));
    try {
      const file = path.join(dir, 'retrieval_test.json');
      await writeFile(file, JSON.stringify(records));
      const parsed = await readMultihopRagOutput(file);
      if (!parsed.ok) throw new Error(formatMultihopRagError(parsed.error));
      const r = evaluate({ ...parsed.value, metrics: ['hit@1', 'hit@4', 'map@10', 'mrr@10'] });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.value.queries).toBe(2);
      expect(r.value.skipped.noGold).toBe(1);
      // Query 0: facts first matched at ranks 2 and 3: MAP (1/2 + 1/3) / 2, MRR 1/2.
      const first = r.value.perQuery[0];
      expect(first?.qid).toBe('0');
      expect(first?.rankOfFirstRelevant).toBe(2);
      const { 'map@10': map, ...rest } = first?.metrics ?? {};
      expect(map).toBeCloseTo(41.6666666667, 8);
      expect(rest).toEqual({ 'hit@1': 0, 'hit@4': 100, 'mrr@10': 50 });
      expect(r.value.metrics['hit@4']).toBe(50);
      expect(r.value.metrics['map@10']).toBeCloseTo(41.6666666667 / 2, 8);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports every shape problem with its location', () => {
    const bad = JSON.stringify([
      {
        question_type: 'inference_query',
        retrieval_list: [{ score: 1 }],
        gold_list: [{ fact: 3 }],
      },
      { question_type: 7, retrieval_list: 'x' },
      'not a record',
    ]);
    const r = parseMultihopRagOutput(bad, 'out.json');
    expect(!r.ok && formatMultihopRagError(r.error)).toBe(
      [
        'out.json: [0].retrieval_list[0].text: expected a string',
        'out.json: [0].gold_list[0].fact: expected a string',
        'out.json: [1].question_type: expected a string',
        'out.json: [1].retrieval_list: expected a list',
        'out.json: [1].gold_list: expected a list',
        'out.json: [2]: expected an object',
      ].join('\n'),
    );
  });

  it('reports invalid JSON and a non-list document', () => {
    const broken = parseMultihopRagOutput('[{', 'out.json');
    expect(!broken.ok && broken.error.reason).toBe('invalid-json');
    const object = parseMultihopRagOutput('{}', 'out.json');
    expect(!object.ok && formatMultihopRagError(object.error)).toBe(
      'out.json: expected a JSON list of query records',
    );
  });
});
