// The local executor against fake trainers (small Python packages written per test), so process
// handling is tested without the real trainer environment.
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import type { TrainerEvent } from '../../runner/execute/trainer/failure.js';
import { localLaunch, runTrainer } from '../../runner/execute/trainer/local.js';

async function fakeTrainer(main: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fake-trainer-'));
  await mkdir(path.join(dir, 'trainers'));
  await writeFile(path.join(dir, 'trainers', '__init__.py'), '');
  await writeFile(path.join(dir, 'trainers', '__main__.py'), main);
  return dir;
}

/** A zombie counts as dead: in a container without an init, nobody reaps orphans. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const PREAMBLE = `
import json, os, subprocess, sys, time
spec_path = sys.argv[sys.argv.index('--spec') + 1]
spec = json.load(open(spec_path))
out = spec['output_dir']
os.makedirs(out, exist_ok=True)
def emit(**e): print(json.dumps(e), flush=True)
`;

describe('runTrainer', () => {
  it('forwards events, maps GPUs to CUDA_VISIBLE_DEVICES and returns result.json', async () => {
    const cwd = await fakeTrainer(
      PREAMBLE +
        `
print('library noise on stdout', flush=True)
emit(event='progress', step=1, total=2, loss=1.5)
emit(event='progress', step=2, total=2)
json.dump({'cuda': os.environ['CUDA_VISIBLE_DEVICES'], 'command': sys.argv[1]}, open(os.path.join(out, 'result.json'), 'w'))
`,
    );
    const events: TrainerEvent[] = [];
    const r = await runTrainer({
      launch: localLaunch('python3'),
      command: 'sft',
      spec: { output_dir: path.join(cwd, 'out'), seed: 0 },
      workDir: path.join(cwd, 'work'),
      gpus: [2, 3],
      cwd,
      onEvent: (e) => events.push(e),
    });
    expect(r).toEqual({
      ok: true,
      value: { outputDir: path.join(cwd, 'out'), result: { cuda: '2,3', command: 'sft' } },
    });
    expect(events).toEqual([
      { event: 'progress', step: 1, total: 2, loss: 1.5 },
      { event: 'progress', step: 2, total: 2 },
    ]);
    expect(JSON.parse(await readFile(path.join(cwd, 'work', 'spec.json'), 'utf8'))).toEqual({
      output_dir: path.join(cwd, 'out'),
      seed: 0,
    });
  });

  it("reports the trainer's own error reason and keeps the stderr tail", async () => {
    const cwd = await fakeTrainer(
      PREAMBLE +
        `
for i in range(80): print(f'log line {i}', file=sys.stderr)
emit(event='error', reason='out-of-memory', message='CUDA out of memory')
sys.exit(1)
`,
    );
    const r = await runTrainer({
      launch: localLaunch('python3'),
      command: 'sft',
      spec: { output_dir: path.join(cwd, 'out') },
      workDir: cwd,
      cwd,
    });
    expect(r.ok).toBe(false);
    if (r.ok || r.error.reason !== 'trainer-failed') throw new Error('expected trainer-failed');
    expect(r.error.trainerReason).toBe('out-of-memory');
    expect(r.error.message).toBe('trainer sft failed: out-of-memory: CUDA out of memory');
    expect(r.error.stderrTail).toHaveLength(50);
    expect(r.error.stderrTail.at(-1)).toBe('log line 79');
  });

  it('kills the whole process tree on abort', async () => {
    const cwd = await fakeTrainer(
      PREAMBLE +
        `
child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])
open(os.path.join(out, 'pids'), 'w').write(f'{os.getpid()} {child.pid}')
emit(event='progress', step=0, total=1)
time.sleep(120)
`,
    );
    const controller = new AbortController();
    const started = Date.now();
    const r = await runTrainer({
      launch: localLaunch('python3'),
      command: 'sft',
      spec: { output_dir: path.join(cwd, 'out') },
      workDir: cwd,
      cwd,
      signal: controller.signal,
      graceMs: 500,
      onEvent: (e) => {
        if (e.event === 'progress') controller.abort();
      },
    });
    expect(r).toEqual({
      ok: false,
      error: { reason: 'cancelled', message: 'trainer sft cancelled' },
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    const pids = (await readFile(path.join(cwd, 'out', 'pids'), 'utf8')).split(' ').map(Number);
    // The grandchild is reparented on its parent's death; give the kernel a moment to reap it.
    await new Promise((res) => setTimeout(res, 300));
    for (const pid of pids) expect(alive(pid), `pid ${pid} still alive`).toBe(false);
    expect(alive(process.pid)).toBe(true); // the probe can see a live process at all
  });

  it('reports a missing interpreter as env-failed', async () => {
    const r = await runTrainer({
      launch: localLaunch('/nonexistent/python'),
      command: 'retrieve',
      spec: { output_dir: '/tmp/none' },
      workDir: await mkdtemp(path.join(os.tmpdir(), 'exp-')),
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe('env-failed');
  });
});
