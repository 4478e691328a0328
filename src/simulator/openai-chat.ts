// POST /v1/chat/completions (protocols.md 4): request validation with OpenAI's error messages, the
// scripted reply's ChatCompletion object, and the chunk sequence of a streamed reply.
//
// Stream: a first chunk with the role, content deltas, per tool call a chunk with id/type/name and then
// its arguments in 2+ fragments (keyed by `index`), a chunk with the finish_reason, and with
// `stream_options.include_usage` a last chunk with `choices: []` and the usage (every other chunk then
// carries `usage: null`); the stream ends with `data: [DONE]`.

import { isObject, type JsonObject } from '../json/json-object.ts';
import { invalidRequest, type OpenAIErrorInfo } from './openai-errors.ts';
import { outputText, type OpenAIScriptedReply, type ScriptTool, type ToolChoice } from './openai-script.ts';
import type { ChatUsage } from './openai-usage.ts';
import { splitString } from './write-response.ts';

export type ChatValidation = { ok: true; body: JsonObject } | { ok: false; error: OpenAIErrorInfo };

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

function checkMaxTokens(body: JsonObject, name: string): OpenAIErrorInfo | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return invalidRequest(`Invalid type for '${name}': expected an integer, but got ${typeName(value)} instead.`, name, 'invalid_type');
  }
  if (value < 1) {
    return invalidRequest(`Invalid '${name}': integer below minimum value. Expected a value >= 1, but got ${value} instead.`, name, 'integer_below_min_value');
  }
  return undefined;
}

function checkContent(content: unknown, param: string, required: boolean): OpenAIErrorInfo | undefined {
  if (content === undefined || content === null) {
    return required ? invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter') : undefined;
  }
  if (typeof content === 'string') return undefined;
  if (!Array.isArray(content)) {
    return invalidRequest(`Invalid type for '${param}': expected one of a string or array of objects, but got ${typeName(content)} instead.`, param, 'invalid_type');
  }
  for (const [i, part] of content.entries()) {
    if (!isObject(part) || typeof part.type !== 'string') {
      return invalidRequest(`Invalid type for '${param}[${i}]': expected an object with a string 'type'.`, `${param}[${i}]`, 'invalid_type');
    }
    if (part.type === 'text' && typeof part.text !== 'string') {
      return invalidRequest(`Missing required parameter: '${param}[${i}].text'.`, `${param}[${i}].text`, 'missing_required_parameter');
    }
  }
  return undefined;
}

function checkToolCalls(toolCalls: unknown, param: string): OpenAIErrorInfo | undefined {
  if (!Array.isArray(toolCalls)) {
    return invalidRequest(`Invalid type for '${param}': expected an array of objects, but got ${typeName(toolCalls)} instead.`, param, 'invalid_type');
  }
  for (const [i, call] of toolCalls.entries()) {
    const p = `${param}[${i}]`;
    if (!isObject(call) || typeof call.id !== 'string') return invalidRequest(`Missing required parameter: '${p}.id'.`, `${p}.id`, 'missing_required_parameter');
    if (call.type === 'custom') {
      if (!isObject(call.custom) || typeof call.custom.name !== 'string' || typeof call.custom.input !== 'string') {
        return invalidRequest(`Missing required parameter: '${p}.custom'.`, `${p}.custom`, 'missing_required_parameter');
      }
    } else if (call.type === 'function' || call.type === undefined) {
      if (!isObject(call.function) || typeof call.function.name !== 'string' || typeof call.function.arguments !== 'string') {
        return invalidRequest(`Missing required parameter: '${p}.function'.`, `${p}.function`, 'missing_required_parameter');
      }
    } else {
      return invalidRequest(`Invalid value: '${String(call.type)}'. Supported values are: 'function' and 'custom'.`, `${p}.type`, 'invalid_value');
    }
  }
  return undefined;
}

/** Each assistant tool_calls turn is answered by tool messages for every id, right after it (OpenAI enforces this). */
function checkToolPairing(messages: JsonObject[]): OpenAIErrorInfo | undefined {
  let open: Set<string> | undefined; // ids of the last assistant tool_calls turn, while its tool messages follow
  let openAt = -1;
  for (const [i, message] of messages.entries()) {
    if (message.role === 'tool') {
      if (open === undefined || !open.has(String(message.tool_call_id))) {
        return invalidRequest(
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          `messages.[${i}].role`,
        );
      }
      open.delete(String(message.tool_call_id));
      continue;
    }
    if (open !== undefined && open.size > 0) return missingToolResponses(open, openAt);
    open = undefined;
    if (message.role === 'assistant' && Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
      open = new Set(message.tool_calls.map((c: unknown) => (isObject(c) ? String(c.id) : '')));
      openAt = i;
    }
  }
  if (open !== undefined && open.size > 0) return missingToolResponses(open, openAt);
  return undefined;
}

function missingToolResponses(ids: Set<string>, at: number): OpenAIErrorInfo {
  return invalidRequest(
    `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...ids].join(', ')}`,
    `messages.[${at + 1}].role`,
  );
}

