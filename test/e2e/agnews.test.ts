// AGNews from the perspective-aware retrieval benchmark's demo file (real data in ../shared):
// topic and location extracted by the generation layer (offline here), merged into the corpus,
// the test queries rewritten to location + topic, constraint queries built from them.

import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { repoRoot } from '../../runner/paths.js';
import { bin, experimentsCopy } from '../helpers.js';

const demo = path.resolve(repoRoot, '../shared/data/pir-demo/demo_pir_dataset.json');
const python = process.env.EXP_TRAINER_PYTHON;
const ready = existsSync(demo) && python !== undefined && existsSync(python);
if (!ready) console.log(`skipping the AGNews metadata test: needs ${demo} and EXP_TRAINER_PYTHON`);

test.skipIf(!ready)(
  'AGNews gets LLM-extracted topic and location, and constraint queries that use them',
  { timeout: 300_000 },
  async () => {
    const dir = experimentsCopy();
    const profile = readFileSync(path.join(dir, 'experiments/profiles/local.yaml'), 'utf8');
    // The local profile stands mini in for AGNews; point it at the real demo file, with AGNews'
    // own constraint attributes.
    writeFileSync(
      path.join(dir, 'experiments/profiles/local.yaml'),
      profile
        .replace(
          /( {2}agnews:\n {4}source: )\{[^}]*\}/,
          `$1{ adapter: pir, task: agnews, path: ${JSON.stringify(demo)} }`,
        )
        .replace('attributes: [category]', 'attributes: [location, topic]'),
    );
    writeFileSync(
      path.join(dir, 'experiments/ag.yaml'),
      'table: ag\ntitle: AGNews\nkind: statistics\ndatasets: [agnews]\nrows:\n  Full: {}\n',
    );
    const r = await execa('node', [bin, 'run', 'experiments/ag.yaml'], {
      cwd: dir,
      env: { CI: 'true' },
      reject: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const cache = path.join(dir, '.exp/cache');
    const only = (kind: string) =>
      path.join(cache, kind, readdirSync(path.join(cache, kind))[0] ?? '');
    const metadata = readFileSync(path.join(only('metadata'), 'metadata.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(metadata).toHaveLength(500);
    const lines = (kind: string, file: string) =>
      readdirSync(path.join(cache, kind)).flatMap((k) => {
        const f = path.join(cache, kind, k, file);
        return existsSync(f)
          ? readFileSync(f, 'utf8')
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l) as Record<string, unknown>)
          : [];
      });
    const units = lines('corpus', 'corpus.jsonl').filter(
      (u) => (u.metadata as Record<string, string>).topic !== undefined,
    );
    expect(units).toHaveLength(500);
    const constraints = lines('queries', 'queries.jsonl').filter((q) => q.kind === 'constraints');
    expect(constraints.length).toBeGreaterThan(0);
    expect(
      constraints.every((q) =>
        /(World|Sports|Business|Sci\/Tech) news says|news from/.test(String(q.text)),
      ),
    ).toBe(true);
    const table = readFileSync(path.join(dir, 'results/local/ag.csv'), 'utf8');
    expect(table.split('\n')[1]).toMatch(/^Full,500,/);
  },
);
