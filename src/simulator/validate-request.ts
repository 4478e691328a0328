// Request validation with Anthropic's status codes and (close to) its messages (protocols.md 1.2,
// 1.6, 2.1, 2.2, 2.5, 2.7, 2.10). Returns the rendered prompt too, so callers do not render twice.

import { automaticTarget } from '../protocols/anthropic/cache-model.ts';
import { isSupportedModel } from './models.ts';
import { checkThinkingBlock, checkThinkingRules, type ThinkingMode } from './thinking.ts';
import { buildPrompt, type Prompt } from '../protocols/anthropic/prompt.ts';
import { isObject } from '../json/json-object.ts';
import type { MessagesRequest } from '../protocols/anthropic/wire.ts';

export const MAX_CACHE_BREAKPOINTS = 4;

export type Endpoint = 'messages' | 'count_tokens';

export interface ValidationError {
  ok: false;
  status: number;
  type: 'invalid_request_error' | 'not_found_error';
  message: string;
}

export type ValidationResult = { ok: true; request: MessagesRequest; prompt: Prompt } | ValidationError;

function invalid(message: string): ValidationError {
  return { ok: false, status: 400, type: 'invalid_request_error', message };
}

export function tooManyBreakpointsMessage(found: number): string {
  return `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${found}.`;
}

export const TTL_ORDER_MESSAGE =
  "a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. " +
  'Note that blocks are processed in the following order: tools, system, messages.';

/** Validates a /v1/messages (or count_tokens) body; `thinking` is how the simulated model thinks (thinking.ts). */
export function validateRequest(body: unknown, endpoint: Endpoint = 'messages', opts: { thinking?: ThinkingMode } = {}): ValidationResult {
  if (!isObject(body)) return invalid('body: Input should be a valid dictionary');
  const shape = checkShape(body, endpoint);
  if (shape !== null) return shape;
  const request = body as MessagesRequest;
  if (!isSupportedModel(request.model)) {
    return { ok: false, status: 404, type: 'not_found_error', message: `model: ${request.model}` };
  }
  const prompt = buildPrompt(request);
  const caching = checkCacheControl(prompt);
  if (caching !== null) return caching;
  if (endpoint === 'messages') {
    const output = checkOutputParams(request);
    if (output !== null) return output;
    const thinking = checkThinkingRules(request, opts.thinking);
    if (thinking !== null) return invalid(thinking);
  }
  return { ok: true, request, prompt };
}

function checkShape(body: Record<string, unknown>, endpoint: Endpoint): ValidationError | null {
  if (body.model === undefined) return invalid('model: Field required');
  if (typeof body.model !== 'string') return invalid('model: Input should be a valid string');
  if (body.messages === undefined) return invalid('messages: Field required');
  if (!Array.isArray(body.messages)) return invalid('messages: Input should be a valid list');
  if (endpoint === 'messages') {
    if (body.max_tokens === undefined) return invalid('max_tokens: Field required');
    if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens)) {
      return invalid('max_tokens: Input should be a valid integer');
    }
    if (body.max_tokens < 0) return invalid('max_tokens: Input should be greater than or equal to 0');
    if (body.stream !== undefined && typeof body.stream !== 'boolean') {
      return invalid('stream: Input should be a valid boolean');
    }
  }
  return checkSystem(body.system) ?? checkTools(body.tools) ?? checkMessages(body.messages);
}

function checkSystem(system: unknown): ValidationError | null {
  if (system === undefined || typeof system === 'string') return null;
  if (!Array.isArray(system)) return invalid('system: Input should be a valid string or a valid list');
  for (const [i, block] of system.entries()) {
    if (!isObject(block)) return invalid(`system.${i}: Input should be a valid dictionary`);
    if (block.type !== 'text') return invalid(`system.${i}.type: Input should be 'text'`);
    if (typeof block.text !== 'string') return invalid(`system.${i}.text: Field required`);
  }
  return null;
}

function checkTools(tools: unknown): ValidationError | null {
  if (tools === undefined) return null;
  if (!Array.isArray(tools)) return invalid('tools: Input should be a valid list');
  for (const [i, tool] of tools.entries()) {
    if (!isObject(tool)) return invalid(`tools.${i}: Input should be a valid dictionary`);
    if (typeof tool.name !== 'string') return invalid(`tools.${i}.name: Field required`);
    const custom = tool.type === undefined || tool.type === 'custom';
    if (custom && !isObject(tool.input_schema)) return invalid(`tools.${i}.custom.input_schema: Field required`);
  }
  return null;
}

