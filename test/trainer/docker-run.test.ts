// The Docker executor wired into a real table run. No Docker engine runs here, so `docker` is
// test/fixtures/docker/docker: it answers `image inspect`, checks each `run`'s mounts exist and
// runs the container's command on the host with the trainer environment, and logs every call.
// What is checked is what a real engine would be asked, and that the run completes through it.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { repoRoot } from '../../runner/paths.js';
import { bin, experimentsCopy } from '../helpers.js';

const python = process.env.EXP_TRAINER_PYTHON;
const shim = path.join(repoRoot, 'test/fixtures/docker/docker');

test.skipIf(python === undefined)(
  'a table runs its trainer steps through docker run, pinned to the image digest',
  { timeout: 300_000 },
  async () => {
    const dir = experimentsCopy();
    const local = readFileSync(path.join(dir, 'experiments/profiles/local.yaml'), 'utf8');
    writeFileSync(
      path.join(dir, 'experiments/profiles/docker.yaml'),
      local
        .replace('name: local', 'name: docker')
        .replace(/executor: .*/, 'executor: { kind: docker, image: exp-trainers:test, gpus: 0 }'),
    );
    writeFileSync(
      path.join(dir, 'experiments/bm25.yaml'),
      'table: bm25\ntitle: BM25\ndatasets: [multihop-rag]\nrows:\n' +
        '  BM25: { system: bm25, baseline: { k1: 1.2, b: 0.75, method: lucene, stopwords: true, stemmer: english } }\n',
    );
    const log = path.join(dir, 'docker.log');
    const env = {
      CI: 'true',
      EXP_DOCKER: shim,
      SHIM_LOG: log,
      SHIM_IMAGE: 'exp-trainers:test',
      SHIM_PYTHON: python ?? '',
    };
    const r = await execa('node', [bin, 'run', 'experiments/bm25.yaml', '--profile', 'docker'], {
      cwd: dir,
      env,
      reject: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    expect(calls[0]?.slice(0, 2)).toEqual(['image', 'inspect']);
    const run = calls.find((c) => c[0] === 'run') ?? [];
    const image = run[run.indexOf('--workdir') + 2];
    expect(image).toBe(`exp-trainers@sha256:${'ab'.repeat(32)}`);
    expect(run[run.indexOf('--network') + 1]).toBe('none');
    expect(run.slice(-5, -2)).toEqual(['-m', 'trainers', 'bm25']);
    const mounts = run.flatMap((a, i) => (run[i - 1] === '--mount' ? [a] : []));
    // The corpus is read-only; only the step's own staging and work directories are writable.
    expect(mounts.filter((m) => m.includes('/corpus/'))).toHaveLength(1);
    expect(mounts.find((m) => m.includes('/corpus/'))).toMatch(/,readonly$/);
    expect(mounts.filter((m) => !m.endsWith(',readonly'))).toHaveLength(2);
    const table = readFileSync(path.join(dir, 'results/docker/bm25.csv'), 'utf8');
    expect(table).toMatch(/^BM25,/m);

    // Without the image the plan warns, and a run that would need it refuses to start.
    const missing = await execa(
      'node',
      [bin, 'run', 'experiments/bm25.yaml', '--profile', 'docker', '--set', 'baseline.k1=0.9'],
      {
        cwd: dir,
        env: { ...env, SHIM_IMAGE: 'other:tag' },
        reject: false,
      },
    );
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('No such image: exp-trainers:test');
    expect(missing.stderr).toContain('docker build -f trainers/Dockerfile -t exp-trainers:test .');
  },
);
