import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { events, exp, fakeEnv, invocations, startUntil, suite } from '../helpers.js';

test('a second run executes nothing; one changed knob re-runs exactly the steps whose slice changed', async () => {
  const dir = suite();
  const first = await exp(dir, ['run', 'negatives.yaml', '--reporter', 'json']);
  expect(first.exitCode).toBe(0);
  // 2 datasets: source, prepare, train are shared by the 3 rows; tune + evaluate differ per row.
  expect(invocations(dir)).toEqual({ source: 2, prepare: 2, train: 2, tune: 6, evaluate: 6 });

  const again = await exp(dir, ['run', 'negatives.yaml', '--reporter', 'json']);
  expect(again.exitCode).toBe(0);
  expect(invocations(dir)).toEqual({ source: 2, prepare: 2, train: 2, tune: 6, evaluate: 6 });
  const plan = events(again.stdout).find((e) => e.type === 'plan');
  expect(plan).toMatchObject({ steps: 18, cached: 18, toRun: 0 });

  // preference.k is read by tune only (and --set wins over every row): every tune and evaluate
  // re-runs, nothing upstream does.
  await exp(dir, ['run', 'negatives.yaml', '--set', 'preference.k=3', '--reporter', 'json']);
  expect(invocations(dir)).toEqual({ source: 2, prepare: 2, train: 2, tune: 12, evaluate: 12 });
  // combine is read by prepare: one dataset's prepare changes (beta already concatenates) and
  // everything downstream of it, for that dataset only.
  await exp(dir, ['run', 'negatives.yaml', '--set', 'combine=concat', '--reporter', 'json']);
  expect(invocations(dir)).toEqual({ source: 2, prepare: 3, train: 3, tune: 15, evaluate: 15 });
});

test('identical steps are one node across tables', async () => {
  const dir = suite();
  const r = await exp(dir, ['plan', 'negatives.yaml', 'granularity.yaml', '--json']);
  const plan = JSON.parse(r.stdout) as {
    kinds: { kind: string; distinct: number; cells: number }[];
  };
  // granularity's "Chunk+Sent" alpha cell is the same configuration as negatives' "SFT" alpha cell.
  expect(plan.kinds.find((k) => k.kind === 'evaluate')).toMatchObject({ distinct: 7, cells: 8 });
  expect(plan.kinds.find((k) => k.kind === 'train')).toMatchObject({ distinct: 3, cells: 8 });
});

test('kill -9 mid-run: the next run resumes without redoing completed steps; verify is clean', async () => {
  const dir = suite();
  // Wait until the first tune step has started, then kill the whole runner without warning.
  const { child, streamed: output } = await startUntil(
    dir,
    ['run', 'negatives.yaml', '--reporter', 'json', '--set', 'fake.sleep.tune=1500', '--jobs', '1'],
    fakeEnv(dir),
    (e) => e.type === 'step-start' && e.kind === 'tune',
  );
  const streamed = output();
  child.kill('SIGKILL');
  await child;
  const before = invocations(dir);
  expect(before.train).toBe(2);
  const verify1 = await exp(dir, ['cache', 'verify']);
  expect(verify1.exitCode).toBe(0);

  const resumed = await exp(dir, [
    'run',
    'negatives.yaml',
    '--reporter',
    'json',
    '--set',
    'fake.sleep.tune=1500',
  ]);
  expect(resumed.exitCode).toBe(0);
  const after = invocations(dir);
  expect(after.source).toBe(2);
  expect(after.train).toBe(2);
  // No step that completed before the kill starts again; the one that was running does.
  const completed = new Set(
    events(streamed)
      .filter((e) => e.type === 'step-done')
      .map((e) => e.key),
  );
  const restarted = events(resumed.stdout)
    .filter((e) => e.type === 'step-start')
    .map((e) => e.key);
  expect(completed.size).toBeGreaterThan(0);
  expect(restarted.filter((k) => completed.has(k))).toEqual([]);
  expect(after.tune).toBeLessThanOrEqual(7);
  const verify2 = await exp(dir, ['cache', 'verify']);
  expect(verify2.all).toContain('cache verified');
});

test('two exp processes on one cache run each step once', async () => {
  const dir = suite();
  const a = exp(dir, [
    'run',
    'negatives.yaml',
    '--reporter',
    'json',
    '--set',
    'fake.sleep.train=800',
  ]);
  const b = exp(dir, [
    'run',
    'negatives.yaml',
    '--reporter',
    'json',
    '--set',
    'fake.sleep.train=800',
  ]);
  const [ra, rb] = await Promise.all([a, b]);
  expect(ra.exitCode).toBe(0);
  expect(rb.exitCode).toBe(0);
  expect(invocations(dir)).toEqual({ source: 2, prepare: 2, train: 2, tune: 6, evaluate: 6 });
  expect(readFileSync(path.join(dir, 'results/local/negatives.csv'), 'utf8')).not.toContain(
    'missing',
  );
});

