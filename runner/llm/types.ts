// Shared shapes of the LLM layer: what a provider is asked, what it answers, and how a call
// fails. No behaviour lives here.

import type { Result } from '../result.js';

export type ProviderName = 'openai' | 'bedrock' | 'offline';

export type Task = 'questions' | 'constraints' | 'qa-pairs' | 'keywords' | 'metadata';

/** The unit a prompt was rendered from; real providers ignore it, the offline generator reads it. */
export interface PromptSource {
  task: Task;
  text: string;
  metadata: Record<string, string>;
  m: number;
  dataset: string;
}

export interface ChatRequest {
  model: string;
  prompt: string;
  temperature: number;
  maxTokens: number;
  /** Sample index: 0 first, raised when a response is rejected and asked again. */
  sample: number;
  source?: PromptSource;
}

export type StopReason = 'end' | 'length' | 'other';

export interface ChatResponse {
  text: string;
  inputTokens: number;
  outputTokens: number;
  stopReason: StopReason;
}

export type CallFailureReason =
  | 'rate-limited'
  | 'server-error'
  | 'timeout'
  | 'network'
  | 'malformed'
  | 'auth'
  | 'quota'
  | 'model-access'
  | 'bad-request'
  | 'aborted';

export interface CallFailure {
  reason: CallFailureReason;
  message: string;
  status?: number;
  retryAfterMs?: number;
}

export interface Provider {
  readonly name: ProviderName;
  complete(req: ChatRequest, signal: AbortSignal): Promise<Result<ChatResponse, CallFailure>>;
}

/** One generation role of a profile (queries, keywords, qa-pairs, metadata). */
export interface Role {
  provider: ProviderName;
  /** Resolved model id: a dated snapshot, never a floating alias (it enters the keys). */
  model: string;
  temperature: number;
  maxTokens: number;
  /** openai: server base URL (else OPENAI_BASE_URL, else the SDK default). */
  baseURL?: string;
  /** bedrock: region (else AWS_REGION, else us-east-1) and endpoint override. */
  region?: string;
  endpoint?: string;
}

/** USD per million tokens, per model id. */
export type CostTable = Record<string, { inputPerMTok: number; outputPerMTok: number }>;
