// The call store: each accepted LLM response under the hash of its request, written the moment
// it is accepted (temp file, fsync, rename) so that a SIGKILL at any point neither loses nor
// corrupts an accepted call, and a resumed run never pays for it again. Rejected responses are
// kept apart for inspection and never read back as successes. Deciding what is accepted is
// calls.ts's job.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChatResponse, ProviderName } from './types.js';

/** What identifies a paid call; its sha256 over canonical JSON is the store key. */
export interface CallIdentity {
  provider: ProviderName;
  model: string;
  prompt: string;
  temperature: number;
  max_tokens: number;
  sample: number;
}

export interface StoredCall {
  key: string;
  request: CallIdentity;
  response: ChatResponse;
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function callKey(identity: CallIdentity): string {
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

export class CallStore {
  readonly acceptedDir: string;
  readonly rejectedDir: string;
  private readonly made = new Set<string>();

  constructor(cacheRoot: string) {
    // Dot-directories: the call store sits beside the step entries but is not one of them.
    this.acceptedDir = path.join(cacheRoot, '.llm');
    this.rejectedDir = path.join(cacheRoot, '.llm-rejected');
  }

  pathOf(key: string): string {
    return path.join(this.acceptedDir, key.slice(0, 2), `${key}.json`);
  }

  async get(key: string): Promise<StoredCall | undefined> {
    const file = this.pathOf(key);
    // Most lookups miss on a fresh run; a synchronous stat answers that without a thread-pool
    // round trip or an exception, which matters at hundreds of calls per second.
    if (!existsSync(file)) return undefined;
    const text = await readFile(file, 'utf8');
    const call = JSON.parse(text) as StoredCall;
    // A file is only ever renamed into place complete, so a mismatch means tampering or a bug.
    if (call.key !== key)
      throw new Error(`internal error: call store entry ${this.pathOf(key)} holds key ${call.key}`);
    return call;
  }

  async put(call: StoredCall): Promise<void> {
    const file = this.pathOf(call.key);
    await this.ensureDir(path.dirname(file));
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    // `flush` fsyncs the data before the file is closed.
    await writeFile(tmp, JSON.stringify(call), { flush: true });
    // rename is atomic: readers see no file or the whole file. The directory is not fsynced:
    // losing the entry to a power cut only means paying for that call again.
    await rename(tmp, file);
  }

  /** Keeps a rejected response's raw text; returns where. */
  async reject(key: string, request: CallIdentity, raw: string, why: string): Promise<string> {
    await this.ensureDir(this.rejectedDir);
    const file = path.join(this.rejectedDir, `${key}.json`);
    await writeFile(file, JSON.stringify({ key, request, why, raw }, null, 2));
    return file;
  }

  /** Keys of every accepted call, for reports and tests. */
  async keys(): Promise<string[]> {
    const out: string[] = [];
    let shards: string[];
    try {
      shards = await readdir(this.acceptedDir);
    } catch {
      return out;
    }
    for (const shard of shards) {
      for (const name of await readdir(path.join(this.acceptedDir, shard))) {
        if (name.endsWith('.json')) out.push(name.slice(0, -'.json'.length));
      }
    }
    return out.sort();
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.made.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.made.add(dir);
  }
}
