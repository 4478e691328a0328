/**
 * The message of an upstream's error answer, for the access log and the turn's span: the JSON
 * error's `message` (Anthropic `{"type":"error","error":{"message"}}`, OpenAI `{"error":{"message"}}`,
 * some providers `{"message"}`), else the start of the body as text. Bounded, with anything shaped like
 * a credential cut out: some providers quote part of the key they refused ("Incorrect API key
 * provided: sk-proj-****abcd"), and a log must never hold a key.
 */

const MAX_CHARS = 500;

export function upstreamErrorMessage(raw: Buffer): string {
  let message: unknown;
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as { error?: { message?: unknown } | string; message?: unknown };
    message = typeof parsed.error === 'object' ? parsed.error?.message : parsed.error ?? parsed.message;
  } catch { /* not JSON: the text itself */ }
  return inBandErrorMessage(typeof message === 'string' ? message : raw.toString('utf8', 0, MAX_CHARS * 4)) || '(empty body)';
}

/** An error's message from inside a stream (whatever the upstream put there), bounded and redacted. */
export function inBandErrorMessage(message: unknown): string {
  const text = typeof message === 'string' ? message : message === undefined || message === null ? '' : JSON.stringify(message) ?? '';
  return redactSecrets(text.length > MAX_CHARS ? text.slice(0, MAX_CHARS) + '…' : text);
}

/**
 * Key-shaped tokens: Synrouter's `sk-sr-…`, Anthropic's `sk-ant-…`, OpenAI's and OpenRouter's `sk-…`,
 * bearer tokens, and long opaque strings after `key`/`token`.
 */
const SECRETS = /\b(sk-[A-Za-z0-9_*-]{6,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,}|(?:api[_-]?key|token|secret)["'=:\s]+[A-Za-z0-9._~+/=-]{16,})/gi;

export function redactSecrets(s: string): string {
  return s.replace(SECRETS, '[redacted]');
}
