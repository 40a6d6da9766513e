// Amazon Bedrock through the Converse API (`@aws-sdk/client-bedrock-runtime`): Mixtral and
// Claude model ids alike, the default AWS credential chain, optional endpoint override. One
// attempt per call: retries and rate limiting belong to calls.ts.

import {
  BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { err, ok, type Result } from '../../result.js';
import type { CallFailure, ChatRequest, ChatResponse, Provider, StopReason } from '../types.js';
import { classifyHttp, isAbort } from './classify.js';

export interface BedrockOptions {
  region?: string;
  endpoint?: string;
}

export function bedrockProvider(options: BedrockOptions = {}): Provider {
  const client = new BedrockRuntimeClient({
    region:
      options.region ??
      process.env['AWS_REGION'] ??
      process.env['AWS_DEFAULT_REGION'] ??
      'us-east-1',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    maxAttempts: 1,
  });
  return {
    name: 'bedrock',
    async complete(
      req: ChatRequest,
      signal: AbortSignal,
    ): Promise<Result<ChatResponse, CallFailure>> {
      let out: ConverseCommandOutput;
      try {
        out = await client.send(
          new ConverseCommand({
            modelId: req.model,
            messages: [{ role: 'user', content: [{ text: req.prompt }] }],
            inferenceConfig: { maxTokens: req.maxTokens, temperature: req.temperature },
          }),
          { abortSignal: signal },
        );
      } catch (e) {
        return err(classifyBedrockError(e, signal));
      }
      const parts = out.output?.message?.content ?? [];
      const texts = parts.map((p) => p.text).filter((t): t is string => typeof t === 'string');
      if (texts.length === 0)
        return err({
          reason: 'malformed',
          message: 'response has no output.message.content[].text',
        });
      return ok({
        text: texts.join(''),
        inputTokens: out.usage?.inputTokens ?? 0,
        outputTokens: out.usage?.outputTokens ?? 0,
        stopReason: stopReason(out.stopReason),
      });
    },
  };
}

function stopReason(reason: string | undefined): StopReason {
  if (reason === 'end_turn' || reason === 'stop_sequence') return 'end';
  if (reason === 'max_tokens') return 'length';
  return 'other';
}

interface AwsError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

function classifyBedrockError(e: unknown, signal: AbortSignal): CallFailure {
  if (signal.aborted || isAbort(e)) return { reason: 'aborted', message: 'aborted' };
  const a = (typeof e === 'object' && e !== null ? e : {}) as AwsError;
  const status = a.$metadata?.httpStatusCode ?? a.$response?.statusCode;
  const message = a.message ?? String(e);
  // A 2xx whose body the SDK cannot deserialize: the server answered, but not in Converse shape.
  const unparseable =
    status === undefined && (e instanceof SyntaxError || /deserializ|JSON/i.test(message));
  if ((status !== undefined && status < 300) || unparseable) {
    return { reason: 'malformed', message: `unparseable response body: ${message}` };
  }
  const headers = a.$response?.headers ?? {};
  return classifyHttp({
    status,
    header: (n) => headers[n] ?? undefined,
    code: a.name ?? '',
    message,
  });
}