function checkTools(tools: unknown): OpenAIErrorInfo | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) return invalidRequest(`Invalid type for 'tools': expected an array of objects, but got ${typeName(tools)} instead.`, 'tools', 'invalid_type');
  for (const [i, tool] of tools.entries()) {
    const p = `tools[${i}]`;
    if (!isObject(tool)) return invalidRequest(`Invalid type for '${p}': expected an object, but got ${typeName(tool)} instead.`, p, 'invalid_type');
    const spec = tool.type === 'custom' ? tool.custom : tool.type === 'function' ? tool.function : undefined;
    if (tool.type !== 'function' && tool.type !== 'custom') {
      return invalidRequest(`Invalid value: '${String(tool.type)}'. Supported values are: 'function' and 'custom'.`, `${p}.type`, 'invalid_value');
    }
    const field = `${p}.${tool.type}`;
    if (!isObject(spec) || typeof spec.name !== 'string') {
      return invalidRequest(`Missing required parameter: '${field}.name'.`, `${field}.name`, 'missing_required_parameter');
    }
    if (!TOOL_NAME.test(spec.name)) {
      return invalidRequest(
        `Invalid '${field}.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
        `${field}.name`,
        'invalid_value',
      );
    }
  }
  return undefined;
}

export function validateChatRequest(body: unknown): ChatValidation {
  const fail = (error: OpenAIErrorInfo): ChatValidation => ({ ok: false, error });
  if (!isObject(body)) return fail(invalidRequest(`Invalid type for request body: expected an object, but got ${typeName(body)} instead.`));
  if (typeof body.model !== 'string' || body.model === '') return fail(invalidRequest('you must provide a model parameter'));
  const messages = body.messages;
  if (messages === undefined) return fail(invalidRequest("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter'));
  if (!Array.isArray(messages)) {
    return fail(invalidRequest(`Invalid type for 'messages': expected an array of objects, but got ${typeName(messages)} instead.`, 'messages', 'invalid_type'));
  }
  if (messages.length === 0) {
    return fail(invalidRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array'));
  }
  for (const [i, message] of messages.entries()) {
    const p = `messages[${i}]`;
    if (!isObject(message)) return fail(invalidRequest(`Invalid type for '${p}': expected an object, but got ${typeName(message)} instead.`, p, 'invalid_type'));
    if (typeof message.role !== 'string') return fail(invalidRequest(`Missing required parameter: '${p}.role'.`, `${p}.role`, 'missing_required_parameter'));
    if (!ROLES.includes(message.role)) {
      return fail(
        invalidRequest(
          `Invalid value: '${message.role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
          `${p}.role`,
          'invalid_value',
        ),
      );
    }
    const hasToolCalls = message.role === 'assistant' && message.tool_calls !== undefined && message.tool_calls !== null;
    const contentError = checkContent(message.content, `${p}.content`, message.role !== 'assistant' || !hasToolCalls);
    if (contentError !== undefined) return fail(contentError);
    if (hasToolCalls) {
      const callsError = checkToolCalls(message.tool_calls, `${p}.tool_calls`);
      if (callsError !== undefined) return fail(callsError);
    }
    if (message.role === 'tool' && typeof message.tool_call_id !== 'string') {
      return fail(invalidRequest(`Missing required parameter: '${p}.tool_call_id'.`, `${p}.tool_call_id`, 'missing_required_parameter'));
    }
  }
  const pairing = checkToolPairing(messages as JsonObject[]);
  if (pairing !== undefined) return fail(pairing);
  const toolsError = checkTools(body.tools);
  if (toolsError !== undefined) return fail(toolsError);
  const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
  if (body.tool_choice !== undefined && body.tool_choice !== null && !hasTools) {
    return fail(invalidRequest("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", 'tool_choice'));
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    return fail(invalidRequest(`Invalid type for 'stream': expected a boolean, but got ${typeName(body.stream)} instead.`, 'stream', 'invalid_type'));
  }
  if (body.stream_options !== undefined && body.stream_options !== null && body.stream !== true) {
    return fail(invalidRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options'));
  }
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    return fail(invalidRequest("The simulator answers one choice only: 'n' must be 1.", 'n', 'unsupported_value'));
  }
  for (const name of ['max_tokens', 'max_completion_tokens']) {
    const error = checkMaxTokens(body, name);
    if (error !== undefined) return fail(error);
  }
  if (body.prompt_cache_key !== undefined && body.prompt_cache_key !== null && typeof body.prompt_cache_key !== 'string') {
    return fail(invalidRequest(`Invalid type for 'prompt_cache_key': expected a string, but got ${typeName(body.prompt_cache_key)} instead.`, 'prompt_cache_key', 'invalid_type'));
  }
  return { ok: true, body };
}

// ---- Reading a validated request ----

