// init-model → sft → retrieve through the local executor with the real trainer environment.
// Runs only when EXP_TRAINER_PYTHON names a python with trainers/requirements-cpu.txt installed.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { localLaunch, runTrainer } from '../../runner/execute/trainer/local.js';
import type { Json } from '../../runner/result.js';

const python = process.env.EXP_TRAINER_PYTHON;
const TOPICS = [
  ['river trout', 'which fish swims upstream'],
  ['mountain goat', 'which animal climbs cliffs'],
  ['desert cactus', 'what stores water in stems'],
  ['ocean tide', 'what pulls the tide'],
  ['city bridge', 'what carries trams over water'],
  ['forest owl', 'which bird hunts mice at dusk'],
  ['glacier ice', 'what carves valleys slowly'],
  ['volcano ash', 'what darkened the sky'],
  ['island ferry', 'how to reach the island'],
  ['harvest moon', 'when do farmers work late'],
] as const;

const jsonl = (rows: object[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe.skipIf(python === undefined)('trainer end to end (EXP_TRAINER_PYTHON)', () => {
  it('trains a tiny model and writes a TREC run with k distinct units per query', async () => {
    if (python === undefined) return;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'exp-e2e-'));
    const ids = TOPICS.map(([ident], i) => ({ unit: `u${i}`, identifier: ` ${ident}` }));
    const queries = TOPICS.map(([, q], i) => ({ id: `q${i}`, prompt: `Query: ${q}\nIdentifier:` }));
    await writeFile(path.join(dir, 'ids.jsonl'), jsonl(ids));
    await writeFile(path.join(dir, 'queries.jsonl'), jsonl(queries));
    await writeFile(
      path.join(dir, 'train.jsonl'),
      jsonl(
        queries.map((q, i) => ({
          prompt: q.prompt,
          completion: ids[i]?.identifier,
          kind: 'query2id',
          unit: `u${i}`,
        })),
      ),
    );
    const steps: number[] = [];
    const run = async (
      command: 'init-model' | 'sft' | 'retrieve',
      spec: { output_dir: string; [k: string]: Json },
      processes = 1,
    ) => {
      const r = await runTrainer({
        launch: localLaunch(python, processes),
        command,
        spec,
        workDir: path.join(dir, `work-${command}`),
        onEvent: (e) => {
          if (e.event === 'progress') steps.push(e.step);
        },
      });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      return r.value;
    };
    const config = {
      hidden_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      intermediate_size: 128,
      max_position_embeddings: 256,
    };
    await run('init-model', { output_dir: path.join(dir, 'init'), config, seed: 0 });
    const sft = await run('sft', {
      output_dir: path.join(dir, 'sft'),
      checkpoint_dir: path.join(dir, 'ckpt'),
      model: path.join(dir, 'init', 'model'),
      train_file: path.join(dir, 'train.jsonl'),
      identifiers_file: path.join(dir, 'ids.jsonl'),
      identifier_type: 'semantic',
      epochs: 3,
      learning_rate: 1e-2,
      batch_size: 2,
      per_device_batch_size: 2,
      max_length: 64,
      save_steps: 1000,
    });
    expect(Array.isArray(sft.result.loss_curve)).toBe(true);

    // Data-parallel: two processes under torchrun (gloo on CPU), as on a multi-GPU box. Each
    // optimizer step is reported once (rank 0 only) and the model is written once.
    steps.length = 0;
    const ddp = await run(
      'sft',
      {
        output_dir: path.join(dir, 'sft-ddp'),
        checkpoint_dir: path.join(dir, 'ckpt-ddp'),
        model: path.join(dir, 'init', 'model'),
        train_file: path.join(dir, 'train.jsonl'),
        identifiers_file: path.join(dir, 'ids.jsonl'),
        epochs: 1,
        batch_size: 2,
        per_device_batch_size: 1,
        max_length: 64,
        packing: false,
        save_steps: 1000,
      },
      2,
    );
    expect(steps).toEqual(steps.map((_, i) => i + 1));
    expect(steps.at(-1)).toBe(5);
    expect(ddp.result.loss_curve).toHaveLength(5);
    await run('retrieve', {
      output_dir: path.join(dir, 'ret'),
      model: path.join(dir, 'sft', 'model'),
      queries_file: path.join(dir, 'queries.jsonl'),
      identifiers_file: path.join(dir, 'ids.jsonl'),
      identifier_type: 'semantic',
      beam_size: 5,
      k: 5,
      batch_size: 4,
      run_name: 'e2e',
    });
    const lines = (await readFile(path.join(dir, 'ret', 'run.trec'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(50);
    for (const q of queries) {
      const rows = lines.map((l) => l.split(' ')).filter((f) => f[0] === q.id);
      expect(rows.map((f) => f[3])).toEqual(['1', '2', '3', '4', '5']);
      const units = rows.map((f) => f[2]);
      expect(new Set(units).size).toBe(5);
      for (const f of rows) {
        expect(f[1]).toBe('Q0');
        expect(f[5]).toBe('e2e');
        expect(ids.map((x) => x.unit)).toContain(f[2]);
      }
    }
    expect(steps.length).toBeGreaterThan(3);
  }, 240_000);
});
