import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { adaptBeir } from '../../runner/data/adapters/beir.js';
import { adaptNq } from '../../runner/data/adapters/nq.js';
import { adaptPir, parsePerspective } from '../../runner/data/adapters/pir.js';
import { formatDataError } from '../../runner/data/errors.js';
import { readPickle } from '../../runner/data/pickle.js';
import { jsonl, missing, pirDemo, readLines, withTempDir } from './shared.js';

type Unit = { id: string; text: string; metadata: Record<string, string> };
type Query = { id: string; text: string; metadata?: Record<string, string> };

describe('pir adapter on the real demo JSON', () => {
  it.skipIf(missing(pirDemo) !== undefined)(
    'AllSides: document units, polarity recovered from the judging queries',
    async () => {
      await withTempDir(async (dir) => {
        const r = await adaptPir({
          source: { format: 'demo', file: pirDemo, task: 'allsides' },
          outDir: dir,
        });
        if (!r.ok) throw new Error(formatDataError(r.error));
        expect(r.value.counts).toMatchObject({
          units: 500,
          queries: 100,
          qrels: 100,
          unitsWithout_polarity: 400,
        });
        const units = await readLines<Unit>(path.join(dir, 'corpus.jsonl'));
        const polar = units.filter((u) => u.metadata['polarity'] !== undefined);
        expect(new Set(polar.map((u) => u.metadata['polarity']))).toEqual(
          new Set(['left', 'right', 'center']),
        );
        const queries = await readLines<Query>(path.join(dir, 'queries.jsonl'));
        expect(queries[0]?.metadata).toMatchObject({ polarity: 'left', label: 'left' });
      });
    },
  );

  it.skipIf(missing(pirDemo) !== undefined)(
    'AGNews: merges extracted metadata and rewrites queries to location + topic',
    async () => {
      await withTempDir(async (dir) => {
        // The extraction step's output for the demo's gold documents (d0, d2, d4, ...).
        const meta = Array.from({ length: 250 }, (_, i) => ({
          unit: `d${String(2 * i)}`,
          metadata: { location: `Place${String(i)}`, topic: `Topic${String(i)}` },
        }));
        await writeFile(path.join(dir, 'meta.jsonl'), jsonl(meta));
        const out = path.join(dir, 'out');
        const r = await adaptPir({
          source: { format: 'demo', file: pirDemo, task: 'agnews' },
          outDir: out,
          metadataFile: path.join(dir, 'meta.jsonl'),
          rewriteQueries: true,
        });
        if (!r.ok) throw new Error(formatDataError(r.error));
        const queries = await readLines<Query>(path.join(out, 'queries.jsonl'));
        // q0 asks for a topic; its gold d0 supplies the location, the topic stays the query's own.
        expect(queries[0]?.text).toBe(
          'Find a news article that happened in Place0 and relates to Humanitarian crises and relief efforts',
        );
        // q1 asks for a location (Canada); its gold d2 supplies the topic.
        expect(queries[1]?.text).toBe(
          'Find a news article that happened in Canada and relates to Topic1',
        );
        expect(r.value.counts['queriesRewritten']).toBe(100);
      });
    },
  );

  it('parses the benchmark perspectives', () => {
    expect(parsePerspective('a news article biased towards: right')).toEqual({ polarity: 'right' });
    expect(parsePerspective('a news article happened in South Africa')).toEqual({
      location: 'South Africa',
    });
    expect(parsePerspective('a news article relates to Cross-border crime and corruption')).toEqual(
      { topic: 'Cross-border crime and corruption' },
    );
  });
});

async function beirFixture(dir: string, corpus: unknown[], qrels: string): Promise<void> {
  await mkdir(path.join(dir, 'qrels'), { recursive: true });
  await writeFile(path.join(dir, 'corpus.jsonl'), jsonl(corpus));
  await writeFile(
    path.join(dir, 'queries.jsonl'),
    jsonl([
      { _id: 'q1', text: 'first?' },
      { _id: 'q2', text: 'second?' },
      { _id: 'q3', text: 'unjudged' },
    ]),
  );
  await writeFile(path.join(dir, 'qrels', 'test.tsv'), qrels);
}

describe('beir adapter', () => {
  it('reads title + text, selected metadata, and counts what it skips', async () => {
    await withTempDir(async (dir) => {
      await beirFixture(
        dir,
        [
          { _id: 'a', title: 'Title A', text: 'Body A', metadata: { author: 'X' } },
          { _id: 'b', title: '', text: '  ' },
          { _id: 'c', text: 'Body C', author: 'Y' },
        ],
        'query-id\tcorpus-id\tscore\nq1\ta\t1\nq2\tc\t2\nq2\tb\t1\nq1\tc\t0\n',
      );
      const r = await adaptBeir({ dir, outDir: path.join(dir, 'out'), metadataFields: ['author'] });
      if (!r.ok) throw new Error(formatDataError(r.error));
      const units = await readLines<Unit>(path.join(dir, 'out', 'corpus.jsonl'));
      expect(units).toEqual([
        { id: 'a', text: 'Title A\n\nBody A', doc: 'a', metadata: { author: 'X' } },
        { id: 'c', text: 'Body C', doc: 'c', metadata: { author: 'Y' } },
      ]);
      expect(await readFile(path.join(dir, 'out', 'qrels.txt'), 'utf8')).toBe(
        'q1 0 a 1\nq2 0 c 2\n',
      );
      expect(Object.fromEntries(r.value.skips.map((s) => [s.reason, s.count]))).toEqual({
        'empty-document': 1,
        'non-relevant-qrel': 1,
        'qrel-to-skipped-document': 1,
        'query-not-in-split': 1,
      });
    });
  });

  it('names file, line and field for a qrel to an unknown document, duplicates and extra fields', async () => {
    await withTempDir(async (dir) => {
      await beirFixture(dir, [{ _id: 'a', text: 'A' }], 'q1\tzzz\t1\n');
      const r = await adaptBeir({ dir, outDir: dir });
      expect(r.ok ? '' : formatDataError(r.error)).toBe(
        `${path.join(dir, 'qrels', 'test.tsv')}:1 field "corpus-id": names unknown id "zzz"`,
      );
      await beirFixture(
        dir,
        [
          { _id: 'a', text: 'A' },
          { _id: 'a', text: 'B' },
        ],
        '',
      );
      const d = await adaptBeir({ dir, outDir: dir });
      expect(d.ok ? '' : formatDataError(d.error)).toBe(
        `${path.join(dir, 'corpus.jsonl')}:2 field "_id": duplicate id "a" (first seen at 1)`,
      );
      await beirFixture(dir, [{ _id: 'a', text: 'A', colour: 'red' }], '');
      const x = await adaptBeir({ dir, outDir: dir });
      expect(x.ok ? '' : formatDataError(x.error)).toBe(
        `${path.join(dir, 'corpus.jsonl')}:1 field "colour": unexpected field`,
      );
    });
  });
});

