// The `mini` dataset: a corpus the project generates from a seed, for the local profile and tests.
// Fictional news articles (title, author, source, category, published_at, url, body) about
// invented companies, teams and universities, and multi-evidence test queries in the shape of
// MultiHopRAG.json, so the multihop-rag adapter (chunking, fact → chunk gold) runs unchanged.
// Facts are sentences of the articles; queries describe them in other words (paraphrase lists in
// mini-words.ts), so a retriever must learn the corpus rather than match strings. Query types
// follow MultiHop-RAG (inference, comparison, temporal, null) plus `constraint_query`, which
// names a source or author ("What did <source> report about ..."). Same seed and size, same bytes.
// This module generates data only; it does not chunk (the multihop-rag adapter does).

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { DATASET_FILES } from '../dataset-files.js';
import { readJsonl, writeJsonl } from '../jsonl.js';
import type { QueryRecord, TestQuery } from '../records.js';
import path from 'node:path';
import { ok, type Result } from '../../result.js';
import type { DataError } from '../errors.js';
import type { DataReport } from '../report.js';
import type { Tokenizer } from '../tokenizer.js';
import { adaptMultihopRag } from './multihop-rag.js';
import {
  CATEGORIES,
  FACILITIES,
  FILLER,
  FINDINGS,
  NAME_PARTS,
  PRODUCTS,
  PRODUCT_KINDS,
  ROLES,
} from './mini-words.js';

export interface MiniArticle {
  title: string;
  author: string;
  source: string;
  published_at: string;
  category: string;
  url: string;
  body: string;
}

export interface MiniQuery {
  query: string;
  answer: string;
  question_type: string;
  evidence_list: (Omit<MiniArticle, 'body'> & { fact: string })[];
}

/** A seeded PRNG (mulberry32): small, fast and identical on every platform. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** One queried event: the fact sentence and ways to ask about it without quoting it. */
interface Event {
  subject: string;
  fact: string;
  /** Past-tense description in other words, e.g. "saw its sales climb 8 percent". */
  described: string;
  /** A question whose answer the fact gives, naming the subject. */
  question: string;
  answer: string;
  /** For comparisons: a number and what it measures. */
  value?: { amount: number; measure: string };
  title: string;
  category: string;
}

function companyEvent(r: Rand, company: string): Event {
  const kind = int(r, 0, 3);
  if (kind === 0) {
    const amount = int(r, 40, 990);
    const pct = int(r, 2, 35);
    return {
      subject: company,
      category: 'business',
      answer: `${String(amount)} million dollars`,
      fact: `${company} reported quarterly revenue of ${String(amount)} million dollars, up ${String(pct)} percent from a year earlier.`,
      described: `saw its sales climb ${String(pct)} percent over twelve months`,
      question: `How much money did ${company} bring in during its latest quarter?`,
      value: { amount, measure: 'bring in more money last quarter' },
      title: `${company} posts ${String(pct)}% revenue growth`,
    };
  }
  if (kind === 1) {
    const person = `${pick(r, NAME_PARTS.first)} ${pick(r, NAME_PARTS.last)}`;
    const role = pick(r, ROLES);
    return {
      subject: company,
      category: 'business',
      answer: person,
      fact: `${company} named ${person} as its new ${role.role}.`,
      described: `chose ${person} to ${role.paraphrase}`,
      question: `Who was picked to ${role.paraphrase} at ${company}?`,
      title: `${company} appoints ${person}`,
    };
  }
  if (kind === 2) {
    const facility = pick(r, FACILITIES);
    const city = pick(r, NAME_PARTS.city);
    return {
      subject: company,
      category: 'technology',
      answer: city,
      fact: `${company} opened a new ${facility} in ${city} this week.`,
      described: `started operating a ${facility} in ${city}`,
      question: `In which town did ${company} begin running its newest ${facility}?`,
      title: `${company} expands with ${facility} in ${city}`,
    };
  }
  const product = pick(r, PRODUCTS);
  const kindOf = pick(r, PRODUCT_KINDS);
  const price = int(r, 49, 2400);
  return {
    subject: company,
    category: 'technology',
    answer: `${String(price)} dollars`,
    fact: `${company} launched the ${product}, a ${kindOf.kind} priced at ${String(price)} dollars.`,
    described: `began selling a ${kindOf.paraphrase} called the ${product}`,
    question: `What does ${company} charge for its new ${kindOf.paraphrase}?`,
    value: { amount: price, measure: 'ask a higher price for its new product' },
    title: `${company} unveils the ${product}`,
  };
}

