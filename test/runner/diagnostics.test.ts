import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { exp, suite } from '../helpers.js';

test('a misspelled key, a wrong type and an unknown dataset are all reported, located, exit 2', async () => {
  const dir = suite();
  writeFileSync(
    path.join(dir, 'broken.yaml'),
    [
      'table: broken',
      'title: Three mistakes',
      'datasets: [alpha, gamma]',
      'rows:',
      '  Random 5: { preference: { negative: random, k: 5 } }',
      '  Top-5: { preference: { negatives: model-top, k: five } }',
      '',
    ].join('\n'),
  );
  const r = await exp(dir, ['validate', 'broken.yaml']);
  expect(r.exitCode).toBe(2);
  expect(r.all).toBe(
    [
      'broken.yaml:3:19 error: unknown dataset "gamma"',
      ' 3 | datasets: [alpha, gamma]',
      '   |                   ~~~~~',
      '',
      'broken.yaml:5:29 error: unknown key "negative" at "rows.Random 5.preference" (did you mean "negatives"?)',
      ' 5 |   Random 5: { preference: { negative: random, k: 5 } }',
      '   |                             ~~~~~~~~',
      '',
      'broken.yaml:6:51 error: expected integer at "rows.Top-5.preference.k", got string',
      ' 6 |   Top-5: { preference: { negatives: model-top, k: five } }',
      '   |                                                   ~~~~',
      '',
      '3 errors',
    ].join('\n'),
  );
});

test('all three kinds of mistake at once when they sit in different files', async () => {
  const dir = suite();
  writeFileSync(
    path.join(dir, 'a.yaml'),
    'table: a\ntitle: A\ndatasets: [alpha]\nrows:\n  X: { preference: { negative: random } }\n',
  );
  writeFileSync(
    path.join(dir, 'b.yaml'),
    'table: b\ntitle: B\ndatasets: [alpha]\nrows:\n  X: { sft: { epochs: two } }\n',
  );
  writeFileSync(
    path.join(dir, 'c.yaml'),
    'table: c\ntitle: C\ndatasets: [alpah]\nrows:\n  X: {}\n',
  );
  const r = await exp(dir, ['validate', 'a.yaml', 'b.yaml', 'c.yaml']);
  expect(r.exitCode).toBe(2);
  expect(r.all).toContain(
    'a.yaml:5:22 error: unknown key "negative" at "rows.X.preference" (did you mean "negatives"?)',
  );
  expect(r.all).toContain('b.yaml:5:23 error: expected number at "rows.X.sft.epochs", got string');
  expect(r.all).toContain('c.yaml:3:12 error: unknown dataset "alpah" (did you mean "alpha"?)');
  expect(r.all).toContain('3 errors');
});

test('semantic rules: metric not defined for a dataset, a row that changes nothing, unknown profile', async () => {
  const dir = suite();
  writeFileSync(
    path.join(dir, 't.yaml'),
    'table: t\ntitle: T\ndatasets: [beta]\nrows:\n  A: {}\n  B: { combine: concat }\n  C: { metrics: [map@10] }\n',
  );
  const r = await exp(dir, ['validate', 't.yaml']);
  expect(r.exitCode).toBe(2);
  expect(r.all).toContain(
    't.yaml:7:17 error: metric "map@10" is not defined for dataset beta; it defines hit@1, hit@5, hit@10, mrr@10',
  );
  writeFileSync(
    path.join(dir, 't.yaml'),
    'table: t\ntitle: T\ndatasets: [beta]\nrows:\n  A: {}\n  B: { combine: concat }\n',
  );
  const w = await exp(dir, ['validate', 't.yaml']);
  expect(w.exitCode).toBe(0);
  expect(w.all).toContain(
    't.yaml:6:3 warning: row "B" resolves to the same beta cell as row "A": this ablation changes nothing',
  );
  const p = await exp(dir, ['validate', 't.yaml', '--profile', 'locl']);
  expect(p.exitCode).toBe(2);
  expect(p.all).toContain('unknown profile "locl" (did you mean "local"?); profiles: local');
});
