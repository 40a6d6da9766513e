// Load → validate → resolve → plan for a set of experiment files: the shared front half of
// every command. Returns diagnostics (expected) instead of throwing.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseSource, type Diagnostic, type SourceFile } from './config/diagnostics.js';
import {
  experimentPaths,
  loadYaml,
  type DatasetFile,
  type ExperimentFile,
  type ProfileFile,
  type ReferenceFile,
} from './config/load.js';
import {
  resolveExperiment,
  unknownDatasets,
  Workspace,
  type Override,
  type ResolvedExperiment,
} from './config/resolve.js';
import { Schemas } from './config/schemas.js';
import { buildPlan, type Plan, type PlanError } from './plan/graph.js';
import { repoRoot } from './paths.js';
import { err, ok, unreachable, type Result } from './result.js';
import { loadPipeline, type Pipeline } from './steps/registry.js';
import { resolveExecutor } from './steps/trainer.js';

export interface Session {
  experiments: ResolvedExperiment[];
  plan: Plan;
  profile: ProfileFile;
  datasets: Map<string, DatasetFile>;
  references: Map<string, ReferenceFile>;
  pipeline: Pipeline;
  warnings: Diagnostic[];
  sources: Map<string, SourceFile>;
}

export interface SessionFailure {
  diagnostics: Diagnostic[];
  sources: Map<string, SourceFile>;
}

export async function openSession(
  args: string[],
  options: { profile: string; overrides: Override[] },
): Promise<Result<Session, SessionFailure>> {
  const schemas = new Schemas();
  const sources = new Map<string, SourceFile>();
  const diags: Diagnostic[] = [];
  const files = experimentPaths(args);
  if (!files.ok) return err({ diagnostics: files.error, sources });
  const experiments: ResolvedExperiment[] = [];
  const workspaces = new Map<string, Workspace>();
  let profile: ProfileFile | undefined;
  let profileFile = '';
  const datasets = new Map<string, DatasetFile>();
  const references = new Map<string, ReferenceFile>();
  const warnings: Diagnostic[] = [];
  for (const file of files.value) {
    const dir = path.dirname(file);
    let ws = workspaces.get(dir);
    if (!ws) {
      ws = new Workspace(dir, schemas);
      workspaces.set(dir, ws);
    }
    const loaded = loadYaml<ExperimentFile>(file, 'experiment', schemas);
    if (!loaded.ok) {
      diags.push(...loaded.error);
      remember(sources, loaded.error);
      // Report unknown datasets along with schema errors, so one pass shows every mistake.
      const src = sources.get(file);
      if (src && src.doc.errors.length === 0)
        diags.push(
          ...unknownDatasets(src, (src.doc.toJS() as { datasets?: unknown } | null)?.datasets, ws),
        );
      continue;
    }
    sources.set(file, loaded.value.src);
    const resolved = resolveExperiment(loaded.value, options, ws);
    for (const name of loaded.value.value.datasets) {
      const d = ws.dataset(name);
      if (d.ok) {
        datasets.set(name, d.value.value);
        sources.set(d.value.src.path, d.value.src);
      }
    }
    const p = ws.profile(options.profile);
    if (p.ok) {
      profile = p.value.value;
      profileFile = p.value.src.path;
      sources.set(p.value.src.path, p.value.src);
    }
    const refName = loaded.value.value.reference;
    if (refName) {
      const r = ws.reference(refName);
      if (r.ok) references.set(refName, r.value.value);
      else diags.push(...r.error);
    }
    if (!resolved.ok) {
      diags.push(...resolved.error);
      remember(sources, resolved.error);
      continue;
    }
    warnings.push(...resolved.value.warnings);
    experiments.push(resolved.value);
  }
  if (diags.length || !profile) return err({ diagnostics: diags, sources });
  // The trainer image's digest enters trainer step keys; `exp run` refuses to go without it.
  const executor = await resolveExecutor(profile);
  if (!executor.ok)
    warnings.push({
      severity: 'warning',
      file: profileFile,
      message: `${executor.error}; trainer step keys use the unresolved tag until the image is there`,
    });
  const pipeline = await loadPipeline();
  const plan = buildPlan(experiments, {
    kinds: pipeline.kinds,
    terminal: (e) => pipeline.terminal(e.experiment.value.kind ?? 'retrieval'),
    profile,
    datasets,
    repoRoot,
  });
  if (!plan.ok) return err({ diagnostics: [planDiagnostic(plan.error)], sources });
  return ok({
    experiments,
    plan: plan.value,
    profile,
    datasets,
    references,
    pipeline,
    warnings,
    sources,
  });
}

/** Sources of files that failed to load, so their diagnostics can still show the line. */
function remember(sources: Map<string, SourceFile>, diags: Diagnostic[]) {
  for (const d of diags) {
    if (sources.has(d.file) || !d.range) continue;
    try {
      sources.set(d.file, parseSource(d.file, readFileSync(d.file, 'utf8')));
    } catch {
      /* unreadable: the diagnostic says so without a source line */
    }
  }
}

function planDiagnostic(e: PlanError): Diagnostic {
  switch (e.reason) {
    case 'cycle':
      return {
        severity: 'error',
        file: 'plan',
        message: `the step graph has a cycle: ${e.loop.join(' → ')}`,
      };
    case 'unknown-kind':
      return {
        severity: 'error',
        file: 'plan',
        message: `step kind "${e.kind}" (needed by ${e.from}) is not defined`,
      };
    case 'invalid-recipe':
      return { severity: 'error', file: 'plan', message: `cell ${e.cell}: ${e.message}` };
    default:
      return unreachable(e);
  }
}
