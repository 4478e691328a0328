/**
 * Shape checks on OpenAI-format bodies (chat completions, Responses), before anything is forwarded:
 * only what Synrouter needs to route, identify the session and translate. protocols.md §4.1, §5.1.
 */
import { ProxyError } from '../../errors.ts';

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content?: unknown; [k: string]: unknown }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  tools?: unknown[];
  prompt_cache_key?: string;
  [k: string]: unknown;
}

export interface ResponsesRequest {
  model: string;
  input?: string | Array<{ type?: string; role?: string; [k: string]: unknown }>;
  instructions?: string | null;
  stream?: boolean;
  tools?: unknown[];
  prompt_cache_key?: string;
  previous_response_id?: string | null;
  [k: string]: unknown;
}

const invalid = (param: string, message: string) => new ProxyError('BODY_INVALID', message, { param });

function object(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

function common(b: Record<string, unknown>): void {
  if (typeof b.model !== 'string' || b.model === '') throw invalid('model', "'model' is required and must be a non-empty string.");
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') throw invalid('stream', "'stream' must be a boolean.");
  if (b.tools !== undefined && b.tools !== null && !Array.isArray(b.tools)) throw invalid('tools', "'tools' must be an array.");
  if (b.prompt_cache_key !== undefined && b.prompt_cache_key !== null && typeof b.prompt_cache_key !== 'string') throw invalid('prompt_cache_key', "'prompt_cache_key' must be a string.");
}

export function validateChatRequest(body: unknown): ChatRequest {
  const b = object(body);
  common(b);
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw invalid('messages', "'messages' is required and must be a non-empty array.");
  b.messages.forEach((m, i) => {
    if (typeof m !== 'object' || m === null || typeof (m as { role?: unknown }).role !== 'string') throw invalid(`messages[${i}]`, `'messages[${i}]' must be an object with a string 'role'.`);
  });
  if (b.stream_options !== undefined && b.stream_options !== null && (typeof b.stream_options !== 'object' || Array.isArray(b.stream_options))) throw invalid('stream_options', "'stream_options' must be an object.");
  return b as ChatRequest;
}

export function validateResponsesRequest(body: unknown): ResponsesRequest {
  const b = object(body);
  common(b);
  if (b.input !== undefined && typeof b.input !== 'string' && !Array.isArray(b.input)) throw invalid('input', "'input' must be a string or an array of input items.");
  if (Array.isArray(b.input)) b.input.forEach((it, i) => {
    if (typeof it !== 'object' || it === null || Array.isArray(it)) throw invalid(`input[${i}]`, `'input[${i}]' must be an object.`);
  });
  if (b.instructions !== undefined && b.instructions !== null && typeof b.instructions !== 'string') throw invalid('instructions', "'instructions' must be a string.");
  return b as ResponsesRequest;
}
