/**
 * Error bodies across the protocols, status kept:
 *   Anthropic `{type:'error', error:{type, message}}` (protocols.md §1.6)
 *   OpenAI    `{error:{message, type, param, code}}`  (protocols.md §4.5)
 * `type` follows the status with the project's own tables (src/errors.ts) so Synrouter's own errors and
 * translated upstream errors look alike. `code` carries what a client actually branches on: Codex
 * switches on `context_length_exceeded`, `insufficient_quota` and `rate_limit_exceeded`
 * (codex-rs `is_context_window_error` etc.); Claude Code recognises "prompt is too long".
 */
import { ANTHROPIC_ERROR_TYPES, anthropicErrorType, openaiErrorType, type AnthropicErrorBody, type OpenAIErrorBody } from '../../errors.ts';
import { isObject } from '../../json/json-object.ts';
import type { ErrorObject } from '../../protocols/anthropic/wire.ts';
import type { OpenAIErrorObject } from './wire-openai-chat.ts';

export function statusOfAnthropicError(type: string): number {
  // Anthropic's documented status for the type (§1.6, errors.ts): an error that arrives in-band has no status of its own.
  return Object.hasOwn(ANTHROPIC_ERROR_TYPES, type) ? ANTHROPIC_ERROR_TYPES[type as keyof typeof ANTHROPIC_ERROR_TYPES] : 500;
}

/** §1.6: "prompt is too long: N tokens > M maximum". */
const PROMPT_TOO_LONG = /prompt is too long/i;
/** OpenAI-side wording for the same condition (OpenAI, OpenRouter, vLLM). */
const CONTEXT_EXCEEDED = /context[ _]length|maximum context|context window/i;

function bodyText(body: unknown): { json: unknown; text: string } {
  if (typeof body !== 'string') return { json: body, text: body === undefined ? '' : JSON.stringify(body) };
  try { return { json: JSON.parse(body), text: body }; } catch { return { json: undefined, text: body }; }
}

/** Reads `{type:'error', error:{type, message}}`; anything else becomes an error of the status's type with the raw text as message. */
export function readAnthropicError(status: number, body: unknown): ErrorObject {
  const { json, text } = bodyText(body);
  const e = isObject(json) && isObject(json.error) ? json.error : undefined;
  if (e && typeof e.message === 'string') return { type: typeof e.type === 'string' ? e.type : anthropicErrorType(status), message: e.message };
  return { type: anthropicErrorType(status), message: text || `Upstream returned HTTP ${status} with an empty body.` };
}

/** Reads `{error:{message,...}}` (OpenAI, OpenRouter, most compatible providers); else the raw text. */
export function readOpenAIError(status: number, body: unknown): OpenAIErrorObject {
  const { json, text } = bodyText(body);
  const e = isObject(json) && isObject(json.error) ? json.error : undefined;
  if (e && typeof e.message === 'string') {
    return { message: e.message, type: typeof e.type === 'string' ? e.type : null, param: typeof e.param === 'string' ? e.param : null, code: typeof e.code === 'string' || typeof e.code === 'number' ? e.code : null };
  }
  // Some compatible providers answer `{"error":"text"}` or `{"message":"text"}`.
  if (isObject(json) && typeof json.error === 'string') return { message: json.error, type: null, param: null, code: null };
  if (isObject(json) && typeof json.message === 'string') return { message: json.message, type: null, param: null, code: null };
  return { message: text || `Upstream returned HTTP ${status} with an empty body.`, type: null, param: null, code: null };
}

/** The OpenAI `code` for an Anthropic error: the codes OpenAI clients act on, else Anthropic's own type. */
export function openaiCodeForAnthropicError(e: ErrorObject): string {
  if (PROMPT_TOO_LONG.test(e.message)) return 'context_length_exceeded';
  if (e.type === 'rate_limit_error') return 'rate_limit_exceeded';
  if (e.type === 'billing_error') return 'insufficient_quota';
  return e.type;
}

export function openaiErrorBodyFromAnthropic(status: number, e: ErrorObject): OpenAIErrorBody {
  return { error: { message: e.message, type: openaiErrorType(status), param: null, code: openaiCodeForAnthropicError(e) } };
}

/** The status an in-band OpenAI error stands for: OpenRouter's numeric code, else the documented meaning of type/code. */
export function statusOfOpenAIError(e: OpenAIErrorObject): number {
  if (typeof e.code === 'number' && e.code >= 400 && e.code <= 599) return e.code;
  const key = String(e.code ?? e.type ?? '');
  if (key === 'rate_limit_exceeded' || key === 'insufficient_quota') return 429;
  if (key === 'context_length_exceeded' || key === 'invalid_request_error') return 400;
  if (key === 'authentication_error' || key === 'invalid_api_key') return 401;
  return 500;
}

/**
 * OpenAI error -> Anthropic error object. A context-length error gets Anthropic's wording in front
 * ("prompt is too long: ..."), so Claude Code treats it as the condition it knows and compacts.
 */
export function anthropicErrorFromOpenAI(status: number, e: OpenAIErrorObject): ErrorObject {
  const tooLong = e.code === 'context_length_exceeded' || CONTEXT_EXCEEDED.test(e.message);
  const message = tooLong && !PROMPT_TOO_LONG.test(e.message) ? `prompt is too long: ${e.message}` : e.message;
  return { type: anthropicErrorType(status), message };
}

export function anthropicErrorBody(e: ErrorObject): AnthropicErrorBody {
  return { type: 'error', error: { type: e.type, message: e.message } };
}
