/**
 * When and how long to wait before trying again. Only before the first byte reaches the client:
 * after that the stream ends with the protocol's in-band error instead (sse/stream-back.ts).
 * Retryable: 408, 409, 429, 5xx and 529 (Anthropic's overloaded), and connection errors — the set
 * the official SDKs retry (protocols.md §1.6). A 429 is retryable with or without retry-after: without
 * one the backoff decides the wait, and once the retries are spent the next route is tried. (A
 * spend-cap 429 has no retry-after, §1.6: retrying the same key then costs two quick attempts, and the
 * fallback to another provider or model is what serves the client.)
 */
export interface RetryPolicy {
  /** Extra attempts on the same route. */
  retries: number;
  baseDelayMs: number;
  /** A retry-after longer than this moves on to the next route instead of waiting. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 2, baseDelayMs: 250, maxDelayMs: 10_000 };

export function isRetryableStatus(status: number, headers: Record<string, string | string[] | undefined>): boolean {
  // x-should-retry: true is the provider saying so for any status (the SDKs honour it too).
  return headers['x-should-retry'] === 'true' || status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Delay before retry `attempt` (1-based): retry-after when given, else exponential backoff with jitter. */
export function retryDelayMs(attempt: number, headers: Record<string, string | string[] | undefined>, policy: RetryPolicy, random = Math.random): number {
  const ra = headers['retry-after'];
  const value = Array.isArray(ra) ? ra[0] : ra;
  if (value !== undefined) {
    const seconds = Number(value);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
    if (Number.isFinite(ms)) return Math.max(0, ms);
  }
  const backoff = policy.baseDelayMs * 2 ** (attempt - 1);
  return Math.min(policy.maxDelayMs, backoff * (0.75 + random() * 0.5));
}
