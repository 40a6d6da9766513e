// Runs a plan: cached steps are restored, ready steps run in parallel within the resource limits
// (CPU slots, GPU slots, LLM concurrency), longest remaining path first. A failed step fails its
// dependents only (with keepGoing) or stops new launches; an abort (SIGINT/SIGTERM) stops
// launching, cancels running steps (their process trees are ended by the step's executor) and
// returns once they have settled, leaving the cache consistent. Does not print anything.

import { mkdir, rm } from 'node:fs/promises';
import type { ProfileFile } from '../config/load.js';
import type { Cache, Manifest } from '../cache/store.js';
import { tryLock } from '../cache/lock.js';
import { dependents, type Plan, type PlannedStep } from '../plan/graph.js';
import type { InputEntry, Resources, StepFailure, StepKey, StepKind } from '../plan/step.js';
import { err, ok, type Json, type Result } from '../result.js';
import type { Emit, StepRef, StepStatus } from './events.js';

export interface ExecuteOptions {
  plan: Plan;
  kinds: Map<string, StepKind>;
  cache: Cache;
  limits: Resources;
  keepGoing: boolean;
  /** Compute nothing: a step that is not cached fails (CI regenerating tables). */
  frozen: boolean;
  signal: AbortSignal;
  emit: Emit;
  profile: ProfileFile;
  repoRoot: string;
  /** Asked for only when a step is published, so a fully cached run never shells out to git. */
  provenance: () => Promise<Json>;
}

export interface ExecuteResult {
  status: Map<StepKey, StepStatus>;
  manifests: Map<StepKey, Manifest>;
  failures: Map<StepKey, StepFailure>;
}

const ref = (s: PlannedStep): StepRef => ({ key: s.key, kind: s.kind, label: s.label });
const LOCK_POLL_MS = 200;

