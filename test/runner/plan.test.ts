import { expect, test } from 'vitest';
import { parseSource } from '../../runner/config/diagnostics.js';
import type { DatasetFile, ExperimentFile } from '../../runner/config/load.js';
import { resolveExperiment, Workspace } from '../../runner/config/resolve.js';
import { Schemas } from '../../runner/config/schemas.js';
import { buildPlan } from '../../runner/plan/graph.js';
import type { StepKind } from '../../runner/plan/step.js';
import { err } from '../../runner/result.js';
import { repoRoot } from '../../runner/paths.js';
import path from 'node:path';

const kind = (name: string, input?: string): StepKind => ({
  name,
  version: 1,
  plan: () => ({ slice: name, inputs: input ? { x: { kind: input } } : undefined }),
  run: () => Promise.resolve(err({ reason: 'internal', message: 'not run' })),
});

test('a cycle in the step graph is an error that names the loop', () => {
  const ws = new Workspace(path.join(repoRoot, 'test', 'fixtures', 'suite'), new Schemas());
  const src = parseSource('t.yaml', 'table: t\ntitle: T\ndatasets: [alpha]\nrows:\n  A: {}\n');
  const resolved = resolveExperiment(
    { src, value: src.doc.toJS() as ExperimentFile },
    { profile: 'local', overrides: [] },
    ws,
  );
  if (!resolved.ok) throw new Error('fixture does not resolve');
  const kinds = new Map(
    [kind('evaluate', 'train'), kind('train', 'prepare'), kind('prepare', 'train')].map((k) => [
      k.name,
      k,
    ]),
  );
  const dataset = ws.dataset('alpha');
  if (!dataset.ok) throw new Error('fixture dataset');
  const plan = buildPlan([resolved.value], {
    kinds,
    terminal: () => 'evaluate',
    profile: { name: 'local' },
    datasets: new Map<string, DatasetFile>([['alpha', dataset.value.value]]),
    repoRoot,
  });
  expect(plan.ok).toBe(false);
  if (!plan.ok)
    expect(plan.error).toEqual({ reason: 'cycle', loop: ['train', 'prepare', 'train'] });
});