test('--keep-going: dependents of a failed step are skipped, independent cells finish, CSV marks them, exit 1', async () => {
  const dir = suite();
  // Make the Random 5 row's tune step fail (only that row sets this knob).
  const yaml = readFileSync(path.join(dir, 'negatives.yaml'), 'utf8').replace(
    'Random 5: { preference: { negatives: random, k: 5 } }',
    'Random 5: { preference: { negatives: random, k: 5 }, fake: { fail: { tune: true } } }',
  );
  writeFileSync(path.join(dir, 'negatives.yaml'), yaml);
  const r = await exp(dir, ['run', 'negatives.yaml', '--keep-going', '--reporter', 'json']);
  expect(r.exitCode).toBe(1);
  const ev = events(r.stdout);
  expect(ev.filter((e) => e.type === 'step-failed')).toHaveLength(2);
  expect(ev.filter((e) => e.type === 'step-skipped').map((e) => e.kind)).toEqual([
    'evaluate',
    'evaluate',
  ]);
  expect(invocations(dir).evaluate).toBe(4);
  const csv = readFileSync(path.join(dir, 'results/local/negatives.csv'), 'utf8').split('\n');
  expect(csv[2]?.startsWith('Random 5,failed,')).toBe(true);
  expect(csv[1]).not.toContain('failed');
  expect(csv[3]).not.toContain('failed');
});

test('without --keep-going a failure stops new launches', async () => {
  const dir = suite();
  const r = await exp(dir, [
    'run',
    'negatives.yaml',
    '--reporter',
    'json',
    '--jobs',
    '1',
    '--set',
    'fake.fail.source=true',
  ]);
  expect(r.exitCode).toBe(1);
  expect(invocations(dir)).toEqual({ source: 1 });
});

test('a cell this profile cannot compute stops the run at plan time, or is marked blocked with --keep-going', async () => {
  const dir = suite();
  const file = path.join(dir, 'negatives.yaml');
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace(
      'Top-5 negative: { preference: { negatives: model-top, k: 5 } }',
      'Top-5 negative: { preference: { negatives: model-top, k: 5 }, fake: { blocked: { tune: "needs a GPU" } } }',
    ),
  );
  const refused = await exp(dir, ['run', 'negatives.yaml']);
  expect(refused.exitCode).toBe(2);
  expect(refused.stderr).toContain(
    'cannot run tune in profile local: needs a GPU (needed by negatives/Top-5 negative/alpha',
  );
  expect(invocations(dir)).toEqual({});
  const r = await exp(dir, ['run', 'negatives.yaml', '--keep-going']);
  expect(r.exitCode).toBe(1);
  const csv = readFileSync(path.join(dir, 'results/local/negatives.csv'), 'utf8').split('\n');
  expect(csv[3]?.startsWith('Top-5 negative,blocked,')).toBe(true);
  expect(csv[1]).not.toMatch(/blocked|missing|failed/);
  const check = await exp(dir, ['tables', 'negatives.yaml', '--check']);
  expect(check.exitCode, check.stderr).toBe(0);
});

test.each(['SIGINT', 'SIGTERM'] as const)(
  '%s stops launching, ends running steps and their processes, and leaves the cache consistent',
  async (signal) => {
    const dir = suite();
    const { child } = await startUntil(
      dir,
      ['run', 'negatives.yaml', '--reporter', 'json', '--set', 'fake.sleep.train=20000'],
      fakeEnv(dir),
      (e) => e.type === 'step-start' && e.kind === 'train',
    );
    const t0 = Date.now();
    child.kill(signal);
    const r = await child;
    // The 20 s fake training was ended, not waited for.
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.exitCode).toBe(1);
    expect(events(r.stdout).some((e) => e.type === 'interrupted')).toBe(true);
    expect(events(r.stdout).some((e) => e.type === 'step-done' && e.kind === 'train')).toBe(false);
    expect((await exp(dir, ['cache', 'verify'])).stdout).toContain('cache verified');
    const again = await exp(dir, [
      'run',
      'negatives.yaml',
      '--reporter',
      'json',
      '--set',
      'fake.sleep.train=10',
    ]);
    expect(again.exitCode).toBe(0);
  },
);
