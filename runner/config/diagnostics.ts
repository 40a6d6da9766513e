// Diagnostics that point at the YAML source: `file:line:col`, the source line, and `~~~` under
// the node. Collected in one pass, sorted, printed together. Does not decide what is wrong:
// loaders and validators create diagnostics, this module only locates and renders them.

import path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';

export interface SourceFile {
  /** Path as given by the user (rendered relative to the working directory). */
  path: string;
  text: string;
  doc: Document;
  lines: LineCounter;
}

export interface Diagnostic {
  severity: 'error' | 'warning';
  file: string;
  /** Byte offsets into the file; absent when the problem is the file as a whole. */
  range?: [number, number];
  message: string;
}

export function parseSource(file: string, text: string): SourceFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  return { path: file, text, doc, lines };
}

export function sortDiagnostics(diags: Diagnostic[]): Diagnostic[] {
  return [...diags].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      (a.range?.[0] ?? -1) - (b.range?.[0] ?? -1) ||
      a.message.localeCompare(b.message),
  );
}

/** Renders one diagnostic with its source line and a marker under the node. */
export function renderDiagnostic(d: Diagnostic, sources: Map<string, SourceFile>): string {
  const rel = path.relative(process.cwd(), d.file) || d.file;
  const src = sources.get(d.file);
  if (!d.range || !src) return `${rel} ${d.severity}: ${d.message}`;
  const start = src.lines.linePos(d.range[0]);
  const lineText = src.text.split('\n')[start.line - 1] ?? '';
  // A node spanning lines is underlined to the end of its first line.
  const end = src.lines.linePos(Math.max(d.range[1], d.range[0] + 1));
  const width = end.line === start.line ? end.col - start.col : lineText.length - start.col + 1;
  const gutter = String(start.line).length;
  return [
    `${rel}:${start.line}:${start.col} ${d.severity}: ${d.message}`,
    ` ${String(start.line)} | ${lineText.trimEnd()}`,
    ` ${' '.repeat(gutter)} | ${' '.repeat(start.col - 1)}${'~'.repeat(Math.max(1, width))}`,
  ].join('\n');
}

/** Closest candidate by edit distance, if close enough to be a plausible typo. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3))
    ? best
    : undefined;
}

export function suggestion(word: string, candidates: Iterable<string>): string {
  const s = didYouMean(word, candidates);
  return s === undefined ? '' : ` (did you mean "${s}"?)`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
