// Where a result came from: git commit, dirty flag and a hash of the uncommitted diff, plus the
// runtime. Recorded in every manifest and result record; never part of a cache key.

import { createHash } from 'node:crypto';
import { simpleGit } from 'simple-git';
import type { Json } from '../result.js';

export async function provenance(repoRoot: string): Promise<Json> {
  const runtime = { node: process.version, platform: `${process.platform}-${process.arch}` };
  try {
    const git = simpleGit(repoRoot);
    if (!(await git.checkIsRepo())) return { git: null, ...runtime };
    const commit = (await git.revparse(['HEAD']).catch(() => '')) || null;
    const status = await git.status();
    const diff = status.isClean() ? '' : await git.diff(['HEAD']).catch(() => '');
    return {
      git: {
        commit,
        dirty: !status.isClean(),
        diff_sha256: diff ? createHash('sha256').update(diff).digest('hex') : null,
      },
      ...runtime,
    };
  } catch {
    return { git: null, ...runtime };
  }
}
