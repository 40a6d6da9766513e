// Step kind `corpus`: a dataset's source, normalised by its adapter into retrieval units
// (corpus.jsonl), test queries (queries.jsonl), qrels (qrels.txt) and any human query sets.
// Chunk-unit datasets are chunked here with the base model's tokenizer, since their units are
// the chunks (appendix A.1). Paths are relative to the working directory.

import path from 'node:path';
import { adaptBeir } from '../data/adapters/beir.js';
import { adaptMini } from '../data/adapters/mini.js';
import { adaptMultihopRag } from '../data/adapters/multihop-rag.js';
import { adaptNq } from '../data/adapters/nq.js';
import { adaptPir, type PirTask } from '../data/adapters/pir.js';
import { fetchSource } from '../data/fetch-source.js';
import type { DataReport } from '../data/report.js';
import { whitespaceTokenizer, type Tokenizer } from '../data/tokenizer.js';
import type { DataError } from '../data/errors.js';
import type { RunContext, StepFailure, StepKind } from '../plan/step.js';
import { err, ok, type Json, type Result } from '../result.js';
import { FILES, fromData, need, readLines } from './common.js';
import { estimateCost, generate, promptEnv, roleOf, type RoleSlice } from './generation.js';
import type { CorpusUnit } from '../data/records.js';
import { writeJsonl } from '../data/jsonl.js';
import { loadTokenizer } from './tokenizer.js';
import { trainerEnvHash } from './trainer.js';

interface Source {
  adapter: 'multihop-rag' | 'pir' | 'nq' | 'beir' | 'mini' | 'fake';
  path?: string;
  url?: string;
  sha256?: string;
  task?: string;
  metadata_fields?: string[];
  articles?: number;
  queries?: number;
  train_queries?: number;
  seed?: number;
  unit?: 'chunk' | 'document';
}

interface Slice {
  source: Source;
  unit: 'chunk' | 'document';
  chunk: { tokenizer: string; tokens: number } | null;
}

/** Effectively unlimited: a document-level unit is never split. */
const WHOLE = Number.MAX_SAFE_INTEGER;

/**
 * AGNews (PIR benchmark) has no topic or location fields: an LLM extracts them (appendix A.3)
 * from the raw documents, then the adapter runs again with them merged and the test queries
 * rewritten to location + topic perspectives. `args.raw` plans the first pass.
 */
function extractsMetadata(source: Source, args: Json): boolean {
  return (
    source.adapter === 'pir' && source.task === 'agnews' && !(args as { raw?: boolean } | null)?.raw
  );
}

export const corpus: StepKind = {
  name: 'corpus',
  version: 1,
  plan: (ctx, args) => {
    const source = need<Json>(ctx.cell.recipe, 'source') as unknown as Source;
    const unit = source.unit ?? ctx.dataset.unit;
    const slice: Slice = {
      source,
      unit,
      chunk:
        unit === 'chunk'
          ? {
              tokenizer: need<string>(ctx.cell.recipe, 'model.tokenizer'),
              tokens: need<number>(ctx.cell.recipe, 'contexts.chunk_tokens'),
            }
          : null,
    };
    const enrich = extractsMetadata(source, args);
    return {
      slice: (enrich ? { ...slice, metadata: 'llm' } : slice) as unknown as Json,
      inputs: enrich ? { metadata: { kind: 'metadata' } } : undefined,
      env: unit === 'chunk' ? trainerEnvHash(ctx.repoRoot, ctx.profile) : {},
      label: `corpus:${ctx.cell.dataset}${enrich ? '' : (args as { raw?: boolean } | null)?.raw ? ':raw' : ''}`,
    };
  },
  run: async (ctx) => {
    const s = ctx.slice as unknown as Slice;
    let tokenizer: Tokenizer | undefined;
    if (s.chunk) {
      const t = await loadTokenizer(ctx, s.chunk.tokenizer);
      if (!t.ok) return t;
      tokenizer = t.value;
    }
    const where = await locate(ctx, s.source);
    if (!where.ok) return where;
    const metadataFile = ctx.inputs.metadata
      ? path.join(ctx.inputs.metadata.dir, 'metadata.jsonl')
      : undefined;
    const r = await adapt(s, where.value, ctx.out, tokenizer, metadataFile);
    return r.ok ? ok(r.value as unknown as Record<string, Json>) : fromData(r);
  },
};

