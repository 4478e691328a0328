/**
 * Shape checks on OpenAI-format bodies (chat completions, Responses), before anything is forwarded:
 * only what Synrouter needs to route, identify the session and translate. protocols.md §4.1, §5.1.
 */
import { ProxyError } from '../../errors.ts';
import { isObject } from '../../json/json-object.ts';
import { MAX_MODEL_ID } from '../anthropic/validate-request.ts';
import { checkBlocksInAll, checkBlocksInMessage, checkMessageCount, checkToolCount } from '../request-limits.ts';

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
  if (!isObject(body)) throw invalid('body', 'The request body must be a JSON object.');
  return body;
}


/** An array whose items are all objects (content parts, tools, tool calls). */
function objects(v: unknown, param: string, what: string): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) throw invalid(param, `'${param}' must be an array of ${what}.`);
  v.forEach((x, i) => { if (!isObject(x)) throw invalid(`${param}[${i}]`, `'${param}[${i}]' must be ${what === 'objects' ? 'an object' : `one of the ${what}`}.`); });
}

/** Content parts of one message or input item for the structure caps (a string is one part). */
function countParts(content: unknown, param: string): number {
  if (!Array.isArray(content)) return 1;
  checkBlocksInMessage(param, content.length);
  return content.length;
}

function common(b: Record<string, unknown>): void {
  if (typeof b.model !== 'string' || b.model === '') throw invalid('model', "'model' is required and must be a non-empty string.");
  if (b.model.length > MAX_MODEL_ID) throw invalid('model', `'model' must be at most ${MAX_MODEL_ID} characters.`);
  objects(b.tools, 'tools', 'objects');
  if (Array.isArray(b.tools)) checkToolCount('tools', b.tools.length);
  if (b.reasoning_effort !== undefined && b.reasoning_effort !== null && typeof b.reasoning_effort !== 'string') throw invalid('reasoning_effort', "'reasoning_effort' must be a string.");
  if (b.tool_choice !== undefined && b.tool_choice !== null && typeof b.tool_choice !== 'string' && !isObject(b.tool_choice)) throw invalid('tool_choice', "'tool_choice' must be a string or an object.");
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') throw invalid('stream', "'stream' must be a boolean.");
  if (b.tools !== undefined && b.tools !== null && !Array.isArray(b.tools)) throw invalid('tools', "'tools' must be an array.");
  if (b.prompt_cache_key !== undefined && b.prompt_cache_key !== null && typeof b.prompt_cache_key !== 'string') throw invalid('prompt_cache_key', "'prompt_cache_key' must be a string.");
}

export function validateChatRequest(body: unknown): ChatRequest {
  const b = object(body);
  common(b);
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw invalid('messages', "'messages' is required and must be a non-empty array.");
  checkMessageCount('messages', b.messages.length);
  let parts = 0;
  b.messages.forEach((m, i) => {
    if (!isObject(m) || typeof m.role !== 'string') throw invalid(`messages[${i}]`, `'messages[${i}]' must be an object with a string 'role'.`);
    if (m.content !== undefined && m.content !== null && typeof m.content !== 'string') objects(m.content, `messages[${i}].content`, 'objects');
    parts += countParts(m.content, `messages[${i}].content`) + (Array.isArray(m.tool_calls) ? m.tool_calls.length : 0);
    objects(m.tool_calls, `messages[${i}].tool_calls`, 'objects');
    if (Array.isArray(m.tool_calls)) (m.tool_calls as Array<Record<string, unknown>>).forEach((tc, j) => {
      const fn = tc.function;
      if (!isObject(fn) || typeof fn.name !== 'string' || (fn.arguments !== undefined && typeof fn.arguments !== 'string')) {
        throw invalid(`messages[${i}].tool_calls[${j}].function`, `'messages[${i}].tool_calls[${j}].function' must be an object with a string 'name' and string 'arguments'.`);
      }
    });
  });
  checkBlocksInAll('messages', parts);
  if (b.stream_options !== undefined && b.stream_options !== null && (typeof b.stream_options !== 'object' || Array.isArray(b.stream_options))) throw invalid('stream_options', "'stream_options' must be an object.");
  return b as ChatRequest;
}

export function validateResponsesRequest(body: unknown): ResponsesRequest {
  const b = object(body);
  common(b);
  if (b.input !== undefined && typeof b.input !== 'string' && !Array.isArray(b.input)) throw invalid('input', "'input' must be a string or an array of input items.");
  if (Array.isArray(b.input)) {
    checkMessageCount('input', b.input.length);
    let parts = 0;
    b.input.forEach((it, i) => {
      if (!isObject(it)) throw invalid(`input[${i}]`, `'input[${i}]' must be an object.`);
      if (it.content !== undefined && it.content !== null && typeof it.content !== 'string') objects(it.content, `input[${i}].content`, 'objects');
      parts += countParts(it.content, `input[${i}].content`);
    });
    checkBlocksInAll('input', parts);
  }
  if (b.instructions !== undefined && b.instructions !== null && typeof b.instructions !== 'string') throw invalid('instructions', "'instructions' must be a string.");
  return b as ResponsesRequest;
}
