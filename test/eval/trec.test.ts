import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatTrecError,
  parseQrels,
  parseRun,
  qrelsLines,
  rankedIds,
  readQrels,
  readRun,
  runLines,
  writeLines,
} from '../../runner/eval/trec.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'exp-trec-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('run files', () => {
  it('orders each query by score, then rank, then docid', () => {
    const text = [
      'q1 Q0 dC 3 0.5 sys',
      'q1 Q0 dA 1 0.9 sys',
      'q1 Q0 dZ 2 0.5 sys', // ties dC on score, earlier rank wins
      'q1 Q0 dB 2 0.5 sys', // ties dZ on score and rank, docid decides
      'q2 Q0 x 1 -1.5e-3 sys',
      '',
    ].join('\n');
    const run = parseRun(text, 'r.trec');
    expect(run.ok).toBe(true);
    if (!run.ok) return;
    expect(rankedIds(run.value)).toEqual(
      new Map([
        ['q1', ['dA', 'dB', 'dZ', 'dC']],
        ['q2', ['x']],
      ]),
    );
    expect(run.value.get('q2')?.[0]).toEqual({
      qid: 'q2',
      docid: 'x',
      rank: 1,
      score: -0.0015,
      tag: 'sys',
    });
  });

  it('reports every malformed line with file and line number', () => {
    const text = [
      'q1 Q0 d1 1 0.9 sys',
      'q1 Q0 d2 1 sys',
      'q1 Q0 d3 first 0.5 sys',
      'q1 Q0 d4 4 NaN sys',
      'q1 Q0 d1 5 0.1 sys',
      'q1 Q0 d5 -1 0.1 sys',
    ].join('\n');
    const run = parseRun(text, 'runs/bad.trec');
    expect(run.ok).toBe(false);
    if (run.ok) return;
    expect(formatTrecError(run.error)).toBe(
      [
        'runs/bad.trec:2: expected 6 fields "qid Q0 docid rank score tag", found 5',
        'runs/bad.trec:3: rank "first" is not a non-negative integer',
        'runs/bad.trec:4: score "NaN" is not a finite number',
        'runs/bad.trec:5: duplicate entry for query "q1", document "d1" (first on line 1)',
        'runs/bad.trec:6: rank "-1" is not a non-negative integer',
      ].join('\n'),
    );
  });

  it('keeps the first 20 problems and counts the rest', () => {
    const text = Array.from({ length: 25 }, () => 'broken').join('\n');
    const run = parseRun(text, 'r');
    expect(run.ok).toBe(false);
    if (run.ok || run.error.reason !== 'malformed-file') return;
    expect(run.error.problems).toHaveLength(20);
    expect(run.error.more).toBe(5);
    expect(formatTrecError(run.error).split('\n').at(-1)).toBe('r: … and 5 more malformed lines');
  });

  it('writes a run that reads back in the same order, streaming from disk', async () => {
    const file = path.join(dir, 'run.trec');
    const written = await writeLines(
      file,
      runLines(
        [
          [
            'q1',
            [
              { docid: 'b', score: 2.5 },
              { docid: 'a', score: 2.5 },
              { docid: 'c', score: 0.125 },
            ],
          ],
          ['q2', [{ docid: 'z' }, { docid: 'y' }]],
        ],
        'gr-sft',
      ),
    );
    expect(written.ok).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(
      'q1 Q0 b 1 2.5 gr-sft\nq1 Q0 a 2 2.5 gr-sft\nq1 Q0 c 3 0.125 gr-sft\nq2 Q0 z 1 2 gr-sft\nq2 Q0 y 2 1 gr-sft\n',
    );
    const run = await readRun(file);
    expect(run.ok && rankedIds(run.value)).toEqual(
      new Map([
        ['q1', ['b', 'a', 'c']],
        ['q2', ['z', 'y']],
      ]),
    );
  });

  it('reads Windows line endings', async () => {
    const file = path.join(dir, 'crlf.trec');
    await writeFile(file, 'q1 Q0 d1 1 1 t\r\nq1 Q0 d2 2 0.5 t\r\n');
    const run = await readRun(file);
    expect(run.ok && rankedIds(run.value).get('q1')).toEqual(['d1', 'd2']);
  });

  it('reports a missing file as a read failure, not an exception', async () => {
    const run = await readRun(path.join(dir, 'absent.trec'));
    expect(run.ok).toBe(false);
    if (run.ok) return;
    expect(run.error.reason).toBe('read-failed');
    expect(formatTrecError(run.error)).toMatch(/absent\.trec: cannot read: .*ENOENT/);
  });

  it('refuses to write an id containing whitespace', () => {
    expect(() => [...runLines([['q 1', [{ docid: 'd' }]]], 't')]).toThrow(/contains whitespace/);
  });
});

describe('qrels', () => {
  it('parses grades, including zero and negative ones', async () => {
    const file = path.join(dir, 'qrels.txt');
    await writeLines(
      file,
      qrelsLines([
        { qid: 'q1', docid: 'd1', rel: 1 },
        { qid: 'q1', docid: 'd2', rel: 0 },
        { qid: 'q2', docid: 'd1', rel: -1 },
      ]),
    );
    const qrels = await readQrels(file);
    expect(qrels.ok && qrels.value).toEqual(
      new Map([
        [
          'q1',
          new Map([
            ['d1', 1],
            ['d2', 0],
          ]),
        ],
        ['q2', new Map([['d1', -1]])],
      ]),
    );
  });

  it('rejects wrong field counts, fractional grades and duplicates', () => {
    const qrels = parseQrels('q1 0 d1 1\nq1 0 d2\nq1 0 d3 0.5\nq1 0 d1 2\n', 'qrels.txt');
    expect(qrels.ok).toBe(false);
    if (qrels.ok) return;
    expect(formatTrecError(qrels.error)).toBe(
      [
        'qrels.txt:2: expected 4 fields "qid 0 docid rel", found 3',
        'qrels.txt:3: relevance "0.5" is not an integer',
        'qrels.txt:4: duplicate entry for query "q1", document "d1" (first on line 1)',
      ].join('\n'),
    );
  });
});
