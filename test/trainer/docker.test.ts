import { describe, expect, it } from 'vitest';

import { dockerRunArgs, resolveImageDigest } from '../../runner/execute/trainer/docker.js';

const base = {
  image: 'exp-trainers@sha256:abc',
  inputs: ['/cache/sft-data/k1', '/cache/train-sft/k2'],
  writable: ['/cache/.tmp/k3', '/cache/.work/k3'],
  argv: ['python', '-m', 'trainers', 'rpo', '--spec', '/cache/.work/k3/spec.json'],
  code: '/repo/trainers',
  name: 'exp-k3',
  user: '1000:1000',
} as const;

const mounts = (args: string[]) => args.flatMap((a, i) => (args[i - 1] === '--mount' ? [a] : []));

describe('dockerRunArgs', () => {
  it('mounts inputs and the code read-only, output and work writable, and runs without network', () => {
    const args = dockerRunArgs({
      ...base,
      inputs: [...base.inputs],
      writable: [...base.writable],
      argv: [...base.argv],
      gpus: [0, 1],
      network: 'none',
    });
    expect(args.slice(0, 8)).toEqual([
      'run',
      '--rm',
      '--name',
      'exp-k3',
      '--network',
      'none',
      '--user',
      '1000:1000',
    ]);
    expect(args[args.indexOf('--gpus') + 1]).toBe('"device=0,1"');
    expect(mounts(args)).toEqual([
      'type=bind,source=/cache/sft-data/k1,target=/cache/sft-data/k1,readonly',
      'type=bind,source=/cache/train-sft/k2,target=/cache/train-sft/k2,readonly',
      'type=bind,source=/repo/trainers,target=/opt/exp/trainers,readonly',
      'type=bind,source=/cache/.tmp/k3,target=/cache/.tmp/k3',
      'type=bind,source=/cache/.work/k3,target=/cache/.work/k3',
    ]);
    expect(args).toContain('--read-only');
    expect(args).toContain('HF_HUB_OFFLINE=1');
    expect(args.slice(-9)).toEqual(['--workdir', '/opt/exp', base.image, ...base.argv]);
  });

  it('asks for no GPU when the step has none, and allows network only when asked', () => {
    const args = dockerRunArgs({
      ...base,
      inputs: [],
      writable: [...base.writable],
      argv: [...base.argv],
      gpus: [],
      network: 'bridge',
    });
    expect(args).not.toContain('--gpus');
    expect(args[args.indexOf('--network') + 1]).toBe('bridge');
    expect(args).not.toContain('HF_HUB_OFFLINE=1');
  });

  it('defaults --user to the current user', () => {
    const args = dockerRunArgs({
      ...base,
      user: undefined,
      inputs: [],
      writable: [...base.writable],
      argv: [...base.argv],
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
