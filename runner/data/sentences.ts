// Sentence splitting for sentence-level queries and Context2ID. A rule-based splitter tuned for
// news and encyclopedia prose: a sentence ends at . ! ? or an ellipsis, plus any closing quotes
// or brackets (also the space-separated quotes of tokenised corpora such as AllSides), when the
// next word starts like a sentence (capital, digit, opening quote) — so "3.5", "e.g. this" and
// "the U.S. economy" do not split. Titles (Mr., Dr., Sen., Jan.) and single initials never end a
// sentence; dotted acronyms (U.S., a.m.) end one only at a line break, trading a rare merged
// sentence ("... in the U.S. The next day") for never cutting "the U.S. Senate". Line breaks
// always end a sentence (headlines, list items). Sentences are trimmed spans of the input.
// This module does not handle languages without spaces between sentences.

export interface SentenceSpan {
  text: string;
  start: number;
  end: number;
}

const TITLES = new Set(
  (
    'mr mrs ms dr prof sr jr st mt ft gen gov sen rep rev capt lt col sgt maj cmdr adm hon pres ' +
    'no nos vs v cf fig figs vol vols eq approx dept est ed eds al jan feb mar apr jun jul aug sep sept oct nov dec ' +
    'mon tue tues wed thu thur thurs fri sat sun'
  ).split(' '),
);
/** Abbreviations that often close a sentence: they end one when a capitalised word follows. */
const CLOSERS = new Set(['etc', 'inc', 'ltd', 'co', 'corp', 'llc', 'plc']);

const TERMINAL = /[.!?\u2026]/u;
const CLOSING = /[\u201d\u2019)\]\u00bb}]/u;
const OPENING = /[\u201c\u2018(["'\u00ab]/u;
const UPPER_OR_DIGIT = /[\p{Lu}\p{N}]/u;

export function splitSentences(text: string): SentenceSpan[] {
  const out: SentenceSpan[] = [];
  let start = 0;
  const emit = (end: number): void => {
    let s = start;
    let e = end;
    while (s < e && /\s/u.test(text[s] ?? '')) s++;
    while (e > s && /\s/u.test(text[e - 1] ?? '')) e--;
    if (e > s) out.push({ text: text.slice(s, e), start: s, end: e });
    start = end;
  };
  // Jump between candidate characters rather than testing every character (NQ-scale corpora).
  const candidate = /[.!?\u2026\n]/gu;
  let i = 0;
  while (i < text.length) {
    candidate.lastIndex = i;
    const m = candidate.exec(text);
    if (m === null) break;
    i = m.index;
    if (text[i] === '\n') {
      emit(i);
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && TERMINAL.test(text[j] ?? '')) j++;
    const { end, next } = closeRun(text, j);
    if (next > end && startsSentence(text, next) && !isAbbreviation(text, i, j, text[next] ?? '')) {
      emit(end);
      i = next;
    } else {
      i = j;
    }
  }
  emit(text.length);
  return out;
}

/**
 * After terminal punctuation: consumes spaces (not line breaks) and closing quotes/brackets.
 * Returns where the sentence ends (after the last closer) and where the next non-space is.
 */
function closeRun(text: string, from: number): { end: number; next: number } {
  let end = from;
  let p = from;
  while (p < text.length) {
    const c = text[p] ?? '';
    if (c === ' ' || c === '\t' || c === '\u00a0') p++;
    else if (CLOSING.test(c)) end = ++p;
    else if ((c === '"' || c === "'") && (p + 1 >= text.length || /\s/u.test(text[p + 1] ?? '')))
      end = ++p;
    else break;
  }
  return { end, next: p };
}

function startsSentence(text: string, p: number): boolean {
  if (p >= text.length) return true;
  const c = text[p] ?? '';
  if (c === '\n' || UPPER_OR_DIGIT.test(c)) return true;
  return OPENING.test(c) && UPPER_OR_DIGIT.test(text[p + 1] ?? '');
}

/** Is the period run at [i, j) the end of an abbreviation rather than of a sentence? */
function isAbbreviation(text: string, i: number, j: number, nextChar: string): boolean {
  if (text[i] !== '.' || j - i > 1) return false;
  let s = i;
  while (s > 0 && /[\p{L}.]/u.test(text[s - 1] ?? '')) s--;
  const word = text.slice(s, i);
  if (word === '') return false;
  const lower = word.toLowerCase();
  if (TITLES.has(lower)) return true;
  if (/^\p{Lu}$/u.test(word)) return true;
  if (CLOSERS.has(lower)) return false;
  // Dotted acronyms (U.S, e.g, a.m): a sentence may end there, but only a line break says so.
  return word.includes('.') && nextChar !== '\n';
}
