// Token counting for chunking and identifier statistics. The chunker depends only on the
// `Tokenizer` interface; `loadSentencePiece` wraps Google's sentencepiece compiled to WASM
// (@sctg/sentencepiece-js), whose ids agree with Python `sentencepiece` on the Mistral v3 model
// (checked on ASCII, accents, CJK, emoji, newlines and runs of spaces). `whitespaceTokenizer` is
// for tests and the bench, where the real model's speed is not what is measured.
// This module does not cache tokenizers across processes or download models.

import { readFile } from 'node:fs/promises';
import type { Result } from '../result.js';
import { err, ok } from '../result.js';
import type { DataError } from './errors.js';

/** A token's extent in the source text, as UTF-16 offsets `[start, end)`. */
export interface TokenSpan {
  start: number;
  end: number;
}

export interface Tokenizer {
  readonly name: string;
  count(text: string): number;
  encode(text: string): number[];
  /** One span per token of `encode(text)`; spans are ordered, non-overlapping, cover `text`. */
  spans(text: string): TokenSpan[];
}

/**
 * Whitespace runs attach to the following word, as SentencePiece's "▁" does; trailing whitespace
 * joins the last word so that a text ending in spaces does not count an extra token.
 */
export const whitespaceTokenizer: Tokenizer = {
  name: 'whitespace',
  count: (text) => wordSpans(text).length,
  encode: (text) => wordSpans(text).map((s) => s.end - s.start),
  spans: wordSpans,
};

function wordSpans(text: string): TokenSpan[] {
  const out: TokenSpan[] = [];
  const re = /\s*\S+/gu;
  for (let m = re.exec(text); m !== null; m = re.exec(text))
    out.push({ start: m.index, end: m.index + m[0].length });
  const last = out[out.length - 1];
  if (last !== undefined) last.end = text.length;
  else if (text !== '') out.push({ start: 0, end: text.length });
  return out;
}

interface SpProcessor {
  loadFromB64StringModel(b64: string): Promise<void>;
  encodeIds(text: string): number[];
  encodePieces(text: string): string[];
}

// Imported by a computed specifier so that `tsc` does not parse the package's 3 MB declaration
// file (it inlines several base64 models) on every build; the shape used is declared above.
const SP_PACKAGE = '@sctg/sentencepiece-js';

export async function loadSentencePiece(modelFile: string): Promise<Result<Tokenizer, DataError>> {
  let b64: string;
  try {
    b64 = (await readFile(modelFile)).toString('base64');
  } catch {
    return err({ reason: 'file-missing', file: modelFile });
  }
  try {
    const mod = (await import(SP_PACKAGE)) as { SentencePieceProcessor: new () => SpProcessor };
    const sp = new mod.SentencePieceProcessor();
    await sp.loadFromB64StringModel(b64);
    return ok(sentencePieceTokenizer(sp, modelFile));
  } catch (e) {
    return err({ reason: 'tokenizer-failed', file: modelFile, detail: (e as Error).message });
  }
}

const BYTE_PIECE = /^<0x([0-9A-F]{2})>$/u;

function sentencePieceTokenizer(sp: SpProcessor, modelFile: string): Tokenizer {
  return {
    name: `sentencepiece:${modelFile}`,
    count: (text) => sp.encodeIds(text).length,
    encode: (text) => sp.encodeIds(text),
    spans: (text) => alignPieces(text, sp.encodePieces(text)),
  };
}

/**
 * Maps SentencePiece pieces back onto the text. Assumes the identity normaliser with a dummy
 * prefix (Mistral, Llama): "▁" stands for a space, the first piece's leading "▁" consumes nothing,
 * and byte-fallback pieces `<0xNN>` consume one character once its UTF-8 bytes are complete
 * (the earlier bytes of that character get empty spans). A piece that does not match the text
 * means the model normalises differently, which is a bug to report, not data to guess at.
 */
export function alignPieces(text: string, pieces: readonly string[]): TokenSpan[] {
  const spans: TokenSpan[] = [];
  let pos = 0;
  let bytes: number[] = [];
  let first = true;
  for (const piece of pieces) {
    const byte = BYTE_PIECE.exec(piece);
    if (byte !== null) {
      bytes.push(parseInt(byte[1] ?? '0', 16));
      const char = completeChar(bytes);
      if (char === undefined) {
        spans.push({ start: pos, end: pos });
      } else {
        spans.push({ start: pos, end: pos + char.length });
        pos += char.length;
        bytes = [];
      }
      first = false;
      continue;
    }
    let surface = piece.replaceAll('\u2581', ' ');
    if (first && surface.startsWith(' ')) surface = surface.slice(1);
    first = false;
    if (!text.startsWith(surface, pos)) {
      throw new Error(
        `internal error: tokenizer piece ${JSON.stringify(piece)} does not match the text at offset ${String(pos)}`,
      );
    }
    spans.push({ start: pos, end: pos + surface.length });
    pos += surface.length;
  }
  return spans;
}

function completeChar(bytes: number[]): string | undefined {
  const lead = bytes[0] ?? 0;
  const need = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  if (bytes.length < need) return undefined;
  return Buffer.from(bytes).toString('utf8');
}
