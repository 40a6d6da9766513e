// Runs a child process in its own process group, line by line, and kills the whole group on
// abort (SIGTERM, then SIGKILL after a grace period): trainers spawn data loaders and pip spawns
// builds, and killing only the direct child would orphan them. Does not interpret the lines.

import { spawn } from 'node:child_process';
import readline from 'node:readline';

export interface ProcessOptions {
  command: string;
  args: readonly string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Milliseconds between SIGTERM and SIGKILL on abort. */
  graceMs?: number;
}

export type ProcessOutcome =
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'cancelled' }
  | { kind: 'spawn-failed'; message: string; code: string | undefined };

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // The group is already gone.
  }
}

export function runProcess(opts: ProcessOptions): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    if (opts.signal?.aborted === true) {
      resolve({ kind: 'cancelled' });
      return;
    }
    const child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      if (child.pid === undefined) return;
      cancelled = true;
      const pid = child.pid;
      killGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => {
        killGroup(pid, 'SIGKILL');
      }, opts.graceMs ?? 5000);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const out = readline.createInterface({ input: child.stdout });
    const errs = readline.createInterface({ input: child.stderr });
    out.on('line', (l) => opts.onStdoutLine?.(l));
    errs.on('line', (l) => opts.onStderrLine?.(l));
    let spawnError: NodeJS.ErrnoException | undefined;
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    child.on('close', (code, signal) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (cancelled && child.pid !== undefined) {
        // Grandchildren may outlive the group leader; make sure none survives the cancel.
        killGroup(child.pid, 'SIGKILL');
      }
      if (killTimer !== undefined) clearTimeout(killTimer);
      if (spawnError !== undefined) {
        resolve({ kind: 'spawn-failed', message: spawnError.message, code: spawnError.code });
      } else if (cancelled) {
        resolve({ kind: 'cancelled' });
      } else {
        resolve({ kind: 'exited', code, signal });
      }
    });
  });
}
