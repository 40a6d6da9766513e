// Benchmark of the LLM calls layer against the local fake server (200 ms latency, run in a
// child process so its CPU is not counted): throughput at concurrency 32 against the bound
// 32 / 0.2 s, the achieved rate under a requests-per-minute cap, and the runner's CPU time per
// 1,000 calls (parsing, validation and the fsynced call store included).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS, type CallLimits } from '../runner/llm/calls.js';
import { generateForUnits, type Unit } from '../runner/llm/generate.js';
import { CallStore } from '../runner/llm/store.js';
import type { LogEntry } from '../test/llm/fake-server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const LATENCY_MS = 200;

async function startServer(): Promise<{
  url: string;
  log: () => Promise<LogEntry[]>;
  stop: () => void;
}> {
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(here, '../test/llm/fake-server.js'), JSON.stringify({ latencyMs: LATENCY_MS })],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => {
      resolve((JSON.parse(chunk.toString()) as { url: string }).url);
    });
    child.once('exit', () => {
      reject(new Error('fake server exited'));
    });
  });
  return {
    url,
    log: async () => (await (await fetch(`${url}/__log`)).json()) as LogEntry[],
    stop: () => child.kill(),
  };
}

function units(n: number, phase: string): Unit[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${phase}${i}`,
    text: `Bench passage ${phase} ${i}: the harbour authority in Porto reported record traffic.`,
    metadata: {},
  }));
}

async function phase(
  name: string,
  n: number,
  limits: Partial<CallLimits>,
): Promise<{ seconds: number; cpuMs: number; arrivals: number[] }> {
  const server = await startServer();
  const cacheRoot = mkdtempSync(path.join(tmpdir(), 'exp-bench-llm-'));
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const r = await generateForUnits({
      task: 'questions',
      units: units(n, name),
      m: 5,
      dataset: 'bench',
      role: {
        provider: 'openai',
        model: 'bench-model',
        temperature: 0.7,
        maxTokens: 200,
        baseURL: `${server.url}/v1`,
      },
      store: new CallStore(cacheRoot),
      limits: { ...DEFAULT_LIMITS, ...limits },
      signal: new AbortController().signal,
    });
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    if (!r.ok || r.value.report.calls.fresh !== n)
      throw new Error(
        `bench phase ${name} failed: ${JSON.stringify(r.ok ? r.value.report.calls : r.error.reason)}`,
      );
    const arrivals = (await server.log()).map((e) => e.at).sort((a, b) => a - b);
    return { seconds, cpuMs: (used.user + used.system) / 1000, arrivals };
  } finally {
    server.stop();
    rmSync(cacheRoot, { recursive: true, force: true });
  }
}

export async function benchLlm(): Promise<string[]> {
  const lines: string[] = [];
  const concurrency = 32;
  const bound = concurrency / (LATENCY_MS / 1000);
  // Warm-up so connection setup and JIT do not count against the first phase.
  await phase('warm', 64, { concurrency });
  const t = await phase('throughput', 1600, { concurrency });
  const throughput = 1600 / t.seconds;
  lines.push(
    `llm calls: concurrency ${concurrency}, ${LATENCY_MS} ms latency: ${throughput.toFixed(1)} calls/s vs bound ${bound.toFixed(0)}/s (ratio ${(throughput / bound).toFixed(3)}, aim >= 0.9)`,
  );
  lines.push(
    `llm calls: runner CPU ${(t.cpuMs / 1.6).toFixed(0)} ms per 1,000 calls (user+system, server excluded)`,
  );
  const cap = 1200;
  const c = await phase('capped', 300, { concurrency, requestsPerMinute: cap });
  const span = ((c.arrivals.at(-1) ?? 0) - (c.arrivals[0] ?? 0)) / 60_000;
  const arrivalRate = (c.arrivals.length - 1) / span;
  const wallRate = 300 / (c.seconds / 60);
  lines.push(
    `llm calls: cap ${cap}/min: ${arrivalRate.toFixed(0)}/min at the server (ratio ${(arrivalRate / cap).toFixed(3)}), ${wallRate.toFixed(0)}/min wall-clock incl. the last response (ratio ${(wallRate / cap).toFixed(3)}); aim 0.95–1.0`,
  );
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const line of await benchLlm()) console.log(line);
}