export function chatTools(body: JsonObject): ScriptTool[] {
  const tools = Array.isArray(body.tools) ? body.tools.filter(isObject) : [];
  return tools.flatMap((tool): ScriptTool[] => {
    if (tool.type === 'function' && isObject(tool.function)) {
      return [{ kind: 'function', name: String(tool.function.name), parameters: tool.function.parameters }];
    }
    if (tool.type === 'custom' && isObject(tool.custom)) return [{ kind: 'custom', name: String(tool.custom.name) }];
    return [];
  });
}

function choiceName(entry: unknown): string | undefined {
  if (!isObject(entry)) return undefined;
  const spec = entry.type === 'custom' ? entry.custom : entry.function;
  return isObject(spec) && typeof spec.name === 'string' ? spec.name : undefined;
}

export function chatToolChoice(choice: unknown): ToolChoice {
  if (choice === 'none' || choice === 'required') return { mode: choice };
  if (isObject(choice)) {
    if (choice.type === 'allowed_tools' && isObject(choice.allowed_tools)) {
      const { mode, tools } = choice.allowed_tools;
      const names = (Array.isArray(tools) ? tools : []).map(choiceName).filter((n): n is string => n !== undefined);
      return { mode: mode === 'required' ? 'required' : 'auto', names };
    }
    const name = choiceName(choice);
    if (name !== undefined) return { mode: 'required', names: [name] };
  }
  return { mode: 'auto' };
}

function assistantToolCalls(body: JsonObject): unknown[][] {
  const messages = Array.isArray(body.messages) ? body.messages.filter(isObject) : [];
  return messages
    .filter((m) => m.role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length > 0)
    .map((m) => m.tool_calls as unknown[]);
}

/** Assistant turns with tool calls (parallel calls in one turn are one round). */
export function countChatToolRounds(body: JsonObject): number {
  return assistantToolCalls(body).length;
}

export function countChatToolCalls(body: JsonObject): number {
  return assistantToolCalls(body).reduce((sum, calls) => sum + calls.length, 0);
}

export function lastChatToolOutput(body: JsonObject): string | undefined {
  const messages = Array.isArray(body.messages) ? body.messages.filter(isObject) : [];
  const last = messages.findLast((m) => m.role === 'tool');
  return last === undefined ? undefined : outputText(last.content);
}

/** The output limit asked for (max_completion_tokens wins over the legacy max_tokens). */
export function chatMaxTokens(body: JsonObject): number | undefined {
  const value = body.max_completion_tokens ?? body.max_tokens;
  return typeof value === 'number' ? value : undefined;
}

// ---- Writing the reply ----

export interface ChatReplyMeta {
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
}

function toolCallObject(call: OpenAIScriptedReply['calls'][number]): JsonObject {
  const id = `call_sim_${call.number}`;
  return call.kind === 'custom'
    ? { id, type: 'custom', custom: { name: call.name, input: call.input } }
    : { id, type: 'function', function: { name: call.name, arguments: call.input } };
}

export function buildChatCompletion(meta: ChatReplyMeta, reply: OpenAIScriptedReply, usage: ChatUsage): JsonObject {
  const message: JsonObject = { role: 'assistant', content: reply.text, refusal: null, annotations: [] };
  if (reply.calls.length > 0) message.tool_calls = reply.calls.map(toolCallObject);
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: reply.finish }],
    usage,
    service_tier: 'default',
    system_fingerprint: 'fp_simulator',
  };
}

/** The chunks of a streamed reply, in order (without the `[DONE]` sentinel). */
export function buildChatChunks(meta: ChatReplyMeta, reply: OpenAIScriptedReply, usage: ChatUsage, includeUsage: boolean): JsonObject[] {
  const chunk = (choices: JsonObject[]): JsonObject => ({
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    service_tier: 'default',
    system_fingerprint: 'fp_simulator',
    choices,
    ...(includeUsage ? { usage: null } : {}),
  });
  const delta = (d: JsonObject, finish: string | null = null): JsonObject => chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);

  const chunks: JsonObject[] = [delta({ role: 'assistant', content: reply.text === null ? null : '', refusal: null })];
  if (reply.text !== null && reply.text !== '') {
    for (const piece of splitString(reply.text, 3)) chunks.push(delta({ content: piece }));
  }
  reply.calls.forEach((call, index) => {
    const id = `call_sim_${call.number}`;
    const head =
      call.kind === 'custom'
        ? { index, id, type: 'custom', custom: { name: call.name, input: '' } }
        : { index, id, type: 'function', function: { name: call.name, arguments: '' } };
    chunks.push(delta({ tool_calls: [head] }));
    for (const piece of splitString(call.input, 3)) {
      const fragment = call.kind === 'custom' ? { index, custom: { input: piece } } : { index, function: { arguments: piece } };
      chunks.push(delta({ tool_calls: [fragment] }));
    }
  });
  chunks.push(delta({}, reply.finish));
  if (includeUsage) chunks.push({ ...chunk([]), usage });
  return chunks;
}

export function formatChatSse(chunk: JsonObject): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export const CHAT_SSE_DONE = 'data: [DONE]\n\n';
