// Maps an HTTP failure (status, headers, the provider's error code and message) to a
// CallFailure. Providers call it; deciding whether and when to retry is calls.ts's job.

import type { CallFailure } from '../types.js';

export interface HttpFailure {
  status: number | undefined;
  /** Header lookup, lower-case names. */
  header: (name: string) => string | undefined;
  /** Provider error code or exception name, e.g. `insufficient_quota`, `AccessDeniedException`. */
  code: string;
  message: string;
}

/** Retry-After in ms: `retry-after-ms`, else `retry-after` as seconds or an HTTP date. */
export function retryAfterMs(
  header: (name: string) => string | undefined,
  now = Date.now(),
): number | undefined {
  const ms = Number(header('retry-after-ms'));
  if (header('retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const value = header('retry-after');
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function classifyHttp(f: HttpFailure): CallFailure {
  const text = `${f.code} ${f.message}`.toLowerCase();
  const base = {
    message: f.message || f.code,
    ...(f.status === undefined ? {} : { status: f.status }),
  };
  // Quota exhaustion arrives as 429 (OpenAI `insufficient_quota`) or 400/402 (Bedrock service
  // quotas): waiting does not help, so it must not be mistaken for a rate limit.
  if (
    f.status === 402 ||
    /insufficient_quota|servicequotaexceeded|quota exceeded|billing/.test(text)
  ) {
    return { reason: 'quota', ...base };
  }
  if (f.status === 429 || /throttling|too many requests|modelnotready/.test(text)) {
    const after = retryAfterMs(f.header);
    return {
      reason: 'rate-limited',
      ...base,
      ...(after === undefined ? {} : { retryAfterMs: after }),
    };
  }
  if (
    f.status === 401 ||
    /unrecognizedclient|invalidsignature|expiredtoken|invalid_api_key|incorrect api key/.test(text)
  ) {
    return { reason: 'auth', ...base };
  }
  if (
    f.status === 403 ||
    f.status === 404 ||
    /accessdenied|model_not_found|resourcenotfound/.test(text)
  ) {
    return { reason: 'model-access', ...base };
  }
  if (f.status === 408 || /timeout/.test(f.code.toLowerCase()))
    return { reason: 'timeout', ...base };
  if (f.status !== undefined && f.status >= 500) return { reason: 'server-error', ...base };
  if (f.status !== undefined && f.status >= 400) return { reason: 'bad-request', ...base };
  return { reason: 'network', ...base };
}

export function isAbort(e: unknown): boolean {
  return (
    e instanceof Error &&
    (e.name === 'AbortError' || e.name === 'APIUserAbortError' || /abort/i.test(e.constructor.name))
  );
}
