/**
 * Every error Synrouter itself produces, with a stable code, and the renderers that put it in the
 * caller's protocol. Before the first byte an error is an HTTP status + JSON body; after the first
 * byte it becomes the protocol's in-band error event (see sse/).
 */

export type ClientProtocol = 'anthropic' | 'openai';

/** Stable codes: log lines, ledger rows and tests refer to these, never to messages. */
export const ERROR_CODES = {
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  AUTH_MISSING: 401,
  AUTH_INVALID: 401,
  AUTH_REVOKED: 401,
  AUTH_FORBIDDEN: 403,
  BODY_NOT_JSON: 400,
  BODY_INVALID: 400,
  BODY_TOO_LARGE: 413,
  /** Over a structure cap (blocks, messages, tools, nesting): protocols/request-limits.ts, json/json-limits.ts. */
  BODY_LIMIT: 400,
  /** No body bytes for bodyTimeoutMs while the body was still arriving. */
  BODY_TIMEOUT: 408,
  BODY_ENCODING: 415,
  /** A query parameter out of its range (GET /models: limit, after_id, before_id). */
  QUERY_INVALID: 400,
  MODEL_NOT_FOUND: 404,
  NO_ROUTE: 400,
  UPSTREAM_UNREACHABLE: 502,
  UPSTREAM_TIMEOUT: 504,
  UPSTREAM_ERROR: 502,
  RATE_LIMITED: 429,
  CONCURRENCY_LIMITED: 429,
  BUDGET_EXCEEDED: 429,
  CLIENT_ABORTED: 499,
  INTERNAL: 500,
  /** Shedding load to stay up (memory): 529 overloaded_error on Anthropic's API, 503 on OpenAI's (see overloaded()). */
  OVERLOADED: 503,
  /** The PostgreSQL store is down and this instance has not seen the presented key yet: it cannot be checked. */
  STORE_UNAVAILABLE: 503,
  /**
   * Ledger only, never sent: the process ended (kill -9, a crash) while the request was at
   * the upstream; recorded on the next start (store/ledger.ts). The status when no upstream one was known.
   */
  INTERRUPTED: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class ProxyError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly param: string | undefined;
  /** Response headers that go with the error (retry-after on 429s). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message: string, opts: { status?: number; param?: string; cause?: unknown; headers?: Record<string, string> } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'ProxyError';
    this.code = code;
    this.status = opts.status ?? ERROR_CODES[code];
    this.param = opts.param;
    this.headers = opts.headers ?? {};
  }
}

export function toProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  // Only input can nest deep enough to exhaust the stack (JSON.stringify of a 10,000-deep schema).
  if (err instanceof RangeError && /call stack/i.test(err.message)) return new ProxyError('BODY_INVALID', 'The request body is nested too deeply to process.', { cause: err });
  return new ProxyError('INTERNAL', 'Synrouter hit an internal error; the request was not forwarded.', { cause: err });
}

/** Anthropic error types by status (protocols.md §1.6). */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400: return 'invalid_request_error';
    case 401: return 'authentication_error';
    case 402: return 'billing_error';
    case 403: return 'permission_error';
    case 404: return 'not_found_error';
    case 409: return 'conflict_error';
    case 413: return 'request_too_large';
    case 415: return 'invalid_request_error';
    case 429: return 'rate_limit_error';
    case 504: return 'timeout_error';
    case 529: return 'overloaded_error';
    default: return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** OpenAI error `type` by status (protocols.md §4.5). */
export function openaiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_exceeded';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export interface AnthropicErrorBody { type: 'error'; error: { type: string; message: string }; request_id?: string }
export interface OpenAIErrorBody { error: { message: string; type: string; param: string | null; code: string | null } }

export function renderAnthropicError(status: number, message: string, requestId?: string): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(status), message }, ...(requestId ? { request_id: requestId } : {}) };
}

export function renderOpenAIError(status: number, message: string, code: string | null, param: string | null = null): OpenAIErrorBody {
  return { error: { message, type: openaiErrorType(status), param, code } };
}

/** The error body for `err` in the caller's protocol. */
export function renderError(protocol: ClientProtocol, err: ProxyError, requestId?: string): AnthropicErrorBody | OpenAIErrorBody {
  return protocol === 'anthropic'
    ? renderAnthropicError(err.status, err.message, requestId)
    : renderOpenAIError(err.status, err.message, err.code.toLowerCase(), err.param ?? null);
}

/** A configuration Synrouter cannot start with (file, environment or flags); the CLI prints its message alone. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