export async function execute(o: ExecuteOptions): Promise<ExecuteResult> {
  const started = Date.now();
  const { plan } = o;
  const status = new Map<StepKey, StepStatus>();
  const manifests = new Map<StepKey, Manifest>();
  const failures = new Map<StepKey, StepFailure>();
  const needers = dependents(plan);

  for (const key of plan.order) {
    const step = plan.steps.get(key) as PlannedStep;
    const m = await o.cache.manifest(step.kind, key);
    if (m) {
      manifests.set(key, m);
      status.set(key, 'cached');
    } else status.set(key, 'pending');
  }
  // Steps this profile cannot run (the CLI lets them through only with keepGoing) fail first.
  const blocked = plan.order.filter(
    (k) => status.get(k) === 'pending' && plan.steps.get(k)?.blocked,
  );
  const cachedCount = [...status.values()].filter((s) => s === 'cached').length;
  o.emit({
    type: 'plan',
    steps: plan.order.length,
    cached: cachedCount,
    toRun: plan.order.length - cachedCount,
    cells: plan.cells.length,
  });
  for (const key of plan.order)
    if (status.get(key) === 'cached')
      o.emit({ type: 'step-cached', ...ref(plan.steps.get(key) as PlannedStep) });

  // Longest remaining path: a step's priority is the length of the longest chain of steps that
  // wait on it, so the critical path starts first.
  const priority = new Map<StepKey, number>();
  for (const key of [...plan.order].reverse()) {
    priority.set(
      key,
      1 + Math.max(0, ...(needers.get(key) ?? []).map((d) => priority.get(d) ?? 0)),
    );
  }

  const inUse: Resources = { cpu: 0, gpu: 0, llm: 0 };
  // GPU slots are devices: a step holds specific indices, which its executor makes visible.
  const freeGpus = Array.from({ length: o.limits.gpu }, (_, i) => i);
  const need = (s: PlannedStep): Resources => ({
    cpu: Math.min(s.resources.cpu, o.limits.cpu),
    gpu: Math.min(s.resources.gpu, o.limits.gpu),
    llm: Math.min(s.resources.llm, o.limits.llm),
  });
  const fits = (r: Resources) =>
    inUse.cpu + r.cpu <= o.limits.cpu &&
    inUse.gpu + r.gpu <= o.limits.gpu &&
    inUse.llm + r.llm <= o.limits.llm;
  const running = new Map<StepKey, Promise<void>>();
  const attempts = new Map<StepKey, number>();
  const stop = { launching: false };
  let wake: () => void = () => undefined;

  const skipDependents = (key: StepKey) => {
    for (const d of needers.get(key) ?? []) {
      if (status.get(d) === 'pending') {
        status.set(d, 'skipped');
        o.emit({ type: 'step-skipped', because: key, ...ref(plan.steps.get(d) as PlannedStep) });
        skipDependents(d);
      }
    }
  };
  for (const key of blocked) {
    const step = plan.steps.get(key) as PlannedStep;
    const failure: StepFailure = { reason: 'blocked', message: step.blocked ?? '' };
    failures.set(key, failure);
    status.set(key, 'failed');
    o.emit({ type: 'step-failed', failure, ...ref(step) });
    skipDependents(key);
  }
  const isDone = (k: StepKey) => status.get(k) === 'done' || status.get(k) === 'cached';
  const ready = () =>
    plan.order
      .filter((k) => status.get(k) === 'pending' && !running.has(k))
      .filter((k) => Object.values((plan.steps.get(k) as PlannedStep).inputs).every(isDone))
      .sort((a, b) => (priority.get(b) ?? 0) - (priority.get(a) ?? 0));

  const launch = (step: PlannedStep) => {
    const r = need(step);
    for (const k of Object.keys(r) as (keyof Resources)[]) inUse[k] += r[k];
    const gpus = freeGpus.splice(0, r.gpu);
    status.set(step.key, 'running');
    const attempt = (attempts.get(step.key) ?? 0) + 1;
    attempts.set(step.key, attempt);
    const p = runOne(step, attempt, gpus, o, manifests).then(async (result) => {
      for (const k of Object.keys(r) as (keyof Resources)[]) inUse[k] -= r[k];
      freeGpus.push(...gpus);
      freeGpus.sort((a, b) => a - b);
      if (result.ok) {
        manifests.set(step.key, result.value.manifest);
        status.set(step.key, result.value.cached ? 'cached' : 'done');
      } else if (
        result.error.transient &&
        attempt <= (o.kinds.get(step.kind)?.retries ?? 0) &&
        !o.signal.aborted
      ) {
        const delayMs = 500 * 2 ** (attempt - 1) * (0.5 + Math.random());
        o.emit({ type: 'step-retry', failure: result.error, delayMs, ...ref(step) });
        await new Promise((res) => setTimeout(res, delayMs));
        status.set(step.key, 'pending');
      } else {
        failures.set(step.key, result.error);
        status.set(step.key, 'failed');
        o.emit({ type: 'step-failed', failure: result.error, ...ref(step) });
        skipDependents(step.key);
        if (!o.keepGoing) stop.launching = true;
      }
      running.delete(step.key);
      wake();
    });
    running.set(step.key, p);
  };

  const onAbort = () => {
    stop.launching = true;
    wake();
  };
  o.signal.addEventListener('abort', onAbort);
  try {
    for (;;) {
      if (!stop.launching && !o.signal.aborted) {
        for (const key of ready()) {
          const step = plan.steps.get(key) as PlannedStep;
          if (fits(need(step))) launch(step);
        }
      }
      if (running.size === 0) break;
      await new Promise<void>((res) => {
        wake = res;
      });
    }
  } finally {
    o.signal.removeEventListener('abort', onAbort);
  }
  // Whatever never started (stopped launching) is skipped, not silently pending.
  for (const [key, s] of status) if (s === 'pending') status.set(key, 'skipped');
  const counts = {
    pending: 0,
    running: 0,
    cached: 0,
    done: 0,
    failed: 0,
    skipped: 0,
  } satisfies Record<StepStatus, number>;
  for (const s of status.values()) counts[s]++;
  for (const c of plan.cells)
    o.emit({ type: 'cell-done', cell: c.cell.id, ok: isDone(c.terminal) });
  o.emit({
    type: 'run-done',
    ok: counts.failed === 0 && counts.skipped === 0,
    counts,
    seconds: (Date.now() - started) / 1000,
  });
  return { status, manifests, failures };
}

