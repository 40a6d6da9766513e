// Downloads a dataset source to a local path, verified against a pinned sha256 while streaming,
// and renamed into place only when the digest matches: an interrupted or corrupt download leaves
// at most a `<dest>.part-*` file, never a partial `dest`, so rerunning is always safe. An existing
// `dest` with the right digest is kept (no network). This module does not unpack archives.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Result } from '../result.js';
import { err, ok } from '../result.js';
import type { DataError } from './errors.js';

export interface FetchSourceOptions {
  url: string;
  /** Lowercase hex sha256 of the file. */
  sha256: string;
  dest: string;
}

export interface Fetched {
  dest: string;
  bytes: number;
  /** False when `dest` already held the pinned content. */
  downloaded: boolean;
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file), h);
  return h.digest('hex');
}

export async function fetchSource(opts: FetchSourceOptions): Promise<Result<Fetched, DataError>> {
  const expected = opts.sha256.toLowerCase();
  const existing = await stat(opts.dest).catch(() => undefined);
  if (existing?.isFile() === true && (await sha256File(opts.dest)) === expected) {
    return ok({ dest: opts.dest, bytes: existing.size, downloaded: false });
  }
  await mkdir(path.dirname(opts.dest), { recursive: true });
  const part = `${opts.dest}.part-${randomBytes(6).toString('hex')}`;
  try {
    let res: Response;
    try {
      res = await fetch(opts.url);
    } catch (e) {
      return err({ reason: 'download-failed', url: opts.url, detail: (e as Error).message });
    }
    if (!res.ok || res.body === null) {
      return err({
        reason: 'download-failed',
        url: opts.url,
        detail: `HTTP ${String(res.status)} ${res.statusText}`,
      });
    }
    const hash = createHash('sha256');
    let bytes = 0;
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    body.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
    });
    try {
      await pipeline(body, createWriteStream(part));
    } catch (e) {
      return err({ reason: 'download-failed', url: opts.url, detail: (e as Error).message });
    }
    const actual = hash.digest('hex');
    if (actual !== expected)
      return err({ reason: 'checksum-mismatch', url: opts.url, expected, actual });
    await rename(part, opts.dest);
    return ok({ dest: opts.dest, bytes, downloaded: true });
  } finally {
    await rm(part, { force: true });
  }
}
