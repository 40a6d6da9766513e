import { describe, expect, it } from 'vitest';

import { dockerRunArgs, resolveImageDigest } from '../../runner/execute/trainer/docker.js';

const base = {
  image: 'exp-trainers@sha256:abc',
  inputs: ['/cache/sft-data/k1', '/cache/train-sft/k2/model'],
  outputDir: '/cache/train-rpo/k3',
  command: 'rpo',
  specPath: '/work/run/spec.json',
  user: '1000:1000',
} as const;

describe('dockerRunArgs', () => {
  it('mounts inputs read-only, the output dir writable, and runs the trainer without network', () => {
    const args = dockerRunArgs({
      ...base,
      inputs: [...base.inputs],
      gpus: [0, 1],
      network: 'none',
    });
    expect(args.slice(0, 6)).toEqual(['run', '--rm', '--network', 'none', '--user', '1000:1000']);
    expect(args[args.indexOf('--gpus') + 1]).toBe('"device=0,1"');
    const mounts = args.flatMap((a, i) => (args[i - 1] === '--mount' ? [a] : []));
    expect(mounts).toEqual([
      'type=bind,source=/cache/sft-data/k1,target=/cache/sft-data/k1,readonly',
      'type=bind,source=/cache/train-sft/k2/model,target=/cache/train-sft/k2/model,readonly',
      'type=bind,source=/work/run/spec.json,target=/work/run/spec.json,readonly',
      'type=bind,source=/cache/train-rpo/k3,target=/cache/train-rpo/k3',
    ]);
    expect(args).toContain('--read-only');
    expect(args).toContain('HF_HUB_OFFLINE=1');
    expect(args.slice(-7)).toEqual([
      base.image,
      'python',
      '-m',
      'trainers',
      'rpo',
      '--spec',
      base.specPath,
    ]);
  });

  it('asks for no GPU when the step has none, and allows network only when asked', () => {
    const args = dockerRunArgs({ ...base, inputs: [...base.inputs], gpus: [], network: 'bridge' });
    expect(args).not.toContain('--gpus');
    expect(args[args.indexOf('--network') + 1]).toBe('bridge');
    expect(args).not.toContain('HF_HUB_OFFLINE=1');
  });

  it('defaults --user to the current user', () => {
    const { image, outputDir, command, specPath } = base;
    const args = dockerRunArgs({
      image,
      outputDir,
      command,
      specPath,
      inputs: [],
      gpus: [],
      network: 'none',
    });
    expect(args[args.indexOf('--user') + 1]).toBe(`${process.getuid?.()}:${process.getgid?.()}`);
  });
});

describe('resolveImageDigest', () => {
  it('fails with a clear message when docker is not installed', async () => {
    const r = await resolveImageDigest('exp-trainers:latest', 'docker-not-installed-here');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.reason).toBe('docker-unavailable');
      expect(r.error.message).toContain('install Docker or use the local executor');
    }
  });
});
