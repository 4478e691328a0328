/**
 * Anthropic upstream errors for an OpenAI chat client: HTTP error bodies (status kept) and the
 * in-band error frame that replaces the rest of a stream after its first byte (style.md §7 Errors:
 * OpenAI chat `data: {"error":...}`, then close, no [DONE]).
 */
import type { OpenAIErrorBody } from '../../errors.ts';
import { writeSse } from '../../sse/sse-parser.ts';
import { openaiErrorBodyFromAnthropic, readAnthropicError, statusOfAnthropicError } from '../shared/error-bodies.ts';
import type { ErrorObject } from '../../protocols/anthropic/wire.ts';

/** An Anthropic error response (status + body as text or parsed JSON) -> the OpenAI error response. */
export function translateError(status: number, body: unknown): { status: number; body: OpenAIErrorBody } {
  return { status, body: openaiErrorBodyFromAnthropic(status, readAnthropicError(status, body)) };
}

/** The `data: {"error":...}` frame for an in-band Anthropic error event (no status: the type's documented one). */
export function streamErrorFrame(err: ErrorObject): string {
  return writeSse(undefined, JSON.stringify(openaiErrorBodyFromAnthropic(statusOfAnthropicError(err.type), err)));
}
