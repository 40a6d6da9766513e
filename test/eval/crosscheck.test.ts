// Cross-check of the qrels metrics against trec_eval (through pytrec_eval) on random runs.
// Needs the trainer environment's python: env EXP_TRAINER_PYTHON with `pytrec-eval-terrier`
// installed; skipped with a message otherwise.

import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../runner/eval/metrics.js';
import { seededRandom } from '../../runner/eval/random.js';
import {
  type Qrel,
  type RankedDoc,
  qrelsLines,
  rankedIds,
  readQrels,
  readRun,
  runLines,
  writeLines,
} from '../../runner/eval/trec.js';

const python = process.env['EXP_TRAINER_PYTHON'];

function whyUnavailable(): string | undefined {
  if (python === undefined || python === '') return 'EXP_TRAINER_PYTHON is not set';
  const probe = spawnSync(python, ['-c', 'import pytrec_eval'], { encoding: 'utf8' });
  if (probe.status !== 0)
    return `${python} cannot import pytrec_eval (pip install pytrec-eval-terrier)`;
  return undefined;
}

const unavailable = whyUnavailable();
if (unavailable !== undefined) console.warn(`skipping the pytrec_eval cross-check: ${unavailable}`);

// trec_eval's recip_rank has no cut-off, so MRR@10 is recip_rank on each run cut to its top 10
// (by score: ties cannot occur, scores are distinct).
const SCRIPT = `
import json, sys, pytrec_eval
with open(sys.argv[1]) as f: qrels = pytrec_eval.parse_qrel(f)
with open(sys.argv[2]) as f: run = pytrec_eval.parse_run(f)
full = pytrec_eval.RelevanceEvaluator(qrels, {"success.1,4,5,10", "map_cut.10"}).evaluate(run)
top10 = {q: dict(sorted(d.items(), key=lambda kv: -kv[1])[:10]) for q, d in run.items()}
rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(top10)
print(json.dumps({q: dict(full[q], rr10=rr[q]["recip_rank"]) for q in full}))
`;

const QUERIES = 200;
const DOCS = 60;

function randomData(): { qrels: Qrel[]; run: [string, RankedDoc[]][] } {
  const random = seededRandom('crosscheck', 1);
  const docs = Array.from({ length: DOCS }, (_, i) => `D${i}`);
  const shuffled = (): string[] => {
    const a = [...docs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = random.below(i + 1);
      [a[i], a[j]] = [a[j] ?? '', a[i] ?? ''];
    }
    return a;
  };
  const qrels: Qrel[] = [];
  const run: [string, RankedDoc[]][] = [];
  for (let q = 0; q < QUERIES; q++) {
    const qid = `Q${q}`;
    const judged = shuffled();
    const relevant = 1 + random.below(3);
    judged
      .slice(0, relevant)
      .forEach((docid) => qrels.push({ qid, docid, rel: 1 + random.below(2) }));
    // Judged non-relevant documents must not count.
    judged.slice(relevant, relevant + 2).forEach((docid) => qrels.push({ qid, docid, rel: 0 }));
    // Ranks in the file disagree with the scores on purpose: both sides must order by score.
    const retrieved = shuffled().slice(0, 1 + random.below(20));
    run.push([qid, retrieved.map((docid) => ({ docid, score: random.next() * 10 - 5 }))]);
  }
  return { qrels, run };
}

describe('cross-check with trec_eval', () => {
  it.skipIf(unavailable !== undefined)(
    'hit@k, mrr@10 and map@10 agree per query with pytrec_eval on 200 random queries',
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'exp-xcheck-'));
      try {
        const { qrels, run } = randomData();
        const qrelsFile = path.join(dir, 'qrels.txt');
        const runFile = path.join(dir, 'run.trec');
        expect((await writeLines(qrelsFile, qrelsLines(qrels))).ok).toBe(true);
        expect((await writeLines(runFile, runLines(run, 'random'))).ok).toBe(true);

        const ours = await Promise.all([readQrels(qrelsFile), readRun(runFile)]);
        const [q, r] = ours;
        if (!q.ok || !r.ok) throw new Error('the files just written should parse');
        const evaluation = evaluate({
          run: rankedIds(r.value),
          gold: { kind: 'qrels', qrels: q.value },
          metrics: ['hit@1', 'hit@4', 'hit@5', 'hit@10', 'mrr@10', 'map@10'],
        });
        if (!evaluation.ok) throw new Error(JSON.stringify(evaluation.error));

        const out = spawnSync(python ?? '', ['-c', SCRIPT, qrelsFile, runFile], {
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(out.stderr).toBe('');
        const theirs = JSON.parse(out.stdout) as Record<string, Record<string, number>>;

        expect(evaluation.value.queries).toBe(QUERIES);
        expect(Object.keys(theirs)).toHaveLength(QUERIES);
        let hits = 0;
        for (const pq of evaluation.value.perQuery) {
          const t = theirs[pq.qid];
          const expected = {
            'hit@1': 100 * (t?.['success_1'] ?? NaN),
            'hit@4': 100 * (t?.['success_4'] ?? NaN),
            'hit@5': 100 * (t?.['success_5'] ?? NaN),
            'hit@10': 100 * (t?.['success_10'] ?? NaN),
            'mrr@10': 100 * (t?.['rr10'] ?? NaN),
            'map@10': 100 * (t?.['map_cut_10'] ?? NaN),
          };
          for (const [name, value] of Object.entries(expected)) {
            expect(pq.metrics[name], `${pq.qid} ${name}`).toBeCloseTo(value, 10);
          }
          if (pq.metrics['hit@10'] === 100) hits += 1;
        }
        // The data must exercise both outcomes, or agreement would prove little.
        expect(hits).toBeGreaterThan(20);
        expect(hits).toBeLessThan(QUERIES - 20);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
