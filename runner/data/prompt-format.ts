// How an SFT example's input and identifier are laid out for the base model. The trainer trains
// on the whole sequence (prompt + completion, §3.1) and appends EOS itself, so neither string
// carries special tokens beyond the instruct template's markers.

import { unreachable } from '../result.js';

/** `mistral-instruct` for Mistral-7B-Instruct (semantic ids); `plain` for base models (atomic ids). */
export type PromptFormat = 'mistral-instruct' | 'plain';

export function formatExample(
  format: PromptFormat,
  input: string,
  identifier: string,
): { prompt: string; completion: string } {
  switch (format) {
    case 'mistral-instruct':
      return { prompt: `[INST] ${input} [/INST]`, completion: ` ${identifier}` };
    case 'plain':
      return { prompt: `${input}\nIdentifier:`, completion: ` ${identifier}` };
    default:
      return unreachable(format);
  }
}
