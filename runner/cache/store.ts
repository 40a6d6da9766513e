// The content-addressed step cache (DESIGN "Cache entry"): `<root>/<kind>/<key>/` holds the
// step's files plus `manifest.json` with the sha256 of every file. Entries are built in
// `<root>/.tmp/` and renamed into place, so an entry without a valid manifest does not exist and
// a crash at any moment leaves the cache consistent. Does not decide what to run.

import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Json } from '../result.js';
import { processAlive } from './lock.js';
import type { PlannedStep } from '../plan/graph.js';
import type { StepKey, StepReport } from '../plan/step.js';

export interface FileEntry {
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  key: StepKey;
  kind: string;
  version: number;
  label: string;
  slice: Json;
  inputs: Record<string, StepKey>;
  env: Record<string, string>;
  files: FileEntry[];
  report: StepReport;
  timings: { started: string; finished: string; seconds: number };
  provenance: Json;
}

export class Cache {
  constructor(
    readonly root: string,
    readonly readOnly = false,
  ) {}

  dir(kind: string, key: StepKey): string {
    return path.join(this.root, kind, key);
  }
  lockFile(key: StepKey): string {
    return path.join(this.root, '.locks', `${key}.lock`);
  }
  workDir(key: StepKey): string {
    return path.join(this.root, '.work', key);
  }

  async manifest(kind: string, key: StepKey): Promise<Manifest | undefined> {
    try {
      const m = JSON.parse(
        await readFile(path.join(this.dir(kind, key), 'manifest.json'), 'utf8'),
      ) as Manifest;
      return m.key === key ? m : undefined;
    } catch {
      return undefined;
    }
  }

  async has(kind: string, key: StepKey): Promise<boolean> {
    return (await this.manifest(kind, key)) !== undefined;
  }

  /** A fresh temporary directory for a step's outputs. */
  async staging(key: StepKey): Promise<string> {
    const dir = path.join(this.root, '.tmp', `${key}-${String(process.pid)}-${String(Date.now())}`);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Hashes the staged files, writes the manifest and renames the directory into place. */
  async publish(
    staged: string,
    step: PlannedStep,
    extra: Pick<Manifest, 'report' | 'timings' | 'provenance'>,
  ): Promise<Manifest> {
    const files = await hashTree(staged);
    const manifest: Manifest = {
      key: step.key,
      kind: step.kind,
      version: step.version,
      label: step.label,
      slice: step.slice,
      inputs: step.inputs,
      env: step.env,
      files,
      ...extra,
    };
    await writeFile(path.join(staged, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const final = this.dir(step.kind, step.key);
    await mkdir(path.dirname(final), { recursive: true });
    // A directory left at the final path without a manifest (it cannot be: rename is atomic, but
    // a user may have deleted the manifest) is not an entry; replace it.
    if (existsSync(final) && !(await this.has(step.kind, step.key)))
      await rm(final, { recursive: true, force: true });
    await rename(staged, final);
    await rm(this.workDir(step.key), { recursive: true, force: true });
    return manifest;
  }

  async entries(): Promise<{ kind: string; key: StepKey; dir: string }[]> {
    const out: { kind: string; key: StepKey; dir: string }[] = [];
    if (!existsSync(this.root)) return out;
    for (const kind of (await readdir(this.root)).sort()) {
      if (kind.startsWith('.')) continue;
      const kdir = path.join(this.root, kind);
      if (!(await stat(kdir)).isDirectory()) continue;
      for (const key of (await readdir(kdir)).sort())
        out.push({ kind, key: key as StepKey, dir: path.join(kdir, key) });
    }
    return out;
  }

  /** Re-hashes every file of every entry; returns one line per problem. */
  async verify(): Promise<string[]> {
    const problems: string[] = [];
    for (const e of await this.entries()) {
      const m = await this.manifest(e.kind, e.key);
      if (!m) {
        problems.push(`${e.kind}/${e.key}: no valid manifest`);
        continue;
      }
      const actual = new Map((await hashTree(e.dir)).map((f) => [f.path, f]));
      for (const f of m.files) {
        const a = actual.get(f.path);
        if (!a) problems.push(`${e.kind}/${e.key}: ${f.path} is missing`);
        else if (a.sha256 !== f.sha256)
          problems.push(`${e.kind}/${e.key}: ${f.path} changed (sha256 differs)`);
        actual.delete(f.path);
      }
      for (const extra of actual.keys())
        problems.push(`${e.kind}/${e.key}: ${extra} is not in the manifest`);
    }
    return problems;
  }

  /** Removes entries whose key is not in `keep`, and leftovers of dead runs. */
  async gc(keep: Set<StepKey>): Promise<{ removed: number; bytes: number }> {
    let removed = 0;
    let bytes = 0;
    for (const e of await this.entries()) {
      if (keep.has(e.key)) continue;
      bytes += (await hashTree(e.dir, false)).reduce((s, f) => s + f.size, 0);
      await rm(e.dir, { recursive: true, force: true });
      removed++;
    }
    for (const sub of ['.tmp', '.work']) {
      const dir = path.join(this.root, sub);
      if (!existsSync(dir)) continue;
      for (const name of await readdir(dir)) {
        const key = name.slice(0, 64) as StepKey;
        // Staging directories are named <key>-<pid>-<time>: keep those of a live run.
        const pid = Number(name.split('-')[1]);
        const live = sub === '.tmp' && pid > 0 && processAlive(pid);
        if (!live && (sub === '.tmp' || !keep.has(key)))
          await rm(path.join(dir, name), { recursive: true, force: true });
      }
    }
    return { removed, bytes };
  }
}

export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Every file under `dir` (except the manifest), sorted, with size and sha256. */
export async function hashTree(dir: string, withHash = true): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const d of (await readdir(path.join(dir, rel), { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (r === 'manifest.json') continue;
      if (d.isDirectory()) await walk(r);
      else {
        const abs = path.join(dir, r);
        out.push({
          path: r,
          size: (await stat(abs)).size,
          sha256: withHash ? await hashFile(abs) : '',
        });
      }
    }
  };
  await walk('');
  return out;
}
