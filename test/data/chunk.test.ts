import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { chunkText } from '../../runner/data/chunk.js';
import { splitSentences } from '../../runner/data/sentences.js';
import type { Tokenizer } from '../../runner/data/tokenizer.js';
import { loadSentencePiece, whitespaceTokenizer } from '../../runner/data/tokenizer.js';
import { missing, mistralModel, pirDemo } from './shared.js';

const noModel = missing(mistralModel);
if (noModel !== undefined) console.warn(noModel);

describe('SentencePiece tokenizer (Mistral v3)', () => {
  let sp: Tokenizer;
  beforeAll(async () => {
    if (noModel !== undefined) return;
    const r = await loadSentencePiece(mistralModel);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    sp = r.value;
  });

  // Reference ids from Python `sentencepiece` on the same model file.
  it.skipIf(noModel !== undefined)('gives the same ids as Python sentencepiece', () => {
    expect(sp.encode('Hello world')).toEqual([23325, 2294]);
    expect(sp.encode('  leading spaces and  double')).toEqual([
      1027, 6142, 11367, 1072, 29473, 4347,
    ]);
    expect(sp.encode('line1\n\nline2\ttab')).toEqual([
      2175, 29508, 781, 781, 1849, 29518, 780, 5020,
    ]);
    expect(sp.encode('日本語のテキスト 🚀')).toEqual([
      29473, 29910, 29887, 31089, 29761, 30378, 30521, 29877, 29891, 29473, 30780,
    ]);
  });

  it.skipIf(noModel !== undefined)(
    'maps every token back to the text, including byte-fallback characters',
    () => {
      for (const text of [
        'Mr. Smith paid $3.50 for café — naïve.',
        ' lead',
        'ｆｕｌｌ width 🚀🚀\n\nend',
        'a  b',
      ]) {
        const spans = sp.spans(text);
        expect(spans).toHaveLength(sp.count(text));
        expect(spans.at(-1)?.end).toBe(text.length);
        for (let i = 1; i < spans.length; i++) expect(spans[i]?.start).toBe(spans[i - 1]?.end);
      }
    },
  );

  it.skipIf(noModel !== undefined || missing(pirDemo) !== undefined)(
    'chunks real AllSides articles into pieces of at most 256 tokens that concatenate to the article',
    () => {
      const demo = JSON.parse(readFileSync(pirDemo, 'utf8')) as Record<
        string,
        { corpus: string[] }
      >;
      const docs = (demo['allsides']?.corpus ?? []).slice(0, 40);
      let multi = 0;
      for (const doc of docs) {
        const chunks = chunkText(doc, { tokenizer: sp, maxTokens: 256 });
        expect(chunks.map((c) => c.text).join('')).toBe(doc);
        for (const c of chunks) {
          expect(sp.count(c.text)).toBeLessThanOrEqual(256);
          expect(c.tokens).toBe(sp.count(c.text));
        }
        // No chunk but the last is much shorter than the bound: no needless fragmentation.
        for (const c of chunks.slice(0, -1)) expect(c.tokens).toBeGreaterThan(240);
        if (chunks.length > 1) multi++;
      }
      expect(multi).toBeGreaterThan(5);
    },
  );
});

describe('chunkText', () => {
  it('splits on token boundaries without losing or duplicating characters', () => {
    const text = 'one two  three\nfour\tfive six seven eight nine ten eleven  ';
    const chunks = chunkText(text, { tokenizer: whitespaceTokenizer, maxTokens: 3 });
    expect(chunks.map((c) => c.text).join('')).toBe(text);
    expect(chunks.map((c) => c.text)).toEqual([
      'one two  three\n',
      'four\tfive six ',
      'seven eight nine ',
      'ten eleven  ',
    ]);
    for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(3);
  });

  it('returns nothing for an empty document and one chunk for a short one', () => {
    expect(chunkText('', { tokenizer: whitespaceTokenizer, maxTokens: 4 })).toEqual([]);
    expect(chunkText('a b', { tokenizer: whitespaceTokenizer, maxTokens: 4 })).toEqual([
      { text: 'a b', start: 0, end: 3, tokens: 2 },
    ]);
  });
});

describe('splitSentences', () => {
  const texts = (s: string): string[] => splitSentences(s).map((x) => x.text);

  it('survives abbreviations, initials, decimals and acronyms', () => {
    expect(
      texts(
        'Mr. Smith met Dr. J. K. Rowling at 3.5 p.m. in the U.S. Senate. It rained, e.g. on Jan. 5. Then it stopped.',
      ),
    ).toEqual([
      'Mr. Smith met Dr. J. K. Rowling at 3.5 p.m. in the U.S. Senate.',
      'It rained, e.g. on Jan. 5.',
      'Then it stopped.',
    ]);
  });

  it('keeps closing quotes with their sentence and splits on ellipses and ?!', () => {
    expect(
      texts(
        'He said, "Stop." She left... Why?! "Because," she said. Apples, pears, etc. Next one.',
      ),
    ).toEqual([
      'He said, "Stop."',
      'She left...',
      'Why?!',
      '"Because," she said.',
      'Apples, pears, etc.',
      'Next one.',
    ]);
    expect(texts('He wrote “ selective perception. ” Essentially , it works .\nNew line')).toEqual([
      'He wrote “ selective perception. ”',
      'Essentially , it works .',
      'New line',
    ]);
  });

  it('returns spans that point into the text', () => {
    const text = '  First one.  Second one!\n\nThird';
    for (const s of splitSentences(text)) expect(text.slice(s.start, s.end)).toBe(s.text);
    expect(texts(text)).toEqual(['First one.', 'Second one!', 'Third']);
  });

  it.skipIf(missing(pirDemo) !== undefined)(
    'splits real PIR demo articles into plausible sentences',
    () => {
      const demo = JSON.parse(readFileSync(pirDemo, 'utf8')) as Record<
        string,
        { corpus: string[] }
      >;
      const docs = [
        ...(demo['agnews']?.corpus ?? []).slice(0, 50),
        ...(demo['allsides']?.corpus ?? []).slice(0, 50),
      ];
      let sentences = 0;
      for (const doc of docs) {
        for (const s of splitSentences(doc)) {
          sentences++;
          // A sentence never starts with a lowercase word or trailing punctuation (a bad cut).
          // (Quotes may open one: AllSides paragraphs sometimes open with "”".)
          expect(s.text, s.text).not.toMatch(/^[a-z,;:.)]/u);
        }
      }
      expect(sentences).toBeGreaterThan(docs.length * 3);
    },
  );
});