/** One step: wait for its lock, re-check the cache, run into a staging dir, publish. */
async function runOne(
  step: PlannedStep,
  attempt: number,
  gpus: number[],
  o: ExecuteOptions,
  manifests: Map<StepKey, Manifest>,
): Promise<Result<{ manifest: Manifest; cached: boolean }, StepFailure>> {
  const kind = o.kinds.get(step.kind);
  if (!kind) throw new Error(`internal error: no step kind ${step.kind}`);
  if (o.frozen || o.cache.readOnly) {
    return err({
      reason: 'frozen',
      message: `${step.label} is not cached and this run may not compute (--frozen / read-only cache)`,
    });
  }
  let lock = await tryLock(o.cache.lockFile(step.key));
  if (!lock)
    o.emit({
      type: 'step-waiting',
      reason: 'another exp process is running this step',
      ...ref(step),
    });
  while (!lock) {
    if (o.signal.aborted) return err({ reason: 'cancelled', message: 'interrupted' });
    const m = await o.cache.manifest(step.kind, step.key);
    if (m) return ok({ manifest: m, cached: true });
    await new Promise((res) => setTimeout(res, LOCK_POLL_MS));
    lock = await tryLock(o.cache.lockFile(step.key));
  }
  let staged: string | undefined;
  try {
    const again = await o.cache.manifest(step.kind, step.key);
    if (again) return ok({ manifest: again, cached: true });
    o.emit({ type: 'step-start', attempt, ...ref(step) });
    const t0 = Date.now();
    staged = await o.cache.staging(step.key);
    const work = o.cache.workDir(step.key);
    await mkdir(work, { recursive: true });
    const inputs: Record<string, InputEntry> = {};
    for (const [name, key] of Object.entries(step.inputs)) {
      const m =
        manifests.get(key) ?? (await o.cache.manifest(o.plan.steps.get(key)?.kind ?? '', key));
      if (!m)
        return err({
          reason: 'missing-input',
          message: `input ${name} (${key.slice(0, 12)}) is not in the cache`,
        });
      inputs[name] = { key, kind: m.kind, dir: o.cache.dir(m.kind, key), report: m.report };
    }
    let result;
    try {
      result = await kind.run({
        key: step.key,
        slice: step.slice,
        inputs,
        out: staged,
        work,
        cacheRoot: o.cache.root,
        repoRoot: o.repoRoot,
        profile: o.profile,
        gpus,
        signal: o.signal,
        progress: (p) => {
          o.emit({ type: 'step-progress', at: Date.now(), ...ref(step), ...p });
        },
        log: (line) => {
          o.emit({ type: 'step-log', line, ...ref(step) });
        },
      });
    } catch (e) {
      result = err<StepFailure>({
        reason: 'internal',
        message: `internal error in ${step.kind}: ${(e as Error).stack ?? String(e)}`,
      });
    }
    if (!result.ok)
      return o.signal.aborted ? err({ reason: 'cancelled', message: 'interrupted' }) : result;
    const finished = Date.now();
    const manifest = await o.cache.publish(staged, step, {
      report: result.value,
      timings: {
        started: new Date(t0).toISOString(),
        finished: new Date(finished).toISOString(),
        seconds: (finished - t0) / 1000,
      },
      provenance: await o.provenance(),
    });
    staged = undefined;
    o.emit({ type: 'step-done', seconds: (finished - t0) / 1000, ...ref(step) });
    return ok({ manifest, cached: false });
  } finally {
    if (staged) await rm(staged, { recursive: true, force: true });
    await lock.release();
  }
}
