/**
 * Every error Synrouter itself produces, with a stable code, and the renderers that put it in the
 * caller's protocol. Before the first byte an error is an HTTP status + JSON body; after the first
 * byte it becomes the protocol's in-band error event (see sse/). Also every code a ledger row can
 * hold (LEDGER_ERROR_CODES: these plus what only the ledger records) and every error class: the
 * proxy's, the admin API's, the config's and the JSON scanner's.
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

/** Anthropic's error `type`s (protocols.md §1.6), with the status each stands for. */
export const ANTHROPIC_ERROR_TYPES = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  conflict_error: 409,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
} as const;

export type AnthropicErrorType = keyof typeof ANTHROPIC_ERROR_TYPES;

/**
 * Codes only the ledger (and the access log, traces and /metrics, which read its rows) records:
 * an upstream failed the turn after its 200 head, in the stream. The row's status stays the 200
 * the client got; the status here is what the error stands for.
 */
const IN_STREAM_CODES = {
  /** An OpenAI-protocol stream's in-band error, or a translated stream's (its client is on the other protocol). */
  UPSTREAM_STREAM_ERROR: 502,
  // An Anthropic stream's `event: error`, named by its error.type (UPSTREAM_overloaded_error: the README's example).
  UPSTREAM_invalid_request_error: 400,
  UPSTREAM_authentication_error: 401,
  UPSTREAM_billing_error: 402,
  UPSTREAM_permission_error: 403,
  UPSTREAM_not_found_error: 404,
  UPSTREAM_conflict_error: 409,
  UPSTREAM_request_too_large: 413,
  UPSTREAM_rate_limit_error: 429,
  UPSTREAM_api_error: 500,
  UPSTREAM_timeout_error: 504,
  UPSTREAM_overloaded_error: 529,
} as const satisfies Record<'UPSTREAM_STREAM_ERROR' | `UPSTREAM_${AnthropicErrorType}`, number>;

/** Every code a ledger row's error_code can hold, with its status (README, "The ledger", lists them all). */
export const LEDGER_ERROR_CODES = { ...ERROR_CODES, ...IN_STREAM_CODES } as const;

/** A ledger row's error code: a closed set, so a code nobody documented cannot be written. */
export type LedgerErrorCode = keyof typeof LEDGER_ERROR_CODES;

/**
 * The code of an Anthropic stream's in-band error: its type's own code, or UPSTREAM_STREAM_ERROR for
 * a type Anthropic may add later (the ledger keeps only codes listed here).
 */
export function inStreamErrorCode(type: string): LedgerErrorCode {
  return Object.hasOwn(ANTHROPIC_ERROR_TYPES, type) ? `UPSTREAM_${type as AnthropicErrorType}` : 'UPSTREAM_STREAM_ERROR';
}

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
export function anthropicErrorType(status: number): AnthropicErrorType {
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

/**
 * The admin API's codes (`{error: {code}}` on /admin/api/*, /metrics and the dashboard's files):
 * its own, and the proxy's codes in lower case for a ProxyError met on the way (auth, a body).
 */
export type AdminErrorCode =
  | 'invalid_request' | 'body_not_json' | 'body_invalid' | 'not_found' | 'method_not_allowed'
  | 'key_not_found' | 'key_ambiguous' | 'session_not_found' | 'last_admin_key' | 'internal'
  | Lowercase<ErrorCode>;

/** An admin API error, answered as `{error: {message, type, code}}` with its HTTP status (admin/admin-http.ts). */
export class AdminError extends Error {
  readonly status: number;
  readonly code: AdminErrorCode;
  readonly headers: Record<string, string>;
  constructor(status: number, code: AdminErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/**
 * A body over one of json/json-limits.ts's bounds (nesting, skeleton values): thrown by the scanner
 * and the parser, answered with a 400 BODY_LIMIT (protocols/anthropic/validate-request.ts).
 */
export class JsonLimitError extends Error {
  readonly limit: number;
  constructor(message: string, limit: number) {
    super(message);
    this.name = 'JsonLimitError';
    this.limit = limit;
  }
}
