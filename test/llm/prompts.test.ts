import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplate, render, templateHash, type TemplateName } from '../../runner/llm/prompts.js';
import { repoRoot } from './helpers.js';

const names: TemplateName[] = ['keywords', 'questions', 'constraints', 'qa-pairs', 'metadata'];

describe('prompt templates', () => {
  it('hash is the sha256 of the template file bytes', () => {
    for (const name of names) {
      const bytes = readFileSync(path.join(repoRoot, 'prompts', `${name}.md`));
      expect(templateHash(name)).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    expect(new Set(names.map((n) => templateHash(n))).size).toBe(names.length);
  });

  it('renders each template with exactly its variables', () => {
    const vars: Record<TemplateName, Record<string, string>> = {
      keywords: { context: 'CTX' },
      questions: { m: '7', context: 'CTX' },
      constraints: { m: '3', guidance: 'GUIDE', metadata: '- source: X', context: 'CTX' },
      'qa-pairs': { m: '10', context: 'CTX' },
      metadata: { context: 'CTX' },
    };
    for (const name of names) {
      const out = render(loadTemplate(name), vars[name]);
      expect(out.ok, name).toBe(true);
      if (out.ok) {
        expect(out.value).toContain('CTX');
        expect(out.value).not.toMatch(/\{[a-z_]+\}/);
        expect(out.value).not.toContain('<!--');
      }
    }
  });

  it('fails on a missing or an unused variable, and keeps braces in values literal', () => {
    const t = { name: 'questions' as const, body: 'Ask {m} about {context} {{literal}}' };
    expect(render(t, { m: '2' })).toEqual({
      ok: false,
      error: { reason: 'missing-variable', template: 'questions', variable: 'context' },
    });
    expect(render(t, { m: '2', context: 'c', extra: 'x' })).toEqual({
      ok: false,
      error: { reason: 'unused-variable', template: 'questions', variable: 'extra' },
    });
    expect(render(t, { m: '2', context: 'a {m} b' })).toEqual({
      ok: true,
      value: 'Ask 2 about a {m} b {literal}',
    });
  });

  it('constraints template carries per-dataset guidance and forbids self-reference', () => {
    const t = loadTemplate('constraints');
    expect(Object.keys(t.blocks).sort()).toEqual(['agnews', 'allsides', 'generic', 'multihop-rag']);
    expect(t.blocks['multihop-rag']).toMatch(/source/);
    expect(t.blocks['multihop-rag']).toMatch(/author/);
    expect(t.blocks['allsides']).toMatch(/political leaning/);
    expect(t.blocks['agnews']).toMatch(/topic/);
    expect(t.blocks['agnews']).toMatch(/location/);
    expect(t.body).toMatch(/"the context"/);
    expect(t.body).toMatch(/"the article"/);
    expect(t.body).toMatch(/"this"/);
  });
});
