/**
 * Anthropic upstream errors for a Responses client (Codex): HTTP error bodies in the OpenAI shape
 * (status kept), and the `error` object of a `response.failed` event for in-band errors.
 */
import type { OpenAIErrorBody } from '../../errors.ts';
import { openaiErrorBodyFromAnthropic, openaiCodeForAnthropicError, readAnthropicError } from '../shared/error-bodies.ts';
import type { ErrorObject } from '../../protocols/anthropic/wire.ts';
import type { ResponseErrorCode } from '../shared/wire-openai-responses.ts';

/** An Anthropic error response (status + body as text or parsed JSON) -> the OpenAI error response. */
export function translateError(status: number, body: unknown): { status: number; body: OpenAIErrorBody } {
  return { status, body: openaiErrorBodyFromAnthropic(status, readAnthropicError(status, body)) };
}

/**
 * `response.failed` error codes as Codex reads them (codex-rs: context_length_exceeded -> context
 * window full, insufficient_quota -> quota, rate_limit_exceeded -> retry after the delay in the
 * message, anything else -> retryable). The first two are not in the SDK's `ResponseError.code`
 * list but are what OpenAI sends and Codex checks. Overloaded/api/timeout errors are server_error.
 */
export function responseError(err: ErrorObject): { code: ResponseErrorCode; message: string } {
  const code = openaiCodeForAnthropicError(err);
  switch (code) {
    case 'context_length_exceeded':
    case 'rate_limit_exceeded':
    case 'insufficient_quota':
      return { code, message: err.message };
    case 'invalid_request_error':
      return { code: 'invalid_prompt', message: err.message };
    default:
      return { code: 'server_error', message: err.message };
  }
}
