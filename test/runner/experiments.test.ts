import path from 'node:path';
import { expect, test } from 'vitest';
import { yamlFilesIn } from '../../runner/config/load.js';
import { openSession } from '../../runner/session.js';
import { repoRoot } from '../../runner/paths.js';

const dir = path.join(repoRoot, 'experiments');

test.each(['local', 'paper'])(
  'every experiment file validates and plans under the %s profile',
  async (profile) => {
    const files = yamlFilesIn(dir);
    expect(files.length).toBeGreaterThanOrEqual(11);
    const s = await openSession(files, { profile, overrides: [] });
    if (!s.ok)
      throw new Error(s.error.diagnostics.map((d) => `${d.file}: ${d.message}`).join('\n'));
    // Without a Docker engine the paper profile's image cannot be resolved: the one warning allowed.
    const warnings = s.value.warnings.filter((w) => !w.message.includes('unresolved tag'));
    expect(warnings).toEqual([]);
    // The paper's "Full" MultiHop-RAG model is one SFT training shared by six tables (DESIGN).
    const full = [...s.value.plan.steps.values()].filter(
      (st) => st.kind === 'train-sft' && [...st.cells].some((c) => c === 'table8/SFT/multihop-rag'),
    );
    expect(full).toHaveLength(1);
    const tables = new Set([...(full[0]?.cells ?? [])].map((c) => c.split('/')[0]));
    expect([...tables].sort()).toEqual([
      'table11',
      'table12',
      'table3',
      'table4',
      'table5',
      'table8',
    ]);
  },
);
