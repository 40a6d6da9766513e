import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { exp, invocations, suite } from '../helpers.js';

test('exp config prints every resolved value with its origin', async () => {
  const dir = suite();
  const r = await exp(dir, [
    'config',
    'negatives.yaml',
    'Random 5',
    'alpha',
    '--set',
    'sft.learning_rate=0.001',
  ]);
  expect(r.exitCode).toBe(0);
  const line = (p: string) => r.stdout.split('\n').find((l) => l.startsWith(`${p} `)) ?? '';
  expect(line('preference.negatives')).toMatch(/= random\s+# row "Random 5" \(negatives\.yaml:6\)/);
  expect(line('sft.epochs')).toMatch(/= 1\s+# profile local \(profiles\/local\.yaml:3\)/);
  expect(line('combine')).toMatch(/= interleave\s+# dataset alpha \(datasets\/alpha\.yaml:7\)/);
  expect(line('sft.learning_rate')).toMatch(/= 0\.001\s+# --set sft\.learning_rate/);
  expect(line('metrics')).toMatch(/# dataset alpha/);
});

test('exp why names the recipe field that changed a step key', async () => {
  const dir = suite();
  await exp(dir, ['run', 'negatives.yaml']);
  const cached = await exp(dir, ['why', 'negatives/SFT/alpha', 'negatives.yaml']);
  expect(cached.stdout).toContain('negatives/SFT/alpha: cached');
  const r = await exp(dir, [
    'why',
    'negatives/SFT/alpha',
    'negatives.yaml',
    '--set',
    'sft.epochs=3',
  ]);
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toMatch(
    /^train \([0-9a-f]{12}\): differs from cached [0-9a-f]{12} in recipe\.recipe\.sft\.epochs: 1 → 3$/m,
  );
});

test('exp tables --check names missing cells and the field that changed; passes once regenerated', async () => {
  const dir = suite();
  await exp(dir, ['run', 'negatives.yaml']);
  const ok = await exp(dir, ['tables', 'negatives.yaml', '--check']);
  expect(ok.exitCode).toBe(0);
  // Edit the experiment: the Random 5 row now asks for k=7, which was never computed.
  const file = path.join(dir, 'negatives.yaml');
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace('negatives: random, k: 5', 'negatives: random, k: 7'),
  );
  const stale = await exp(dir, ['tables', 'negatives.yaml', '--check']);
  expect(stale.exitCode).toBe(1);
  expect(stale.stderr).toContain(
    'negatives/Random 5/alpha: no result for its current configuration (closest result differs in preference.k: 5 → 7)',
  );
  expect(stale.stderr).toContain('results/local/negatives.csv is stale');
  // A frozen run computes nothing and fails, naming the step.
  const frozen = await exp(dir, ['run', 'negatives.yaml', '--frozen']);
  expect(frozen.exitCode).toBe(1);
  expect(frozen.stderr).toContain('is not cached and this run may not compute');
  await exp(dir, ['run', 'negatives.yaml']);
  expect((await exp(dir, ['tables', 'negatives.yaml', '--check'])).exitCode).toBe(0);
});

test('the wide CSV has the reference value and delta beside each result; the long CSV one line per value', async () => {
  const dir = suite();
  await exp(dir, ['run', 'negatives.yaml']);
  const wide = readFileSync(path.join(dir, 'results/local/negatives.csv'), 'utf8').split('\n');
  expect(wide[0]?.startsWith('row,alpha hit@4,alpha hit@4 paper,alpha hit@4 Δ,alpha hit@10,')).toBe(
    true,
  );
  const sft = wide[1]?.split(',') ?? [];
  expect(sft[0]).toBe('SFT');
  expect(Number(sft[3])).toBeCloseTo(Number(sft[1]) - 69.98, 2);
  const long = readFileSync(path.join(dir, 'results/local/negatives.long.csv'), 'utf8')
    .trim()
    .split('\n');
  expect(long[0]).toBe('table,row,dataset,seed,metric,value,reference');
  expect(long).toHaveLength(1 + 3 * 4 * 2);
  expect(long).toContain(`negatives,SFT,alpha,0,hit@4,${sft[1] ?? ''},69.98`);
});

test('seeds repeat a cell; the wide table shows mean ± sd', async () => {
  const dir = suite();
  writeFileSync(
    path.join(dir, 'seeded.yaml'),
    'table: seeded\ntitle: S\ndatasets: [alpha]\nseeds: [1, 2, 3]\nrows:\n  A: {}\n',
  );
  const r = await exp(dir, ['run', 'seeded.yaml']);
  expect(r.exitCode).toBe(0);
  expect(invocations(dir).train).toBe(3);
  const wide = readFileSync(path.join(dir, 'results/local/seeded.csv'), 'utf8').split('\n');
  expect(wide[1]).toMatch(/^A,\d+\.\d\d ± \d+\.\d\d,/);
});

test('a sweep generates rows from a grid', async () => {
  const dir = suite();
  writeFileSync(
    path.join(dir, 'sweep.yaml'),
    'table: sweep\ntitle: S\ndatasets: [alpha]\nsweep:\n  name: "Top-{preference.k}"\n  base: { preference: { negatives: model-top } }\n  grid: { preference.k: [1, 3, 5] }\n',
  );
  const r = await exp(dir, ['plan', 'sweep.yaml', '--json']);
  const plan = JSON.parse(r.stdout) as { cells: { id: string }[] };
  expect(plan.cells.map((c) => c.id)).toEqual([
    'sweep/Top-1/alpha',
    'sweep/Top-3/alpha',
    'sweep/Top-5/alpha',
  ]);
});

test('cache gc keeps what the experiments use and removes the rest', async () => {
  const dir = suite();
  await exp(dir, ['run', 'negatives.yaml']);
  await exp(dir, ['run', 'negatives.yaml', '--set', 'sft.epochs=5']);
  const gc = await exp(dir, ['cache', 'gc', 'negatives.yaml']);
  expect(gc.stdout).toMatch(/^removed 14 entries/);
  const again = await exp(dir, ['run', 'negatives.yaml', '--reporter', 'json']);
  expect(again.stdout).toContain('"toRun":0');
});

test('per_dataset deltas apply to their dataset only', async () => {
  const dir = suite();
  writeFileSync(
    path.join(dir, 'per.yaml'),
    'table: per\ntitle: P\ndatasets: [alpha, beta]\nrows:\n  A:\n    preference: { negatives: model-top, k: 7 }\n    per_dataset:\n      beta: { preference: { negatives: none } }\n',
  );
  const alpha = await exp(dir, ['config', 'per.yaml', 'A', 'alpha']);
  const beta = await exp(dir, ['config', 'per.yaml', 'A', 'beta']);
  expect(alpha.stdout).toMatch(/preference\.negatives\s+= model-top\s+# row "A"/);
  expect(beta.stdout).toMatch(/preference\.negatives\s+= none\s+# row "A" \(beta\)/);
});
