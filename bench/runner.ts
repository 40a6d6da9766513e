// Benchmark of the runner itself: plan plus a fully cached run of a synthetic suite of 9 tables
// (~40 cells, ~200 steps, the test suite's fake step kinds), as wall time of the real CLI,
// against a bare `node -e ''` start measured in the same run. Aim: under 1 s, within 5× of
// bare Node start.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cpSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { repoRoot } from '../runner/paths.js';

const bin = path.join(repoRoot, 'bin', 'exp.js');
const REPEATS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function time(args: string[], cwd: string, env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  execFileSync('node', args, { cwd, env, stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** 9 tables of 4–5 rows; every row changes what its prepare, train and tune steps read. */
function suite(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'exp-bench-'));
  cpSync(path.join(repoRoot, 'test', 'fixtures', 'suite'), dir, { recursive: true });
  for (let t = 0; t < 9; t++) {
    const rows = Array.from({ length: t % 2 ? 4 : 5 }, (_, r) => {
      const d = `{ queries: { chunk: { m: ${String(r + 1)} } }, sft: { epochs: ${String(t + 1)} }, preference: { negatives: model-top, k: ${String(r + 1)} } }`;
      return `  Row ${String(r)}: ${d}`;
    });
    const head = [
      `table: t${String(t)}`,
      'title: Bench',
      'datasets: [alpha]',
      `base: { source: { adapter: fake, path: t${String(t)} } }`,
    ];
    writeFileSync(path.join(dir, `t${String(t)}.yaml`), [...head, 'rows:', ...rows, ''].join('\n'));
  }
  return dir;
}

export function benchRunner(): string[] {
  const dir = suite();
  const env = {
    ...process.env,
    EXP_STEP_KINDS: path.join(repoRoot, 'dist', 'test', 'fixtures', 'fake-steps.js'),
    CI: 'true',
  };
  const files = Array.from({ length: 9 }, (_, t) => `t${String(t)}.yaml`);
  const plan = JSON.parse(
    execFileSync('node', [bin, 'plan', '--json', ...files], { cwd: dir, env }).toString(),
  ) as {
    cells: unknown[];
    steps: unknown[];
  };
  execFileSync('node', [bin, 'run', ...files], { cwd: dir, env, stdio: 'ignore' });
  const node: number[] = [];
  const planned: number[] = [];
  const cached: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    node.push(time(['-e', ''], dir, env));
    planned.push(time([bin, 'plan', ...files], dir, env));
    cached.push(time([bin, 'run', ...files], dir, env));
  }
  const n = median(node);
  const p = median(planned);
  const c = median(cached);
  return [
    `runner: suite of 9 tables, ${String(plan.cells.length)} cells, ${String(plan.steps.length)} distinct steps; median of ${String(REPEATS)}`,
    `  bare node start      ${n.toFixed(0)} ms`,
    `  exp plan             ${p.toFixed(0)} ms  (${(p / n).toFixed(1)}× node)`,
    `  exp run, all cached  ${c.toFixed(0)} ms  (${(c / n).toFixed(1)}× node; aim < 1000 ms and ≤ 5×)`,
  ];
}
