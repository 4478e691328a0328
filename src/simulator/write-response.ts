// Response bodies and wire formats: Anthropic error JSON (protocols.md 1.6), the Message object (1.4)
// and the SSE event sequence (1.5).

import type { ServerResponse } from 'node:http';
import type { JsonObject } from '../json/json-object.ts';
import type { MessageUsage } from '../protocols/anthropic/wire.ts';

const ERROR_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const ERROR_MESSAGES: Readonly<Record<string, string>> = {
  invalid_request_error: 'Invalid request',
  authentication_error: 'invalid x-api-key',
  billing_error: 'Your credit balance is too low to access the Anthropic API.',
  permission_error: 'Your API key does not have permission to use the specified resource.',
  not_found_error: 'Not found',
  conflict_error: 'Conflict',
  request_too_large: 'Request exceeds the maximum allowed number of bytes.',
  rate_limit_error: 'Number of request tokens has exceeded your per-minute rate limit',
  api_error: 'Internal server error',
  timeout_error: 'Request timed out',
  overloaded_error: 'Overloaded',
};

export function errorTypeForStatus(status: number): string {
  return ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

export function defaultErrorMessage(type: string): string {
  return ERROR_MESSAGES[type] ?? 'Error';
}

export function errorBody(type: string, message: string, requestId: string): JsonObject {
  return { type: 'error', error: { type, message }, request_id: requestId };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'request-id': requestId,
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, type: string, message: string, requestId: string): void {
  // Clients honour retry-after on 429 and 529 (protocols.md 1.1).
  const headers: Record<string, string> = status === 429 || status === 529 ? { 'retry-after': '1' } : {};
  headers['x-should-retry'] = status === 429 || status >= 500 ? 'true' : 'false';
  sendJson(res, status, errorBody(type, message, requestId), requestId, headers);
}

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: JsonObject[];
  stop_reason: string | null;
  stop_sequence: string | null;
  usage: MessageUsage;
}

export interface SseEvent {
  event: string;
  data: JsonObject;
}

export function formatSse(event: SseEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** Splits a string into up to `parts` non-empty pieces (by code point); at least one piece. */
export function splitString(text: string, parts: number): string[] {
  const chars = Array.from(text);
  const count = Math.max(1, Math.min(parts, chars.length));
  const size = Math.ceil(chars.length / count);
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(''));
  return pieces.length > 0 ? pieces : [''];
}

/**
 * The exact event sequence of a streamed Message (protocols.md 1.5): message_start (input-side usage,
 * output_tokens 1), ping, per block start / deltas / stop, message_delta (cumulative usage), message_stop.
 */
export function buildSseEvents(message: AnthropicMessage): SseEvent[] {
  const { usage } = message;
  const events: SseEvent[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
      },
    },
    { event: 'ping', data: { type: 'ping' } },
  ];
  message.content.forEach((block, index) => {
    if (block.type === 'tool_use') {
      events.push({
        event: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: { ...block, input: {} } },
      });
      for (const partial of splitString(JSON.stringify(block.input), 3)) {
        events.push({
          event: 'content_block_delta',
          data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: partial } },
        });
      }
    } else if (block.type === 'thinking') {
      // Text in pieces (none with display "omitted"), then the signature just before the stop (1.5).
      events.push({
        event: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } },
      });
      const thinking = String(block.thinking ?? '');
      if (thinking !== '') {
        for (const piece of splitString(thinking, 3)) {
          events.push({
            event: 'content_block_delta',
            data: { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece } },
          });
        }
      }
      events.push({
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: String(block.signature ?? '') } },
      });
    } else if (block.type === 'redacted_thinking') {
      events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { ...block } } });
    } else {
      events.push({
        event: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
      });
      for (const text of splitString(String(block.text ?? ''), 3)) {
        events.push({
          event: 'content_block_delta',
          data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text } },
        });
      }
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  events.push(
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: message.stop_reason, stop_sequence: null },
        usage: {
          input_tokens: usage.input_tokens,
          cache_creation_input_tokens: usage.cache_creation_input_tokens,
          cache_read_input_tokens: usage.cache_read_input_tokens,
          output_tokens: usage.output_tokens,
        },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  );
  return events;
}
