// The offline generator of the `local` profile and the tests: deterministic keywords,
// questions, query–answer pairs and metadata built from the unit's own text and metadata, no
// network. It answers in the markdown shape a real model uses, so the same parser runs on it.
// Its output is labelled `offline:offline-v1` in every record: it never passes for an LLM.

import { createHash } from 'node:crypto';
import { err, ok, type Result } from '../../result.js';
import type { CallFailure, ChatRequest, ChatResponse, PromptSource, Provider } from '../types.js';
import { splitSentences } from '../../data/sentences.js';

// v2: questions restate the context's statements; keywords skip sentence-initial words.
export const OFFLINE_MODEL = 'offline-v2';

export function offlineProvider(): Provider {
  return {
    name: 'offline',
    complete(req: ChatRequest): Promise<Result<ChatResponse, CallFailure>> {
      if (req.source === undefined) {
        return Promise.resolve(
          err({
            reason: 'bad-request',
            message: 'the offline generator needs the unit a prompt was rendered from',
          }),
        );
      }
      const full = generate(req.source, req.sample);
      // Characters per token ≈ 4 for English, the same rough count the estimator uses.
      const limit = req.maxTokens * 4;
      const text = full.length > limit ? full.slice(0, limit) : full;
      return Promise.resolve(
        ok({
          text,
          inputTokens: Math.ceil(req.prompt.length / 4),
          outputTokens: Math.ceil(text.length / 4),
          stopReason: full.length > limit ? 'length' : 'end',
        }),
      );
    },
  };
}

const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it its ' +
    'more most not of on or our out over said says she so some than that the their them then there these they this those ' +
    'to up was we were what when where which while who will with would you your after about also other new one two year years'
  ).split(' '),
);

/**
 * Salient terms: names (capitalised spans) first, then the most frequent content words. A
 * capitalised word that only ever starts a sentence ("Analysts said …") is not a name.
 */