const py = (code: string): void => {
  execFileSync('python3', ['-c', code]);
};

describe('pickle reader and nq adapter', () => {
  it('reads the pickles Python writes (all protocols with plain data)', async () => {
    await withTempDir(async (dir) => {
      for (const proto of [2, 3, 4, 5]) {
        const f = path.join(dir, `p${String(proto)}.pkl`);
        py(
          `import pickle; pickle.dump({'a': [1, -2, 300, 70000, 2**40, -2**70, 1.5, None, True, 'é☃'], 7: ('t', 'u'), 'm': [[]] * 2}, open(${JSON.stringify(f)}, 'wb'), protocol=${String(proto)})`,
        );
        const r = readPickle(await readFile(f));
        if (!r.ok) throw new Error(r.error.detail);
        const m = r.value as Map<unknown, unknown>;
        expect(m.get('a')).toEqual([
          1,
          -2,
          300,
          70000,
          2 ** 40,
          -(2n ** 70n),
          1.5,
          null,
          true,
          'é☃',
        ]);
        expect(m.get(7)).toEqual(['t', 'u']);
        expect(m.get('m')).toEqual([[], []]);
      }
      const g = path.join(dir, 'g.pkl');
      py(
        `import pickle, collections; pickle.dump(collections.OrderedDict(a=1), open(${JSON.stringify(g)}, 'wb'))`,
      );
      const bad = readPickle(await readFile(g));
      expect(bad.ok ? '' : bad.error.detail).toMatch(/unsupported pickle opcode/u);
    });
  });

  it('normalises an IncDSI-style old_docs folder', async () => {
    await withTempDir(async (dir) => {
      const docs = [
        { doc_id: 10, doc_text: 'Doc ten prefix.' },
        { doc_id: 11, doc_text: 'Doc eleven prefix.' },
        { doc_id: 99, doc_text: 'Not in the split.' },
      ];
      await writeFile(path.join(dir, 'passages_seen.json'), JSON.stringify(docs));
      await writeFile(
        path.join(dir, 'trainqueries.json'),
        jsonl([
          { doc_id: 10, question: 'who ten' },
          { doc_id: 11, gen_question: 'gen eleven' },
        ]),
      );
      await writeFile(
        path.join(dir, 'testqueries.json'),
        JSON.stringify([{ doc_id: 11, question: 'what eleven' }]),
      );
      py(
        `import pickle; pickle.dump([10, 11], open(${JSON.stringify(path.join(dir, 'doc_list.pkl'))}, 'wb')); pickle.dump({10: 3, 11: 4}, open(${JSON.stringify(path.join(dir, 'doc_class.pkl'))}, 'wb'))`,
      );
      const out = path.join(dir, 'out');
      const r = await adaptNq({ dir, outDir: out });
      if (!r.ok) throw new Error(formatDataError(r.error));
      expect(await readLines(path.join(out, 'corpus.jsonl'))).toEqual([
        { id: '10', text: 'Doc ten prefix.', doc: '10', metadata: { class: '3' } },
        { id: '11', text: 'Doc eleven prefix.', doc: '11', metadata: { class: '4' } },
      ]);
      expect(await readLines(path.join(out, 'human-queries.jsonl'))).toEqual([
        {
          id: 'human-train0',
          text: 'who ten',
          unit: '10',
          kind: 'human',
          generator: 'human',
          sample: 0,
        },
      ]);
      expect(
        (await readLines<{ kind: string }>(path.join(out, 'docT5query-queries.jsonl')))[0]?.kind,
      ).toBe('docT5query');
      expect(await readFile(path.join(out, 'qrels.txt'), 'utf8')).toBe('test0 0 11 1\n');
      expect(r.value.skips.map((s) => [s.reason, s.count])).toEqual([['not-in-doc-list', 1]]);
      await writeFile(
        path.join(dir, 'testqueries.json'),
        JSON.stringify([
          { doc_id: 11, question: 'ok' },
          { doc_id: 12, question: 'what twelve' },
        ]),
      );
      const bad = await adaptNq({ dir, outDir: out });
      expect(bad.ok ? '' : formatDataError(bad.error)).toBe(
        `${path.join(dir, 'testqueries.json')} record [1] field "doc_id": names unknown id "12"`,
      );
    });
  });
});
