// Benchmark of the data layer at NQ scale (appendix A.4: ~100k documents, ~1.5M queries):
// contexts + sentences from a corpus, then SFT data (sentence-level Context2ID + Query2ID,
// concat, as the NQ recipe), all streamed JSONL on disk. Reports docs/s, peak RSS, and the ratio
// to plain I/O measured in the same run, two ways: raw (stream-read every file the pipeline reads
// and copy every file it writes, 1 MB chunks) and line by line (decode, split and rewrite the
// lines of those files, no JSON). Both run on files the page cache already holds. The corpus is generated (not timed) with the
// whitespace tokenizer, so the bench measures streaming and assembly, not the WASM tokenizer
// (whose cost is per token and independent of streaming; see tokenizer.ts).
// Usage: node dist/bench/data.js [--scale 0.1]   (default 1 = 100k documents, 1.5M queries)

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { rng } from '../runner/data/adapters/mini.js';
import { buildContexts } from '../runner/data/contexts.js';
import { formatDataError } from '../runner/data/errors.js';
import { JsonlWriter } from '../runner/data/jsonl.js';
import { buildSftData } from '../runner/data/sft-data.js';
import { whitespaceTokenizer } from '../runner/data/tokenizer.js';

const WORDS =
  'river city council season album river battle species island bridge novel player station league film song church school election company village mountain war army record'.split(
    ' ',
  );

async function generate(
  dir: string,
  docs: number,
  queries: number,
): Promise<{ corpus: string; queries: string; ids: string }> {
  const r = rng(42);
  const word = (): string => WORDS[Math.floor(r() * WORDS.length)] ?? 'word';
  const sentence = (n: number): string => {
    const w = Array.from({ length: n }, word);
    return `${(w[0] ?? '').charAt(0).toUpperCase()}${(w[0] ?? '').slice(1)} ${w.slice(1).join(' ')} ${String(Math.floor(r() * 2000))}.`;
  };
  const files = {
    corpus: path.join(dir, 'corpus.jsonl'),
    queries: path.join(dir, 'queries.jsonl'),
    ids: path.join(dir, 'ids.jsonl'),
  };
  const corpus = await JsonlWriter.create(files.corpus);
  const ids = await JsonlWriter.create(files.ids);
  for (let d = 0; d < docs; d++) {
    // An NQ document prefix: a title line and five or six sentences (~120 words).
    const text = `Title ${String(d)}\n${Array.from({ length: 5 + (d % 2) }, () => sentence(18 + Math.floor(r() * 8))).join(' ')}`;
    await corpus.write({ id: String(d), text, doc: String(d), metadata: {} });
    await ids.write({ unit: String(d), identifier: `${word()} ${word()} ${String(d)}` });
  }
  await corpus.close();
  await ids.close();
  const q = await JsonlWriter.create(files.queries);
  for (let i = 0; i < queries; i++) {
    await q.write({
      id: `q${String(i)}`,
      text: `what ${word()} ${word()} ${word()} in ${word()} ${String(i % 997)}`,
      unit: String(i % docs),
      kind: 'chunk',
      generator: 'bench',
      sample: i % 15,
    });
  }
  await q.close();
  return files;
}

async function plainIo(
  reads: readonly string[],
  writes: readonly string[],
  dir: string,
): Promise<number> {
  let readBytes = 0;
  const t0 = performance.now();
  for (const f of reads) {
    for await (const chunk of createReadStream(f, { highWaterMark: 1 << 20 }))
      readBytes += (chunk as Buffer).length;
  }
  for (const [i, f] of writes.entries()) {
    await pipeline(
      createReadStream(f, { highWaterMark: 1 << 20 }),
      createWriteStream(path.join(dir, `plain-${String(i)}`)),
    );
  }
  if (readBytes === 0) throw new Error('bench: the pipeline read nothing');
  return (performance.now() - t0) / 1000;
}

/**
 * The same bytes handled as JSONL lines without parsing: decode, split into lines, and write every
 * line of the pipeline's inputs and outputs back out in batched writes.
 */
