// Token-based chunking (appendix A.1: chunks of at most N tokens, no overlap). Cuts fall on token
// boundaries of the whole document mapped back to text offsets, so concatenating a document's
// chunks gives the document back exactly. Whitespace at a cut stays with the earlier chunk, so
// chunks start with a word. Because a chunk is tokenised again on its own later (prompts,
// statistics), and SentencePiece may then split its edges differently, each chunk is re-counted
// and shortened token by token until it fits: the bound holds for the chunk as later seen.
// This module does not know which tokenizer it uses (tokenizer.ts) or where text comes from.

import type { Tokenizer, TokenSpan } from './tokenizer.js';

export interface TextChunk {
  text: string;
  /** UTF-16 offsets of the chunk in the document. */
  start: number;
  end: number;
  /** Token count of `text` tokenised on its own. */
  tokens: number;
}

export interface ChunkOptions {
  tokenizer: Tokenizer;
  maxTokens: number;
}

const WS = /\s/u;

/** Offset at which a cut before token `k` falls: after any whitespace the token starts with. */
function cutBefore(text: string, spans: readonly TokenSpan[], k: number): number {
  const span = spans[k];
  if (span === undefined) return text.length;
  let p = span.start;
  while (p < span.end && WS.test(text[p] ?? '')) p++;
  return p;
}

export function chunkText(text: string, opts: ChunkOptions): TextChunk[] {
  const { tokenizer, maxTokens } = opts;
  if (maxTokens < 1)
    throw new Error(`internal error: maxTokens must be positive, got ${String(maxTokens)}`);
  const spans = tokenizer.spans(text);
  const chunks: TextChunk[] = [];
  let startTok = 0;
  let startOff = 0;
  while (startOff < text.length) {
    let best: { k: number; end: number; tokens?: number } | undefined;
    for (let k = Math.min(startTok + maxTokens, spans.length); k > startTok; k--) {
      const end = cutBefore(text, spans, k);
      if (end <= startOff) break;
      const tokens = tokenizer.count(text.slice(startOff, end));
      best = { k, end, tokens };
      if (tokens <= maxTokens) break;
    }
    // No cut fits: either a single token re-tokenises above the bound, or the first cuts are
    // zero-width (partial byte-fallback characters). Take the shortest cut that makes progress;
    // the bound cannot hold there on token boundaries.
    if (best === undefined) {
      let k = Math.min(startTok + maxTokens, spans.length) + 1;
      while (k < spans.length && cutBefore(text, spans, k) <= startOff) k++;
      best = {
        k: Math.min(k, spans.length),
        end: cutBefore(text, spans, Math.min(k, spans.length)),
      };
    }
    const piece = text.slice(startOff, best.end);
    chunks.push({
      text: piece,
      start: startOff,
      end: best.end,
      tokens: best.tokens ?? tokenizer.count(piece),
    });
    startTok = best.k;
    startOff = best.end;
  }
  return chunks;
}
