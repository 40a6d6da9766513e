// Human-readable text for generation failures, naming the likely cause and what to do. The
// CLI and reporters print it; nothing here decides anything.

import { unreachable } from '../result.js';
import type { GenerationFailure } from './generate.js';
import type { CallFailureReason } from './types.js';

const LIKELY_CAUSE: Record<CallFailureReason, string> = {
  'rate-limited':
    'the provider keeps throttling; lower concurrency or requestsPerMinute, or raise the account limits',
  'server-error': 'the model server keeps failing (5xx); check that it is up and not overloaded',
  timeout:
    'responses stall past the timeout; the server may be overloaded (lower concurrency) or the timeout too short',
  network:
    'the server cannot be reached; check OPENAI_BASE_URL / the Bedrock endpoint and region, and the network',
  malformed:
    'answers are not in the expected wire format; check that the base URL points at a chat-completions or Converse endpoint',
  auth: 'credentials were refused; check OPENAI_API_KEY, or the AWS credential chain (AWS_PROFILE, AWS_ACCESS_KEY_ID)',
  quota: "the account's quota or billing limit is exhausted",
  'model-access':
    'the model id is unknown or this account has no access to it (Bedrock: enable model access in the region)',
  'bad-request':
    'requests are refused as invalid; check the model id, max tokens and the context length',
  aborted: 'the run was interrupted',
};

export function describeGenerationFailure(f: GenerationFailure): string {
  switch (f.reason) {
    case 'missing-variable':
      return `prompt template ${f.template}: no value for {${f.variable}}`;
    case 'unused-variable':
      return `prompt template ${f.template}: value given for {${f.variable}} but the template has no such placeholder`;
    case 'llm-fatal':
      return `LLM calls stopped: ${LIKELY_CAUSE[f.cause]} (${f.message})`;
    case 'llm-consecutive-failures':
      return `LLM calls stopped after ${f.count} consecutive failures, last ${f.last.reason}: ${f.last.message}. Likely cause: ${LIKELY_CAUSE[f.last.reason]}`;
    case 'llm-budget':
      return `LLM budget reached: $${f.spentUsd.toFixed(4)} spent of $${f.maxUsd.toFixed(2)}, the next call could cost $${f.nextCallUsd.toFixed(4)}; accepted calls are kept, rerun with a higher budget to resume`;
    case 'llm-unknown-cost':
      return `a budget is set but the cost table has no price for model ${f.model}`;
    case 'aborted':
      return 'LLM generation interrupted; accepted calls are kept and a rerun resumes';
    default:
      return unreachable(f);
  }
}