async function plainLines(files: readonly string[], dir: string): Promise<number> {
  const t0 = performance.now();
  for (const [i, f] of files.entries()) {
    const out = createWriteStream(path.join(dir, `lines-${String(i)}`));
    let rest = '';
    for await (const chunk of createReadStream(f, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      const lines = (rest + (chunk as string)).split('\n');
      rest = lines.pop() ?? '';
      const batch: string[] = [];
      for (const line of lines) batch.push(line, '\n');
      if (!out.write(batch.join('')))
        await new Promise<void>((resolve) =>
          out.once('drain', () => {
            resolve();
          }),
        );
    }
    await new Promise<void>((resolve) =>
      out.end(() => {
        resolve();
      }),
    );
  }
  return (performance.now() - t0) / 1000;
}

const mb = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MB`;

export async function benchData(opts: { scale?: number } = {}): Promise<string[]> {
  const scale = opts.scale ?? 1;
  const docs = Math.max(10, Math.round(100_000 * scale));
  const nQueries = Math.max(10, Math.round(1_500_000 * scale));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'exp-bench-data-'));
  try {
    const src = await generate(dir, docs, nQueries);
    const out = {
      contexts: path.join(dir, 'contexts.jsonl'),
      sentences: path.join(dir, 'sentences.jsonl'),
      sft: path.join(dir, 'sft.jsonl'),
    };
    const t0 = performance.now();
    const c = await buildContexts({
      corpusFile: src.corpus,
      contextsFile: out.contexts,
      sentencesFile: out.sentences,
      tokenizer: whitespaceTokenizer,
      maxTokens: 256,
    });
    if (!c.ok) throw new Error(formatDataError(c.error));
    const t1 = performance.now();
    const s = await buildSftData({
      identifiersFile: src.ids,
      contextFile: out.sentences,
      queryFiles: [src.queries],
      combine: 'concat',
      seed: 1,
      promptFormat: 'mistral-instruct',
      outFile: out.sft,
    });
    if (!s.ok) throw new Error(formatDataError(s.error));
    const t2 = performance.now();
    const pipelineS = (t2 - t0) / 1000;
    const plainS = await plainIo(
      [src.corpus, src.ids, out.sentences, src.queries],
      [out.contexts, out.sentences, out.sft],
      dir,
    );
    const linesS = await plainLines(
      [src.corpus, src.ids, out.sentences, src.queries, out.contexts, out.sentences, out.sft],
      dir,
    );
    const sizes = await Promise.all(
      [src.corpus, src.queries, out.sentences, out.sft].map(async (f) => (await stat(f)).size),
    );
    const peak = process.resourceUsage().maxRSS * 1024;
    return [
      `data bench: ${String(docs)} documents, ${String(nQueries)} queries (scale ${String(scale)})`,
      `  inputs: corpus ${mb(sizes[0] ?? 0)}, queries ${mb(sizes[1] ?? 0)}; outputs: sentences ${mb(sizes[2] ?? 0)}, sft ${mb(sizes[3] ?? 0)}`,
      `  contexts+sentences: ${((t1 - t0) / 1000).toFixed(1)} s (${String(c.value.counts['contexts'])} contexts, ${String(c.value.counts['sentences'])} sentences)`,
      `  sft-data (concat): ${((t2 - t1) / 1000).toFixed(1)} s (${String(s.value.total)} examples)`,
      `  throughput: ${(docs / pipelineS).toFixed(0)} docs/s, ${((nQueries + (c.value.counts['sentences'] ?? 0)) / ((t2 - t1) / 1000)).toFixed(0)} sft examples/s`,
      `  plain I/O of the same bytes: raw copy ${plainS.toFixed(1)} s (pipeline ${(pipelineS / plainS).toFixed(1)}x), line by line ${linesS.toFixed(1)} s (pipeline ${(pipelineS / linesS).toFixed(1)}x); aim <= 3x`,
      `  peak RSS: ${mb(peak)} (aim < 2048 MB)`,
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--scale');
  const scale = i === -1 ? 1 : Number(process.argv[i + 1]);
  if (!(scale > 0)) {
    process.stderr.write('usage: node dist/bench/data.js [--scale <fraction > 0>]\n');
    process.exit(2);
  }
  for (const line of await benchData({ scale })) process.stdout.write(line + '\n');
}