/** Step kind `metadata`: topic and location of each raw AGNews document, from an LLM. */
export const metadata: StepKind = {
  name: 'metadata',
  version: 1,
  plan: (ctx) => {
    const role = roleOf(ctx.cell.recipe, 'metadata');
    return {
      slice: { role } as unknown as Json,
      inputs: { corpus: { kind: 'corpus', args: { raw: true } } },
      env: promptEnv('metadata'),
      resources: { llm: 1 },
      cost: estimateCost(
        ctx.profile,
        'metadata',
        role,
        ctx.dataset.estimate?.units ?? ctx.dataset.estimate?.contexts ?? 0,
        1,
      ),
      label: `metadata:${ctx.cell.dataset}`,
    };
  },
  run: async (ctx) => {
    const units = await readLines<CorpusUnit>(
      path.join(ctx.inputs.corpus?.dir ?? '', FILES.corpus),
    );
    const g = await generate(ctx, {
      task: 'metadata',
      kind: 'metadata',
      units,
      m: 1,
      dataset: 'agnews',
      role: (ctx.slice as unknown as { role: RoleSlice }).role,
    });
    if (!g.ok) return g;
    await writeJsonl(
      path.join(ctx.out, 'metadata.jsonl'),
      g.value.records.map((r) => ({
        unit: r.unit,
        metadata: { topic: r.metadata?.topic ?? '', location: r.metadata?.location ?? '' },
      })),
    );
    return ok({ generation: g.value.report });
  },
};

/** The source on disk: its path, or a download verified against its pinned sha256. */
async function locate(ctx: RunContext, source: Source): Promise<Result<string, StepFailure>> {
  if (source.url) {
    if (!source.sha256)
      return err({
        reason: 'bad-data',
        message: `source ${source.url}: a download needs a pinned sha256`,
      });
    const dest = path.join(
      ctx.cacheRoot,
      '.downloads',
      source.sha256,
      path.basename(new URL(source.url).pathname) || 'download',
    );
    const f = await fetchSource({ url: source.url, sha256: source.sha256, dest });
    return f.ok ? ok(dest) : fromData(f);
  }
  return ok(path.resolve(source.path ?? '.'));
}

function adapt(
  s: Slice,
  where: string,
  outDir: string,
  tokenizer: Tokenizer | undefined,
  metadataFile: string | undefined,
): Promise<Result<DataReport, DataError>> {
  const maxTokens = s.chunk?.tokens ?? WHOLE;
  // Document-level units are never split: any tokenizer with an unlimited budget keeps them whole.
  const tok = tokenizer ?? whitespaceTokenizer;
  switch (s.source.adapter) {
    case 'multihop-rag':
      return adaptMultihopRag({
        corpusFile: path.join(where, 'corpus.json'),
        queriesFile: path.join(where, 'MultiHopRAG.json'),
        outDir,
        tokenizer: tok,
        maxTokens,
      });
    case 'mini':
      return adaptMini({
        seed: s.source.seed ?? 0,
        articles: s.source.articles,
        queries: s.source.queries,
        trainQueries: s.source.train_queries,
        outDir,
        tokenizer: tok,
        maxTokens,
      });
    case 'pir': {
      const task = (s.source.task ?? '') as PirTask;
      const source = where.endsWith('.json')
        ? { format: 'demo' as const, file: where, task }
        : { format: 'beir' as const, dir: where, task };
      return adaptPir({ source, outDir, metadataFile, rewriteQueries: metadataFile !== undefined });
    }
    case 'nq':
      return adaptNq({ dir: where, outDir });
    case 'beir':
      return adaptBeir({ dir: where, outDir, metadataFields: s.source.metadata_fields ?? [] });
    case 'fake':
      return Promise.resolve(
        err({
          reason: 'unsupported-format',
          file: where,
          detail: 'the fake adapter exists only for the test suite',
        }),
      );
  }
}