function otherEvent(r: Rand): Event {
  if (r() < 0.5) {
    const team = pick(r, NAME_PARTS.team);
    let rival = pick(r, NAME_PARTS.team);
    while (rival === team) rival = pick(r, NAME_PARTS.team);
    const won = int(r, 60, 120);
    const lost = won - int(r, 1, 25);
    return {
      subject: team,
      category: 'sports',
      answer: `the ${rival}`,
      fact: `The ${team} beat the ${rival} ${String(won)} to ${String(lost)} on ${pick(r, ['Friday', 'Saturday', 'Sunday'])}.`,
      described: `defeated the ${rival} by ${String(won - lost)} points`,
      question: `Which opponent fell to the ${team} by a ${String(won - lost)}-point margin?`,
      value: { amount: won, measure: 'score more points in its latest win' },
      title: `${team} edge ${rival}`,
    };
  }
  const univ = pick(r, NAME_PARTS.university);
  const f = pick(r, FINDINGS);
  return {
    subject: univ,
    category: pick(r, ['science', 'health']),
    answer: f.finding,
    fact: `Researchers at ${univ} found that ${f.subject} ${f.finding}.`,
    described: `published a study on ${f.paraphrase}`,
    question: `What did a team at ${univ} conclude about ${f.paraphrase}?`,
    title: `${univ} study on ${f.subject}`,
  };
}

interface GeneratedArticle {
  article: MiniArticle;
  events: Event[];
}

function makeArticle(r: Rand, index: number, companies: readonly string[]): GeneratedArticle {
  const isCompany = r() < 0.7;
  const company = pick(r, companies);
  const events = isCompany ? [companyEvent(r, company), companyEvent(r, company)] : [otherEvent(r)];
  const first = events[0] as Event;
  const fill = (): string =>
    pick(r, FILLER)
      .replaceAll('{company}', first.subject)
      .replaceAll('{person}', `${pick(r, NAME_PARTS.first)} ${pick(r, NAME_PARTS.last)}`)
      .replaceAll('{city}', pick(r, NAME_PARTS.city));
  const paragraph = (lead: string | undefined): string =>
    [lead, ...Array.from({ length: int(r, 3, 5) }, fill)].filter((s) => s !== undefined).join(' ');
  // Four paragraphs (~250 words) so that 256-token chunking gives most articles two chunks.
  const body = [
    paragraph(events[0]?.fact),
    paragraph(undefined),
    paragraph(events[1]?.fact),
    paragraph(undefined),
  ].join('\n\n');
  const day = int(r, 0, 119);
  const date = new Date(Date.UTC(2023, 8, 1) + day * 86_400_000 + int(r, 0, 86_399) * 1000);
  const source = pick(r, NAME_PARTS.source);
  return {
    events,
    article: {
      title: `${first.title} (${String(index)})`,
      author: `${pick(r, NAME_PARTS.first)} ${pick(r, NAME_PARTS.last)}`,
      source,
      published_at: date.toISOString().replace('.000Z', '+00:00'),
      category: CATEGORIES.includes(first.category as (typeof CATEGORIES)[number])
        ? first.category
        : 'business',
      url: `https://news.example/${source.toLowerCase().replace(/[^a-z]+/gu, '-')}/${String(index)}`,
      body,
    },
  };
}

const evidence = (g: GeneratedArticle, e: Event): MiniQuery['evidence_list'][number] => {
  const a = g.article;
  return {
    title: a.title,
    author: a.author,
    source: a.source,
    published_at: a.published_at,
    category: a.category,
    url: a.url,
    fact: e.fact,
  };
};

function makeQuery(
  r: Rand,
  all: readonly GeneratedArticle[],
  bySubject: Map<string, GeneratedArticle[]>,
): MiniQuery {
  const a = pick(r, all);
  const ea = pick(r, a.events);
  const roll = r();
  if (roll < 0.05) {
    return {
      query: `What did ${pick(r, NAME_PARTS.source)} report about the merger of ${pick(r, NAME_PARTS.companyA)} Shipping?`,
      answer: 'Insufficient information.',
      question_type: 'null_query',
      evidence_list: [],
    };
  }
  if (roll < 0.2) {
    const byAuthor = r() < 0.5;
    const lead = byAuthor
      ? `In the article by ${a.article.author} for ${a.article.source}`
      : `According to ${a.article.source}`;
    const q = ea.question.charAt(0).toLowerCase() + ea.question.slice(1);
    return {
      query: `${lead}, ${q}`,
      answer: ea.answer,
      question_type: 'constraint_query',
      evidence_list: [evidence(a, ea)],
    };
  }
  const siblings = (bySubject.get(ea.subject) ?? []).filter((g) => g !== a);
  if (roll < 0.55 && siblings.length > 0) {
    const b = pick(r, siblings);
    const eb = pick(r, b.events);
    return {
      query: `Which organisation ${ea.described}, as ${a.article.source} put it, and also ${eb.described}, according to ${b.article.source}?`,
      answer: ea.subject,
      question_type: 'inference_query',
      evidence_list: [evidence(a, ea), evidence(b, eb)],
    };
  }
  const measured = all.flatMap((g) =>
    g.events
      .filter((e) => e.value?.measure === ea.value?.measure && e.subject !== ea.subject)
      .map((e) => ({ g, e })),
  );
  if (roll < 0.8 && ea.value !== undefined && measured.length > 0) {
    const { g: b, e: eb } = pick(r, measured);
    const higher = (ea.value.amount >= (eb.value?.amount ?? 0) ? ea : eb).subject;
    return {
      query: `Going by ${a.article.source} and ${b.article.source}, did ${ea.subject} or ${eb.subject} ${ea.value.measure}?`,
      answer: higher,
      question_type: 'comparison_query',
      evidence_list: [evidence(a, ea), evidence(b, eb)],
    };
  }
  const b = pick(
    r,
    all.filter((g) => g !== a),
  );
  const eb = pick(r, b.events);
  const before = a.article.published_at < b.article.published_at;
  return {
    query: `Did ${a.article.source} cover how ${ea.subject} ${ea.described} before ${b.article.source} covered how ${eb.subject} ${eb.described}?`,
    answer: before ? 'Yes' : 'No',
    question_type: 'temporal_query',
    evidence_list: [evidence(a, ea), evidence(b, eb)],
  };
}

