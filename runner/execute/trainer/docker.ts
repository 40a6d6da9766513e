// The Docker trainer executor's invocation: builds the `docker run` argument list and resolves an
// image tag to a content digest (for the cache key, at plan time). Inputs are mounted read-only at
// their host paths, so the spec's absolute paths stay valid inside the container; the step's
// output and work directories are the only writable mounts. The repository's `trainers/` is
// mounted over the image's copy, so the code that runs is the code in the step's key and the
// image supplies only the environment. Does not run training itself (local.ts runs the built
// command like any other child process) and does not build images.

import { err, ok, type Result } from '../../result.js';
import { runProcess } from './process.js';

export interface DockerRunOptions {
  image: string;
  /** Host paths the step reads; mounted read-only at the same path. */
  inputs: string[];
  /** The step's output and work directories (spec.json, checkpoints): the only writable mounts. */
  writable: string[];
  gpus: number[];
  /** The trainer's command line inside the image, e.g. `python -m trainers sft --spec …`. */
  argv: string[];
  /** The repository's `trainers/` directory, mounted read-only over the image's copy. */
  code: string;
  /** Container name, so a cancelled run can be removed even if the client is killed first. */
  name: string;
  /** `none` for training; `bridge` only where a step must reach a registry. */
  network: 'none' | 'bridge';
  /** `uid:gid` the trainer runs as, so outputs belong to the user; the current user by default. */
  user?: string;
}

/** Where the image keeps the trainer package (trainers/Dockerfile's WORKDIR). */
export const IMAGE_ROOT = '/opt/exp';

function currentUser(): string {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return `${uid}:${gid}`;
}

function mount(hostPath: string, mode: 'ro' | 'rw', target = hostPath): string[] {
  if (hostPath.includes(',')) {
    // --mount splits on commas; a path containing one cannot be expressed.
    throw new Error(`internal error: mount path contains a comma: ${hostPath}`);
  }
  return [
    '--mount',
    `type=bind,source=${hostPath},target=${target}${mode === 'ro' ? ',readonly' : ''}`,
  ];
}

/** Arguments for `docker` (without the leading `docker`). */
export function dockerRunArgs(opts: DockerRunOptions): string[] {
  const args = ['run', '--rm', '--name', opts.name, '--network', opts.network];
  args.push('--user', opts.user ?? currentUser());
  if (opts.gpus.length > 0) {
    // The value is CSV-parsed by docker: the quotes keep "device=0,1" one field.
    args.push('--gpus', `"device=${opts.gpus.join(',')}"`);
  }
  // Root filesystem read-only; libraries that want a cache or home get a private /tmp.
  args.push('--read-only', '--tmpfs', '/tmp', '--shm-size', '16g');
  args.push('-e', 'HOME=/tmp', '-e', 'HF_HOME=/tmp/hf', '-e', 'PYTHONUNBUFFERED=1');
  if (opts.network === 'none') args.push('-e', 'HF_HUB_OFFLINE=1');
  const readOnly = [...new Set(opts.inputs)].filter((p) => !opts.writable.includes(p)).sort();
  for (const p of readOnly) args.push(...mount(p, 'ro'));
  args.push(...mount(opts.code, 'ro', `${IMAGE_ROOT}/trainers`));
  for (const p of opts.writable) args.push(...mount(p, 'rw'));
  args.push('--workdir', IMAGE_ROOT, opts.image, ...opts.argv);
  return args;
}

export type DockerFailure =
  | { reason: 'docker-unavailable'; message: string }
  | { reason: 'image-not-found'; message: string };

/** The image's content digest (`sha256:…`; a local build's image id when it has no repo digest)
 * and the reference that runs exactly that image (`name@sha256:…`, or the id). */
export async function resolveImageDigest(
  image: string,
  docker = 'docker',
): Promise<Result<{ image: string; digest: string; ref: string }, DockerFailure>> {
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
  const pinned = repoDigests?.[0];
  return ok({ image, digest: pinned?.split('@')[1] ?? id, ref: pinned ?? id });
}
