import { createHash } from 'node:crypto';
import { access, mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { ensureTrainerEnv, trainerCodeHash } from '../../runner/execute/trainer/env.js';
import { repoRoot } from '../../runner/paths.js';

describe('ensureTrainerEnv', () => {
  // An empty pinned file: venv creation and the marker logic run for real, without a download.
  it('builds .exp/envs/<lock hash> once, then reuses it', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'exp-env-'));
    const req = path.join(root, 'requirements.txt');
    await writeFile(req, '# nothing pinned\n');
    const hash = createHash('sha256').update('# nothing pinned\n').digest('hex').slice(0, 16);
    const lines: string[] = [];
    const first = await ensureTrainerEnv({
      root,
      requirementsFile: req,
      onProgress: (l) => lines.push(l),
    });
    expect(first).toEqual({
      ok: true,
      value: {
        python: path.join(root, '.exp', 'envs', hash, 'bin', 'python'),
        lockHash: hash,
        created: true,
      },
    });
    await access(path.join(root, '.exp', 'envs', hash, 'bin', 'python'));
    const second = await ensureTrainerEnv({ root, requirementsFile: req });
    expect(second.ok && second.value.created).toBe(false);
  });

  it('rebuilds a half-built env (no completion marker)', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'exp-env-'));
    const req = path.join(root, 'requirements.txt');
    await writeFile(req, '\n');
    const hash = createHash('sha256').update('\n').digest('hex').slice(0, 16);
    await mkdir(path.join(root, '.exp', 'envs', hash, 'bin'), { recursive: true });
    const r = await ensureTrainerEnv({ root, requirementsFile: req });
    expect(r.ok && r.value.created).toBe(true);
  });

  it('reports a failing pip install as env-failed with the log tail', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'exp-env-'));
    const req = path.join(root, 'requirements.txt');
    await writeFile(req, '--this-is-not-a-pip-option\n');
    const r = await ensureTrainerEnv({ root, requirementsFile: req });
    expect(r.ok).toBe(false);
    if (!r.ok && r.error.reason === 'env-failed') {
      expect(r.error.message).toBe(`pip install -r ${req} failed: exit code 1`);
      expect(r.error.logTail.length).toBeGreaterThan(0);
    } else {
      throw new Error('expected env-failed');
    }
  });
});

describe('trainerCodeHash', () => {
  it('changes with the trainer sources and ignores tests and the benchmark', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'exp-code-'));
    await mkdir(path.join(root, 'trainers', 'tests'), { recursive: true });
    await writeFile(path.join(root, 'trainers', 'sft.py'), 'A = 1\n');
    const h1 = trainerCodeHash(root);
    await writeFile(path.join(root, 'trainers', 'tests', 'test_x.py'), 'B = 2\n');
    await writeFile(path.join(root, 'trainers', 'bench_retrieve.py'), 'C = 3\n');
    expect(trainerCodeHash(root)).toBe(h1);
    await writeFile(path.join(root, 'trainers', 'sft.py'), 'A = 2\n');
    expect(trainerCodeHash(root)).not.toBe(h1);
    expect(trainerCodeHash(repoRoot)).toMatch(/^[0-9a-f]{64}$/);
    expect(
      (await readFile(path.join(repoRoot, 'trainers', '__main__.py'), 'utf8')).length,
    ).toBeGreaterThan(0);
  });
});
