// The Docker trainer executor's invocation: builds the `docker run` argument list and resolves an
// image tag to a content digest (for the cache key, at plan time). Inputs are mounted read-only at
// their host paths, so the spec's absolute paths stay valid inside the container; the output
// directory is the only writable mount. Does not run training itself (local.ts runs the built
// command like any other child process) and does not build images.

import { err, ok, type Result } from '../../result.js';
import { runProcess } from './process.js';

export interface DockerRunOptions {
  image: string;
  /** Host paths the step reads; mounted read-only at the same path. */
  inputs: string[];
  /** The step's output directory: the only writable mount. */
  outputDir: string;
  gpus: number[];
  command: string;
  /** spec.json, mounted read-only at the same path. */
  specPath: string;
  /** `none` for training; `bridge` only where a step must reach a registry. */
  network: 'none' | 'bridge';
  /** `uid:gid` the trainer runs as, so outputs belong to the user; the current user by default. */
  user?: string;
}

function currentUser(): string {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return `${uid}:${gid}`;
}

function mount(hostPath: string, mode: 'ro' | 'rw'): string[] {
  if (hostPath.includes(',')) {
    // --mount splits on commas; a path containing one cannot be expressed.
    throw new Error(`internal error: mount path contains a comma: ${hostPath}`);
  }
  return [
    '--mount',
    `type=bind,source=${hostPath},target=${hostPath}${mode === 'ro' ? ',readonly' : ''}`,
  ];
}

/** Arguments for `docker` (without the leading `docker`). */
export function dockerRunArgs(opts: DockerRunOptions): string[] {
  const args = ['run', '--rm', '--network', opts.network, '--user', opts.user ?? currentUser()];
  if (opts.gpus.length > 0) {
    // The value is CSV-parsed by docker: the quotes keep "device=0,1" one field.
    args.push('--gpus', `"device=${opts.gpus.join(',')}"`);
  }
  // Root filesystem read-only; libraries that want a cache or home get a private /tmp.
  args.push('--read-only', '--tmpfs', '/tmp', '--shm-size', '16g');
  args.push('-e', 'HOME=/tmp', '-e', 'HF_HOME=/tmp/hf', '-e', 'PYTHONUNBUFFERED=1');
  if (opts.network === 'none') args.push('-e', 'HF_HUB_OFFLINE=1');
  const readOnly = [...new Set([...opts.inputs, opts.specPath])]
    .filter((p) => p !== opts.outputDir)
    .sort();
  for (const p of readOnly) args.push(...mount(p, 'ro'));
  args.push(...mount(opts.outputDir, 'rw'));
  args.push(opts.image, 'python', '-m', 'trainers', opts.command, '--spec', opts.specPath);
  return args;
}

export type DockerFailure =
  | { reason: 'docker-unavailable'; message: string }
  | { reason: 'image-not-found'; message: string };

/** The image's content digest (`sha256:…`); a local build's image id when it has no repo digest. */
export async function resolveImageDigest(
  image: string,
  docker = 'docker',
): Promise<Result<{ image: string; digest: string }, DockerFailure>> {
  const out: string[] = [];
  const errLines: string[] = [];
  const outcome = await runProcess({
    command: docker,
    args: ['image', 'inspect', '--format', '{{json .RepoDigests}} {{.Id}}', image],
    cwd: process.cwd(),
    onStdoutLine: (l) => out.push(l),
    onStderrLine: (l) => errLines.push(l),
  });
  if (outcome.kind === 'spawn-failed') {
    return err({
      reason: 'docker-unavailable',
      message: `cannot run '${docker}' (${outcome.code ?? outcome.message}): install Docker or use the local executor`,
    });
  }
  if (outcome.kind !== 'exited' || outcome.code !== 0) {
    const why = errLines.find((l) => l.trim() !== '') ?? 'docker image inspect failed';
    return err({ reason: 'image-not-found', message: `image ${image}: ${why}` });
  }
  const line = out.join(' ').trim();
  const space = line.lastIndexOf(' ');
  const repoDigests = JSON.parse(line.slice(0, space)) as string[] | null;
  const id = line.slice(space + 1);
  const repoDigest = repoDigests?.[0]?.split('@')[1];
  return ok({ image, digest: repoDigest ?? id });
}
