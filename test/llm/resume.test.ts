import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { generateForUnits, type QueryRecord } from '../../runner/llm/generate.js';
import { CallStore, type StoredCall } from '../../runner/llm/store.js';
import { startFakeServer, type FakeServer } from './fake-server.js';
import { resumeRun, tempDir } from './helpers.js';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'resume-child.js');
const N = 40;

/** Runs the child until it reports `killAt` settled units, then SIGKILLs it. */
function runAndKill(args: object, killAt: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffer = '';
    p.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const msg = JSON.parse(line) as { done?: number };
        if ((msg.done ?? 0) >= killAt) p.kill('SIGKILL');
      }
    });
    p.on('error', reject);
    p.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child ended without being killed (${String(signal)})`));
    });
  });
}

async function generate(baseURL: string, cacheRoot: string): Promise<QueryRecord[]> {
  const r = await generateForUnits(resumeRun(N, baseURL, cacheRoot));
  if (!r.ok) throw new Error(r.error.reason);
  return r.value.records;
}

let server: FakeServer | undefined;
const dirs: ReturnType<typeof tempDir>[] = [];
afterEach(async () => {
  await server?.close();
  for (const d of dirs.splice(0)) d.remove();
});

describe('resume after SIGKILL', () => {
  it('never repeats an accepted request and ends with the records of an uninterrupted run', async () => {
    server = await startFakeServer({ latencyMs: 40 });
    const [killed, clean] = [tempDir(), tempDir()];
    dirs.push(killed, clean);
    const baseURL = `${server.url}/v1`;
    await runAndKill({ baseURL, cacheRoot: killed.dir, n: N }, N / 2);

    const store = new CallStore(killed.dir);
    const acceptedKeys = await store.keys();
    const acceptedPrompts = new Set(
      acceptedKeys.map(
        (k) => (JSON.parse(readFileSync(store.pathOf(k), 'utf8')) as StoredCall).request.prompt,
      ),
    );
    expect(acceptedKeys.length).toBeGreaterThanOrEqual(N / 2);
    expect(acceptedKeys.length).toBeLessThan(N);
    const beforeResume = server.log.length;

    const resumed = await generate(baseURL, killed.dir);
    const resumeLog = server.log.slice(beforeResume);
    // Not one request whose response had been accepted before the kill is made again, and each
    // missing one is made exactly once.
    expect(resumeLog.filter((e) => acceptedPrompts.has(e.prompt))).toEqual([]);
    expect(new Set(resumeLog.map((e) => e.prompt)).size).toBe(resumeLog.length);
    expect(resumeLog.length).toBe(N - acceptedKeys.length);
    expect(await store.keys()).toHaveLength(N);

    expect(resumed).toEqual(await generate(baseURL, clean.dir));
    expect(resumed).toHaveLength(N * 5);
  });
});