export interface MiniOptions {
  seed: number;
  /** Number of articles; the default of 300 is what the local profile runs on. */
  articles?: number;
  /** Number of test queries; defaults to the number of articles. */
  queries?: number;
}

export function generateMini(opts: MiniOptions): { articles: MiniArticle[]; queries: MiniQuery[] } {
  const r = rng(opts.seed);
  const n = opts.articles ?? 300;
  const companies = Array.from({ length: Math.max(4, Math.round(n / 5)) }, (_, i) => {
    const a = NAME_PARTS.companyA[i % NAME_PARTS.companyA.length] ?? '';
    const b =
      NAME_PARTS.companyB[
        Math.floor(i / NAME_PARTS.companyA.length) % NAME_PARTS.companyB.length
      ] ?? '';
    return `${a} ${b}`;
  });
  const generated = Array.from({ length: n }, (_, i) => makeArticle(r, i, companies));
  const bySubject = new Map<string, GeneratedArticle[]>();
  for (const g of generated) {
    for (const e of g.events) bySubject.set(e.subject, [...(bySubject.get(e.subject) ?? []), g]);
  }
  const queries = Array.from({ length: opts.queries ?? n }, () =>
    makeQuery(r, generated, bySubject),
  );
  return { articles: generated.map((g) => g.article), queries };
}

export interface AdaptMiniOptions extends MiniOptions {
  outDir: string;
  tokenizer: Tokenizer;
  maxTokens: number;
  /**
   * Extra queries held out as a training set in the query-file contract (kind `human`, unit =
   * its first gold unit), standing in for NQ's human training queries. They come after the test
   * queries in the same seeded stream, so asking for them leaves the test queries unchanged.
   */
  trainQueries?: number;
}

/** Writes the generated sources under `<outDir>/source/` and normalises them like MultiHop-RAG. */
export async function adaptMini(opts: AdaptMiniOptions): Promise<Result<DataReport, DataError>> {
  const tests = opts.queries ?? opts.articles ?? 300;
  const held = opts.trainQueries ?? 0;
  const { articles, queries } = generateMini({ ...opts, queries: tests + held });
  const src = path.join(opts.outDir, 'source');
  await mkdir(src, { recursive: true });
  const corpusFile = path.join(src, 'corpus.json');
  const queriesFile = path.join(src, 'MultiHopRAG.json');
  await writeFile(corpusFile, JSON.stringify(articles, null, 1));
  await writeFile(queriesFile, JSON.stringify(queries, null, 1));
  const r = await adaptMultihopRag({
    corpusFile,
    queriesFile,
    outDir: opts.outDir,
    tokenizer: opts.tokenizer,
    maxTokens: opts.maxTokens,
  });
  if (!r.ok || held === 0) return r;
  return holdOut(opts.outDir, tests, r.value);
}

/** Moves the queries generated after the first `tests` into `human-queries.jsonl`. */
async function holdOut(
  outDir: string,
  tests: number,
  report: DataReport,
): Promise<Result<DataReport, DataError>> {
  const file = (name: string) => path.join(outDir, name);
  const index = (qid: string) => Number(qid.slice(1));
  const all: TestQuery[] = [];
  for await (const { value } of readJsonl(file(DATASET_FILES.queries)))
    all.push(value as unknown as TestQuery);
  const qrels = (await readFile(file(DATASET_FILES.qrels), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '));
  const goldOf = new Map<string, string>();
  for (const [qid, , unit] of qrels) if (qid && unit && !goldOf.has(qid)) goldOf.set(qid, unit);
  const train = all.filter((q) => index(q.id) >= tests);
  const human: QueryRecord[] = train.map((q) => ({
    id: `human-${q.id}`,
    text: q.text,
    unit: goldOf.get(q.id) ?? '',
    kind: 'human',
    generator: 'mini',
    sample: 0,
  }));
  await writeJsonl(
    file(DATASET_FILES.queries),
    all.filter((q) => index(q.id) < tests),
  );
  await writeFile(
    file(DATASET_FILES.qrels),
    qrels
      .filter(([qid]) => index(qid ?? '') < tests)
      .map((l) => `${l.join(' ')}\n`)
      .join(''),
  );
  await writeJsonl(file('human-queries.jsonl'), human);
  return ok({
    ...report,
    counts: { ...report.counts, queries: all.length - train.length, 'human-queries': human.length },
  });
}
