// One cross-process lock per step key, so two `exp` processes never run the same step twice.
// A lock is a file created with O_EXCL holding the owner's pid and host; a lock whose owner
// process is gone (kill -9, crash) is stale and is taken over. Does not know what is locked.

import { hostname } from 'node:os';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface Lock {
  release(): Promise<void>;
}

interface Owner {
  pid: number;
  host: string;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function owner(file: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

/** Takes the lock at `file` if free or stale; otherwise undefined (someone alive holds it). */
export async function tryLock(file: string): Promise<Lock | undefined> {
  await mkdir(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(JSON.stringify({ pid: process.pid, host: hostname() }));
      await fh.close();
      return { release: () => unlink(file).catch(() => undefined) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = await owner(file);
    // A lock file still empty is being written by its creator right now: treat it as held.
    if (held === undefined) return undefined;
    if (held.host === hostname() && !processAlive(held.pid)) {
      // Move the stale lock aside atomically so that only one contender removes it.
      const aside = `${file}.stale-${String(process.pid)}`;
      try {
        await rename(file, aside);
        await unlink(aside);
      } catch {
        /* another process took it over first; try again */
      }
      continue;
    }
    return undefined;
  }
  return undefined;
}
