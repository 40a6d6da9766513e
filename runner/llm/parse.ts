// Turns a model's answer into items, tolerant of the list styles models really produce (dash,
// `*`, `•`, `1.`, `1)`, blank lines, preambles, trailing notes, bold markers, `Query: … Answer: …`
// on one or two lines), then validates them (non-empty, no echo of the instruction, length
// bounds, no duplicates within a unit). It does not decide whether a response is accepted.

export interface QaPair {
  query: string;
  answer: string;
}

export interface ParsedMetadata {
  topic: string;
  location: string;
}

const ITEM = /^\s*(?:[-*•+–]|\(?\d{1,3}[.):]|\[\d{1,3}\])\s+(.*)$/;
const PREAMBLE =
  /^(?:sure|certainly|okay|ok|here (?:are|is)|below (?:are|is)|the following)\b.*|.*:\s*$/i;

/** Removes markdown emphasis, surrounding quotes and stray whitespace. */
export function cleanItem(text: string): string {
  return text
    .replace(/\*\*|__|`/g, '')
    .replace(/^\s*["“']+|["”']+\s*$/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface ListOptions {
  /**
   * Which lines count as items in an answer without list markers: every non-preamble line, or
   * only questions (a refusal such as "I cannot help with that." is then no item).
   */
  unmarked: 'all' | 'questions';
}

/**
 * List items in order. Lines outside any list marker are preamble (before the first item) or
 * notes (after a blank line following the items); an indented line right after an item
 * continues it. An answer without markers falls back to one item per line, preambles skipped.
 */
export function parseList(text: string, options: ListOptions = { unmarked: 'all' }): string[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const items: string[] = [];
  let open = false;
  for (const line of lines) {
    const marker = ITEM.exec(line);
    if (marker !== null) {
      items.push(marker[1] ?? '');
      open = true;
    } else if (line.trim() === '') {
      open = false;
    } else if (open && /^\s+\S/.test(line)) {
      const last = items.length - 1;
      items[last] = `${items[last] ?? ''} ${line.trim()}`;
    }
  }
  if (items.length > 0) return items.map(cleanItem).filter((s) => s !== '');
  return lines
    .map((l) => l.trim())
    .filter((l) => l !== '' && !PREAMBLE.test(l) && (options.unmarked === 'all' || l.endsWith('?')))
    .map(cleanItem)
    .filter((s) => s !== '');
}

const QUERY = /^(?:q(?:uery)?|question)\s*\d*\s*[:.-]\s*/i;
const ANSWER = /(?:^|\s)(?:a(?:nswer)?)\s*\d*\s*:\s*/i;

/** `Query: … Answer: …` pairs, on one line or with the answer on the next line. */
export function parseQaPairs(text: string): QaPair[] {
  const pairs: QaPair[] = [];
  let pending: string | undefined;
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const line = cleanItem(ITEM.exec(raw)?.[1] ?? raw);
    if (line === '') continue;
    if (QUERY.test(line)) {
      const rest = line.replace(QUERY, '');
      const answerAt = rest.search(ANSWER);
      if (answerAt >= 0) {
        pairs.push({
          query: rest.slice(0, answerAt).trim(),
          answer: rest.slice(answerAt).replace(ANSWER, '').trim(),
        });
        pending = undefined;
      } else {
        pending = rest.trim();
      }
    } else if (pending !== undefined && /^a(?:nswer)?\s*\d*\s*:/i.test(line)) {
      pairs.push({ query: pending, answer: line.replace(/^a(?:nswer)?\s*\d*\s*:\s*/i, '').trim() });
      pending = undefined;
    }
  }
  return pairs.filter((p) => p.query !== '' && p.answer !== '');
}

/** `topic: …` and `location: …` lines; undefined when the topic is missing. */
export function parseMetadata(text: string): ParsedMetadata | undefined {
  const field = (name: string): string | undefined => {
    const match = new RegExp(`^[\\s*•-]*${name}\\s*:\\s*(.+)$`, 'im').exec(
      text.replace(/\*\*/g, ''),
    );
    return match?.[1] === undefined ? undefined : cleanItem(match[1]);
  };
  const topic = field('topic');
  if (topic === undefined || topic === '') return undefined;
  return { topic, location: field('location') || 'unknown' };
}

export interface ValidationRules {
  minChars: number;
  maxChars: number;
  /** The prompt's instruction text; an item found inside it is an echo. */
  instruction: string;
  /** Phrases an item must not contain (case-insensitive). */
  forbidden: readonly string[];
}

export type DropReason = 'too-short' | 'too-long' | 'echo' | 'forbidden' | 'duplicate';

export interface Validated<T> {
  kept: T[];
  dropped: { item: string; why: DropReason }[];
}

const normalise = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

export function validateItems<T>(
  items: readonly T[],
  textOf: (item: T) => string,
  rules: ValidationRules,
): Validated<T> {
  const instruction = normalise(rules.instruction);
  const seen = new Set<string>();
  const out: Validated<T> = { kept: [], dropped: [] };
  for (const item of items) {
    const text = textOf(item);
    const key = normalise(text);
    const lower = text.toLowerCase();
    let why: DropReason | undefined;
    if (text.length < rules.minChars || key === '') why = 'too-short';
    else if (text.length > rules.maxChars) why = 'too-long';
    else if (key.length >= 12 && instruction.includes(key)) why = 'echo';
    else if (rules.forbidden.some((f) => lower.includes(f))) why = 'forbidden';
    else if (seen.has(key)) why = 'duplicate';
    if (why === undefined) {
      seen.add(key);
      out.kept.push(item);
    } else {
      out.dropped.push({ item: text, why });
    }
  }
  return out;
}