function checkMessages(messages: unknown[]): ValidationError | null {
  if (messages.length === 0) return invalid('messages: at least one message is required');
  for (const [m, message] of messages.entries()) {
    if (!isObject(message)) return invalid(`messages.${m}: Input should be a valid dictionary`);
    if (message.role !== 'user' && message.role !== 'assistant' && message.role !== 'system') {
      return invalid(`messages.${m}.role: Input should be 'user', 'assistant' or 'system'`);
    }
    const { content } = message;
    if (typeof content !== 'string' && !Array.isArray(content)) {
      return invalid(`messages.${m}.content: Input should be a valid string or a valid list`);
    }
    const isFinalAssistant = m === messages.length - 1 && message.role === 'assistant';
    if (content.length === 0 && !isFinalAssistant) {
      return invalid(
        `messages.${m}: all messages must have non-empty content except for the optional final assistant message`,
      );
    }
    if (typeof content === 'string') continue;
    for (const [b, block] of content.entries()) {
      const path = `messages.${m}.content.${b}`;
      if (!isObject(block)) return invalid(`${path}: Input should be a valid dictionary`);
      if (typeof block.type !== 'string') return invalid(`${path}.type: Field required`);
      if (block.type === 'text' && typeof block.text !== 'string') return invalid(`${path}.text.text: Field required`);
      if (block.type === 'tool_use' && (typeof block.id !== 'string' || typeof block.name !== 'string')) {
        return invalid(`${path}.tool_use.id: Field required`);
      }
      if (block.type === 'tool_result' && typeof block.tool_use_id !== 'string') {
        return invalid(`${path}.tool_result.tool_use_id: Field required`);
      }
      const thinking = checkThinkingBlock(block, path);
      if (thinking !== null) return invalid(thinking);
    }
  }
  return null;
}

/** Breakpoint placement, count and TTL rules (protocols.md 2.1, 2.2, 2.5, 2.7). */
function checkCacheControl(prompt: Prompt): ValidationError | null {
  const shapes = [
    ...prompt.markers.map((marker) => ({ path: marker.path, value: marker.value })),
    ...(prompt.topLevel === null ? [] : [{ path: 'cache_control', value: prompt.topLevel.value }]),
  ];
  for (const { path, value } of shapes) {
    // Unknown keys (e.g. `scope`) are tolerated.
    if (!isObject(value)) return invalid(`${path}: Input should be a valid dictionary`);
    if (value.type !== 'ephemeral') return invalid(`${path}.type: Input should be 'ephemeral'`);
    if (value.ttl !== undefined && value.ttl !== '5m' && value.ttl !== '1h') {
      return invalid(`${path}.ttl: Input should be '5m' or '1h'`);
    }
  }

  for (const marker of prompt.markers) {
    const blockPath = marker.path.slice(0, -'.cache_control'.length);
    if (marker.blockType === 'thinking' || marker.blockType === 'redacted_thinking') {
      // These block types have no cache_control field at all (protocols.md 2.2).
      return invalid(`${blockPath}.${marker.blockType}.cache_control: Extra inputs are not permitted`);
    }
    if (marker.emptyText) return invalid(`${blockPath}.text: cache_control cannot be set for empty text blocks`);
  }

  // The top-level field takes one of the 4 slots (protocols.md 2.1, 2.5).
  const found = prompt.markers.length + (prompt.topLevel === null ? 0 : 1);
  if (found > MAX_CACHE_BREAKPOINTS) return invalid(tooManyBreakpointsMessage(found));

  const ttls = prompt.markers.map((marker) => marker.ttl);
  if (prompt.topLevel !== null) {
    const target = automaticTarget(prompt);
    if (target !== undefined) {
      const explicit = prompt.markers.find((m) => m.position === target.index && m.ttl !== prompt.topLevel?.ttl);
      if (explicit !== undefined) {
        return invalid(
          `cache_control: the top-level cache_control (ttl='${prompt.topLevel.ttl}') conflicts with the ` +
            `explicit cache_control (ttl='${explicit.ttl}') on the last cacheable block at ${explicit.path}`,
        );
      }
      ttls.push(prompt.topLevel.ttl);
    }
  }
  // Longer TTLs must come first: no 1h breakpoint after a 5m one (protocols.md 2.7).
  const firstFiveMinutes = ttls.indexOf('5m');
  if (firstFiveMinutes >= 0 && ttls.indexOf('1h', firstFiveMinutes) >= 0) return invalid(TTL_ORDER_MESSAGE);
  return null;
}

/** max_tokens: 0 pre-warm restrictions (protocols.md 2.10) and the thinking budget. */
function checkOutputParams(request: MessagesRequest): ValidationError | null {
  const thinking = isObject(request.thinking) ? request.thinking : undefined;
  const choice = isObject(request.tool_choice) ? request.tool_choice.type : undefined;
  if (request.max_tokens === 0) {
    if (request.stream === true) return invalid('max_tokens: 0 is not supported with stream: true');
    if (thinking?.type === 'enabled') return invalid("max_tokens: 0 is not supported with thinking.type: 'enabled'");
    const output = request.output_config;
    if (isObject(output) && output.format !== undefined && output.format !== null) {
      return invalid('max_tokens: 0 is not supported with output_config.format');
    }
    if (choice === 'any' || choice === 'tool') {
      return invalid(`max_tokens: 0 is not supported with tool_choice.type: '${choice}'`);
    }
  }
  if (thinking?.type === 'enabled') {
    const budget = thinking.budget_tokens;
    if (typeof budget !== 'number' || !Number.isInteger(budget)) {
      return invalid('thinking.enabled.budget_tokens: Field required');
    }
    if (budget < 1024) return invalid('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
    if ((request.max_tokens ?? 0) <= budget) {
      return invalid('`max_tokens` must be greater than `thinking.budget_tokens`');
    }
  }
  return null;
}
