import { describe, expect, it } from 'vitest';
import { parseList, parseMetadata, parseQaPairs, validateItems } from '../../runner/llm/parse.js';

describe('parseList', () => {
  it('reads dash, star, bullet and numbered styles with preambles, blank lines and notes', () => {
    const want = ['What is A?', 'What is B?', 'What is C?'];
    const styles = [
      '- What is A?\n- What is B?\n- What is C?',
      '* What is A?\n* What is B?\n* What is C?',
      '• What is A?\n• What is B?\n• What is C?',
      'Here are 3 questions:\n\n1. What is A?\n2. What is B?\n3. What is C?',
      '1) What is A?\n\n2) What is B?\n\n3) What is C?\n\nNote: these cover the main facts.',
      'Sure! Here are the questions:\n- **What is A?**\n- "What is B?"\n-   What is C?  ',
    ];
    for (const s of styles) expect(parseList(s), s).toEqual(want);
  });

  it('joins an indented continuation line and falls back to plain lines without markers', () => {
    expect(parseList('- What did the council\n  decide on Monday?\n- Who spoke?')).toEqual([
      'What did the council decide on Monday?',
      'Who spoke?',
    ]);
    expect(parseList('Here are some questions:\nWho won?\nWhen was it?')).toEqual([
      'Who won?',
      'When was it?',
    ]);
    expect(parseList('I cannot help with that.', { unmarked: 'questions' })).toEqual([]);
  });
});

describe('parseQaPairs', () => {
  it('reads pairs on one line or two lines, with bullets and bold markers', () => {
    const text = [
      'Here are the pairs:',
      '- Query: who chairs the council? Answer: Mayor Quimby',
      '- **Query:** when did it meet?',
      '  **Answer:** Monday',
      '3. Q: which item was discussed? A: item 4',
      '- Query: a query without an answer',
    ].join('\n');
    expect(parseQaPairs(text)).toEqual([
      { query: 'who chairs the council?', answer: 'Mayor Quimby' },
      { query: 'when did it meet?', answer: 'Monday' },
      { query: 'which item was discussed?', answer: 'item 4' },
    ]);
  });
});

describe('parseMetadata', () => {
  it('reads topic and location lines in loose formats', () => {
    expect(parseMetadata('topic: Sports\nlocation: Athens')).toEqual({
      topic: 'Sports',
      location: 'Athens',
    });
    expect(parseMetadata('- **Topic**: Sci/Tech\n- Location: unknown')).toEqual({
      topic: 'Sci/Tech',
      location: 'unknown',
    });
    expect(parseMetadata('Topic: World')).toEqual({ topic: 'World', location: 'unknown' });
    expect(parseMetadata('I am not sure.')).toBeUndefined();
  });
});

describe('validateItems', () => {
  const rules = {
    minChars: 8,
    maxChars: 60,
    instruction: 'Write questions that a person could answer by reading the passage below.',
    forbidden: ['the article'],
  };
  it('drops short, long, echoed, forbidden and duplicate items and says why', () => {
    const items = [
      'Who won the match?',
      'Why?',
      'x'.repeat(61),
      'questions that a person could answer by reading the passage',
      'What does the article say?',
      'who won the match',
      'When was the final?',
    ];
    const out = validateItems(items, (s) => s, rules);
    expect(out.kept).toEqual(['Who won the match?', 'When was the final?']);
    expect(out.dropped.map((d) => d.why)).toEqual([
      'too-short',
      'too-long',
      'echo',
      'forbidden',
      'duplicate',
    ]);
  });
});