export function salientTerms(text: string, limit = 12): string[] {
  const midSentence = new Set(
    [...text.matchAll(/[^.!?\s]\s+([A-Z][\w'’-]*)/g)].map((m) => m[1] ?? ''),
  );
  const entities = new Map<string, number>();
  for (const match of text.matchAll(/\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*/g)) {
    const words = match[0].split(/\s+/);
    const first = words[0] ?? '';
    if (STOPWORDS.has(first.toLowerCase()) || (words.length === 1 && !midSentence.has(first))) {
      words.shift();
    }
    const span = words.join(' ');
    if (span.length >= 3) entities.set(span, (entities.get(span) ?? 0) + 1);
  }
  const words = new Map<string, number>();
  // Past-tense verbs make poor subjects ("what was reported about raised?").
  for (const w of text.toLowerCase().match(/[a-z][a-z'-]{3,}/g) ?? []) {
    if (!STOPWORDS.has(w) && !w.endsWith('ed')) words.set(w, (words.get(w) ?? 0) + 1);
  }
  const byCount = (m: Map<string, number>): string[] =>
    [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([t]) => t);
  const terms: string[] = [];
  for (const t of [...byCount(entities), ...byCount(words)]) {
    if (!terms.some((have) => have.toLowerCase().includes(t.toLowerCase()))) terms.push(t);
    if (terms.length >= limit) break;
  }
  return terms.length > 0 ? terms : ['the reported events'];
}

/** The context's sentences, as statements a question can be made from. */
function statements(text: string): string[] {
  const out = splitSentences(text)
    .map((s) => s.text.trim().replace(/[.!?]+$/, ''))
    .filter((s) => s.split(/\s+/).length >= 4);
  return out.length > 0 ? out : [text.trim().replace(/[.!?]+$/, '')];
}

const lower = (s: string): string =>
  /^[A-Z][a-z]/.test(s) && !/^[A-Z][a-z]+\s+[A-Z]/.test(s)
    ? s.charAt(0).toLowerCase() + s.slice(1)
    : s;

/** A small PRNG seeded from the unit and the sample index, so a re-asked sample differs. */
function rng(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0) || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

// Questions restate one of the context's statements, or ask about a name in it: an offline
// stand-in for an LLM's questions that keeps the words a retriever can learn from.
const QUESTION_TEMPLATES = [
  (s: string) => `Which report says that ${lower(s)}?`,
  (s: string) => `Where can I read that ${lower(s)}?`,
  (s: string, a: string) => `What happened with ${a}, given that ${lower(s)}?`,
  (s: string) => `Is it true that ${lower(s)}?`,
  (s: string, a: string) => `What is known about ${a}?`,
];

/** A question that must be answered from documents with this metadata value. */
function constraintQuestion(key: string, value: string, statement: string): string {
  const claim = lower(statement);
  switch (key) {
    case 'source':
      return `According to ${value}, is it true that ${claim}?`;
    case 'author':
      return `In the article by ${value}, how is it reported that ${claim}?`;
    case 'published_at':
    case 'date':
      return `In news published on ${value.slice(0, 10)}, where is it reported that ${claim}?`;
    case 'category':
      return `Which ${value} story says that ${claim}?`;
    case 'title':
      return `Does the piece titled "${value}" say that ${claim}?`;
    case 'perspective':
    case 'leaning':
    case 'polarity':
      return `How do ${value}-leaning outlets report that ${claim}?`;
    case 'topic':
      return `Which ${value} news says that ${claim}?`;
    case 'location':
      return `What news from ${value} says that ${claim}?`;
    default:
      return `Which document with ${key} "${value}" says that ${claim}?`;
  }
}

const TOPIC_WORDS: Record<string, string[]> = {
  Sports: [
    'game',
    'team',
    'season',
    'coach',
    'match',
    'league',
    'win',
    'cup',
    'olympic',
    'player',
    'score',
  ],
  Business: [
    'market',
    'shares',
    'company',
    'profit',
    'stock',
    'bank',
    'sales',
    'oil',
    'deal',
    'economy',
    'prices',
  ],
  'Sci/Tech': [
    'software',
    'internet',
    'computer',
    'space',
    'technology',
    'microsoft',
    'google',
    'research',
    'scientists',
    'online',
  ],
  World: [
    'government',
    'minister',
    'president',
    'war',
    'election',
    'police',
    'killed',
    'troops',
    'united',
    'nations',
  ],
};

function guessTopic(text: string): string {
  const lower = text.toLowerCase();
  let best = 'World';
  let bestCount = 0;
  for (const [topic, words] of Object.entries(TOPIC_WORDS)) {
    const count = words.reduce((n, w) => n + (lower.split(w).length - 1), 0);
    if (count > bestCount) [best, bestCount] = [topic, count];
  }
  return best;
}

function generate(source: PromptSource, sample: number): string {
  const terms = salientTerms(source.text);
  const random = rng(`${source.task}\n${sample}\n${source.text}`);
  // Subjects come from the most salient terms (names first), so questions stay on topic.
  const subjects = terms.slice(0, Math.max(3, Math.ceil(terms.length / 2)));
  const pick = (i: number): string =>
    subjects[(i + Math.floor(random() * subjects.length)) % subjects.length] ?? terms[0] ?? '';
  const said = (i: number): string => {
    const all = statements(source.text);
    return all[(i + Math.floor(random() * all.length)) % all.length] ?? '';
  };
  const lines: string[] = [];
  switch (source.task) {
    case 'keywords':
      return terms
        .slice(0, 8)
        .map((t) => `- ${t}`)
        .join('\n');
    case 'metadata': {
      const place = /\b(?:in|at|from)\s+([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*)/.exec(
        source.text,
      )?.[1];
      return `topic: ${guessTopic(source.text)}\nlocation: ${place ?? 'unknown'}`;
    }
    case 'questions':
      for (let i = 0; i < source.m; i++) {
        const template =
          QUESTION_TEMPLATES[Math.floor(random() * QUESTION_TEMPLATES.length)] ??
          QUESTION_TEMPLATES[0];
        lines.push(`- ${template?.(said(i), pick(i)) ?? ''}`);
      }
      return lines.join('\n');
    case 'constraints': {
      const fields = Object.entries(source.metadata).filter(([, v]) => v.trim() !== '');
      for (let i = 0; i < source.m; i++) {
        const field = fields[Math.floor(random() * fields.length)];
        lines.push(
          `- ${field === undefined ? `Which report says that ${lower(said(i))}?` : constraintQuestion(field[0], field[1], said(i))}`,
        );
      }
      return lines.join('\n');
    }
    case 'qa-pairs':
      // Hard pairs: the statement with its leading name masked, the name as the answer.
      for (let i = 0; i < source.m; i++) {
        const statement = said(i);
        const name = terms.find((t) => statement.startsWith(t) && /^[A-Z]/.test(t));
        const query = name
          ? `Who ${statement.slice(name.length).trim()}?`
          : `Which report says that ${lower(statement)}?`;
        lines.push(`- Query: ${query} Answer: ${name ?? pick(i)}`);
      }
      return lines.join('\n');
  }
}
