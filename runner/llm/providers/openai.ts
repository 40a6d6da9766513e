// OpenAI-compatible chat completions through the `openai` SDK: hosted APIs and the vLLM, TGI,
// Ollama or llama.cpp servers that speak the same protocol. One attempt per call: retries,
// timeouts and rate limiting belong to calls.ts, which counts them.

import OpenAI, { APIError } from 'openai';
import { err, ok, type Result } from '../../result.js';
import type { CallFailure, ChatRequest, ChatResponse, Provider, StopReason } from '../types.js';
import { classifyHttp, isAbort } from './classify.js';

export interface OpenAiOptions {
  baseURL?: string;
  apiKey?: string;
}

export function openAiProvider(options: OpenAiOptions = {}): Provider {
  const baseURL = options.baseURL ?? process.env['OPENAI_BASE_URL'];
  // A self-hosted server often needs no key; a hosted API without one answers 401, which is
  // reported as an auth failure, so the placeholder never hides a missing credential.
  const apiKey =
    options.apiKey ??
    process.env['OPENAI_API_KEY'] ??
    (baseURL === undefined ? undefined : 'unused');
  const client = new OpenAI({
    ...(baseURL === undefined ? {} : { baseURL }),
    apiKey: apiKey ?? '',
    maxRetries: 0,
  });
  return {
    name: 'openai',
    async complete(
      req: ChatRequest,
      signal: AbortSignal,
    ): Promise<Result<ChatResponse, CallFailure>> {
      if (apiKey === undefined)
        return err({ reason: 'auth', message: 'OPENAI_API_KEY is not set' });
      try {
        const completion = await client.chat.completions.create(
          {
            model: req.model,
            messages: [{ role: 'user', content: req.prompt }],
            temperature: req.temperature,
            // vLLM, TGI, Ollama and llama.cpp servers read `max_tokens`; its successor
            // `max_completion_tokens` is not understood by all of them.
            // eslint-disable-next-line @typescript-eslint/no-deprecated
            max_tokens: req.maxTokens,
          },
          { signal, timeout: 24 * 3600_000 },
        );
        const choice = completion.choices[0];
        const text = choice?.message.content;
        if (typeof text !== 'string')
          return err({
            reason: 'malformed',
            message: 'response has no choices[0].message.content',
          });
        return ok({
          text,
          inputTokens: completion.usage?.prompt_tokens ?? 0,
          outputTokens: completion.usage?.completion_tokens ?? 0,
          stopReason: stopReason(choice?.finish_reason),
        });
      } catch (e) {
        return err(classifyOpenAiError(e, signal));
      }
    },
  };
}

function stopReason(finish: string | null | undefined): StopReason {
  if (finish === 'stop') return 'end';
  if (finish === 'length') return 'length';
  return 'other';
}

function classifyOpenAiError(e: unknown, signal: AbortSignal): CallFailure {
  if (signal.aborted || isAbort(e)) return { reason: 'aborted', message: 'aborted' };
  if (e instanceof APIError && typeof e.status === 'number') {
    const status: number = e.status;
    const body = e.error as { code?: unknown; type?: unknown } | undefined;
    const code =
      typeof body?.code === 'string' ? body.code : typeof body?.type === 'string' ? body.type : '';
    const headers = e.headers as unknown as { get(name: string): string | null } | undefined;
    return classifyHttp({
      status,
      header: (n) => headers?.get(n) ?? undefined,
      code,
      message: (e as Error).message,
    });
  }
  if (e instanceof SyntaxError)
    return { reason: 'malformed', message: `unparseable response body: ${e.message}` };
  const message = e instanceof Error ? e.message : String(e);
  return { reason: 'network', message };
}
