// Prompt templates: loading `prompts/<name>.md`, their content hash (part of step keys), and a
// strict `{placeholder}` renderer. Choosing which template a task uses is generate.ts's job.
//
// A template file is a body followed by optional named blocks, each opened by a line
// `<!-- guidance: <name> -->`; the blocks are not rendered themselves but supply the
// `{guidance}` value for a dataset. `{{` and `}}` stand for literal braces.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ok, type Result } from '../result.js';
import type { Task } from './types.js';

/** Each generation task has one template, named after it. */
export type TemplateName = Task;

export interface Template {
  name: TemplateName;
  body: string;
  blocks: Record<string, string>;
  /** sha256 of the file bytes. */
  hash: string;
}

export type RenderFailure =
  | { reason: 'missing-variable'; template: string; variable: string }
  | { reason: 'unused-variable'; template: string; variable: string };

const BLOCK_MARKER = /^<!-- guidance: ([a-z0-9-]+) -->$/gm;
const PLACEHOLDER = /\{\{|\}\}|\{([a-z_][a-z0-9_]*)\}/g;

/** The repository's `prompts/` folder, found from this module whether it runs from dist/ or not. */
export function defaultPromptsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'prompts');
    if (existsSync(path.join(candidate, 'questions.md'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error('internal error: prompts/ not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export function loadTemplate(name: TemplateName, promptsDir = defaultPromptsDir()): Template {
  const bytes = readFileSync(path.join(promptsDir, `${name}.md`));
  const text = bytes.toString('utf8');
  const markers = [...text.matchAll(BLOCK_MARKER)];
  const body = (markers[0] === undefined ? text : text.slice(0, markers[0].index)).trimEnd() + '\n';
  const blocks: Record<string, string> = {};
  markers.forEach((marker, i) => {
    const end = markers[i + 1]?.index ?? text.length;
    blocks[marker[1] ?? ''] = text.slice(marker.index + marker[0].length, end).trim();
  });
  return { name, body, blocks, hash: createHash('sha256').update(bytes).digest('hex') };
}

/** sha256 of the template file bytes: changing a prompt changes the keys of the steps using it. */
export function templateHash(name: TemplateName, promptsDir = defaultPromptsDir()): string {
  return loadTemplate(name, promptsDir).hash;
}

/** Substitutes every `{name}` once; values are not rescanned, so a context may hold braces. */
export function render(
  template: Pick<Template, 'name' | 'body'>,
  vars: Record<string, string>,
): Result<string, RenderFailure> {
  const used = new Set<string>();
  let missing: string | undefined;
  const out = template.body.replace(PLACEHOLDER, (whole, name: string | undefined) => {
    if (name === undefined) return whole[0] ?? '';
    const value = vars[name];
    if (value === undefined) {
      missing ??= name;
      return whole;
    }
    used.add(name);
    return value;
  });
  if (missing !== undefined)
    return err({ reason: 'missing-variable', template: template.name, variable: missing });
  const unused = Object.keys(vars).find((k) => !used.has(k));
  if (unused !== undefined)
    return err({ reason: 'unused-variable', template: template.name, variable: unused });
  return ok(out);
}

/** The instruction text without its variables, used to spot a model echoing the prompt. */
export function instructionText(template: Pick<Template, 'body'>): string {
  return template.body.replace(PLACEHOLDER, ' ');
}
