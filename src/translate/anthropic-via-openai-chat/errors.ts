/**
 * OpenAI-compatible upstream errors for an Anthropic client (Claude Code): HTTP error bodies
 * (status kept) and the `event: error` frame for an error inside a stream (§1.5 "Mid-stream error").
 */
import type { AnthropicErrorBody } from '../../errors.ts';
import { writeSse } from '../../sse/sse-parser.ts';
import { anthropicErrorBody, anthropicErrorFromOpenAI, readOpenAIError, statusOfOpenAIError } from '../shared/error-bodies.ts';
import type { ErrorObject } from '../../protocols/anthropic/wire.ts';
import type { OpenAIErrorObject } from '../shared/wire-openai-chat.ts';

/** An OpenAI-compatible error response (status + body as text or parsed JSON) -> the Anthropic error response. */
export function translateError(status: number, body: unknown): { status: number; body: AnthropicErrorBody } {
  return { status, body: anthropicErrorBody(anthropicErrorFromOpenAI(status, readOpenAIError(status, body))) };
}

/** An in-band `{"error":{...}}` chunk -> Anthropic error object, its type from the status the error stands for. */
export function streamError(e: OpenAIErrorObject): ErrorObject {
  return anthropicErrorFromOpenAI(statusOfOpenAIError(e), e);
}

export function errorFrame(err: ErrorObject): string {
  return writeSse('error', JSON.stringify(anthropicErrorBody(err)));
}
