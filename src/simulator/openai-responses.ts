// POST /v1/responses (protocols.md 5): request validation, the scripted reply as a Response object, and
// the event sequence of a streamed reply (5.3):
//   response.created, response.in_progress, then per output item
//     message:          output_item.added, content_part.added, output_text.delta*, output_text.done,
//                       content_part.done, output_item.done
//     function_call:    output_item.added, function_call_arguments.delta*, function_call_arguments.done,
//                       output_item.done
//     custom_tool_call: output_item.added, custom_tool_call_input.delta*, custom_tool_call_input.done,
//                       output_item.done
//   then response.completed (response.incomplete when max_output_tokens cut the reply).
// Every event has `type` and a `sequence_number` counting from 0.
//
// State: nothing is stored. `previous_response_id` (and `conversation`) answer 400 "not found", as the
// real API does for an id it does not hold; Codex over HTTP sends `store:false` and re-sends the full
// history every turn, so it never needs them.

import { isObject, type JsonObject } from '../json/json-object.ts';
import { invalidRequest, type OpenAIErrorInfo } from './openai-errors.ts';
import { responsesInputItems } from './openai-prompt.ts';
import { outputText, type OpenAIScriptedReply, type ScriptTool, type ToolChoice } from './openai-script.ts';
import type { ResponsesUsage } from './openai-usage.ts';
import { splitString } from './write-response.ts';

export type ResponsesValidation = { ok: true; body: JsonObject } | { ok: false; error: OpenAIErrorInfo };

const MESSAGE_ROLES = ['user', 'assistant', 'system', 'developer'];
const CALL_TYPES = new Set(['function_call', 'custom_tool_call']);
const OUTPUT_TYPES: Readonly<Record<string, string>> = {
  function_call_output: 'function call output',
  custom_tool_call_output: 'custom tool call output',
};
const MIN_OUTPUT_TOKENS = 16;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

const missing = (param: string): OpenAIErrorInfo => invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
const wrongType = (param: string, expected: string, value: unknown): OpenAIErrorInfo =>
  invalidRequest(`Invalid type for '${param}': expected ${expected}, but got ${typeName(value)} instead.`, param, 'invalid_type');

function itemType(item: JsonObject): string {
  return typeof item.type === 'string' ? item.type : 'message';
}

function checkItem(item: unknown, p: string): OpenAIErrorInfo | undefined {
  if (!isObject(item)) return wrongType(p, 'an object', item);
  if (item.type !== undefined && typeof item.type !== 'string') return wrongType(`${p}.type`, 'a string', item.type);
  const type = itemType(item);
  const str = (key: string): OpenAIErrorInfo | undefined =>
    item[key] === undefined ? missing(`${p}.${key}`) : typeof item[key] === 'string' ? undefined : wrongType(`${p}.${key}`, 'a string', item[key]);
  switch (type) {
    case 'message': {
      if (item.role === undefined) return missing(`${p}.role`);
      if (typeof item.role !== 'string' || !MESSAGE_ROLES.includes(item.role)) {
        return invalidRequest(
          `Invalid value: '${String(item.role)}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.`,
          `${p}.role`,
          'invalid_value',
        );
      }
      if (item.content === undefined) return missing(`${p}.content`);
      if (typeof item.content === 'string') return undefined;
      if (!Array.isArray(item.content)) return wrongType(`${p}.content`, 'one of a string or array of input items', item.content);
      for (const [i, part] of item.content.entries()) {
        const pp = `${p}.content[${i}]`;
        if (!isObject(part) || typeof part.type !== 'string') return wrongType(pp, "an object with a string 'type'", part);
        if ((part.type === 'input_text' || part.type === 'output_text') && typeof part.text !== 'string') return missing(`${pp}.text`);
      }
      return undefined;
    }
    case 'function_call':
      return str('call_id') ?? str('name') ?? str('arguments');
    case 'custom_tool_call':
      return str('call_id') ?? str('name') ?? str('input');
    case 'function_call_output':
    case 'custom_tool_call_output':
      if (str('call_id') !== undefined) return str('call_id');
      if (item.output === undefined) return missing(`${p}.output`);
      if (typeof item.output !== 'string' && !Array.isArray(item.output)) return wrongType(`${p}.output`, 'one of a string or array', item.output);
      return undefined;
    default:
      return undefined; // reasoning, additional_tools, configuration_update, item_reference, …: tolerated
  }
}

/** Outputs answer an earlier call with the same call_id, and every call has an output (store:false full history). */
function checkCallPairing(items: JsonObject[]): OpenAIErrorInfo | undefined {
  const calls = new Set<string>();
  const answered = new Set<string>();
  for (const item of items) {
    const type = itemType(item);
    const callId = typeof item.call_id === 'string' ? item.call_id : undefined;
    if (callId === undefined) continue;
    const outputKind = OUTPUT_TYPES[type];
    if (outputKind !== undefined) {
      if (!calls.has(callId)) return invalidRequest(`No tool call found for ${outputKind} with call_id ${callId}.`, 'input');
      answered.add(callId);
    } else if (type.endsWith('_call')) {
      calls.add(callId);
    }
  }
  for (const item of items) {
    const type = itemType(item);
    if (CALL_TYPES.has(type) && !answered.has(String(item.call_id))) {
      const kind = type === 'function_call' ? 'function call' : 'custom tool call';
      return invalidRequest(`No tool output found for ${kind} ${String(item.call_id)}.`, 'input');
    }
  }
  return undefined;
}

function checkTools(tools: unknown, param: string): OpenAIErrorInfo | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) return wrongType(param, 'an array of objects', tools);
  for (const [i, tool] of tools.entries()) {
    const p = `${param}[${i}]`;
    if (!isObject(tool) || typeof tool.type !== 'string') return wrongType(p, "an object with a string 'type'", tool);
    if ((tool.type === 'function' || tool.type === 'custom' || tool.type === 'namespace') && typeof tool.name !== 'string') {
      return missing(`${p}.name`);
    }
    if (tool.type === 'namespace') {
      if (!Array.isArray(tool.tools)) return missing(`${p}.tools`);
      const nested = checkTools(tool.tools, `${p}.tools`);
      if (nested !== undefined) return nested;
    }
  }
  return undefined;
}

export function validateResponsesRequest(body: unknown): ResponsesValidation {
  const fail = (error: OpenAIErrorInfo): ResponsesValidation => ({ ok: false, error });
  if (!isObject(body)) return fail(wrongType('body', 'an object', body));
  if (typeof body.model !== 'string' || body.model === '') return fail(missing('model'));
  if (typeof body.previous_response_id === 'string') {
    return fail(
      invalidRequest(`Previous response with id '${body.previous_response_id}' not found.`, 'previous_response_id', 'previous_response_not_found'),
    );
  }
  if (body.conversation !== undefined && body.conversation !== null) {
    const id = isObject(body.conversation) ? String(body.conversation.id) : String(body.conversation);
    return fail(invalidRequest(`Conversation with id '${id}' not found.`, 'conversation', 'conversation_not_found'));
  }
  const input = body.input;
  if (input !== undefined && input !== null && typeof input !== 'string' && !Array.isArray(input)) {
    return fail(wrongType('input', 'one of a string or array of input items', input));
  }
  if (Array.isArray(input)) {
    for (const [i, item] of input.entries()) {
      const error = checkItem(item, `input[${i}]`);
      if (error !== undefined) return fail(error);
    }
    const pairing = checkCallPairing(input as JsonObject[]);
    if (pairing !== undefined) return fail(pairing);
  }
  if (body.instructions !== undefined && body.instructions !== null && typeof body.instructions !== 'string') {
    return fail(wrongType('instructions', 'a string', body.instructions));
  }
  const toolsError = checkTools(body.tools, 'tools');
  if (toolsError !== undefined) return fail(toolsError);
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') return fail(wrongType('stream', 'a boolean', body.stream));
  if (body.store !== undefined && body.store !== null && typeof body.store !== 'boolean') return fail(wrongType('store', 'a boolean', body.store));
  if (body.include !== undefined && body.include !== null) {
    if (!Array.isArray(body.include) || !body.include.every((v: unknown) => typeof v === 'string')) {
      return fail(wrongType('include', 'an array of strings', body.include));
    }
  }
  if (body.prompt_cache_key !== undefined && body.prompt_cache_key !== null && typeof body.prompt_cache_key !== 'string') {
    return fail(wrongType('prompt_cache_key', 'a string', body.prompt_cache_key));
  }
  const max = body.max_output_tokens;
  if (max !== undefined && max !== null) {
    if (typeof max !== 'number' || !Number.isInteger(max)) return fail(wrongType('max_output_tokens', 'an integer', max));
    if (max < MIN_OUTPUT_TOKENS) {
      return fail(
        invalidRequest(
          `Invalid 'max_output_tokens': integer below minimum value. Expected a value >= ${MIN_OUTPUT_TOKENS}, but got ${max} instead.`,
          'max_output_tokens',
          'integer_below_min_value',
        ),
      );
    }
  }
  return { ok: true, body };
}

// ---- Reading a validated request ----

function flattenTools(tools: unknown, namespace?: string): ScriptTool[] {
  if (!Array.isArray(tools)) return [];
  return tools.filter(isObject).flatMap((tool): ScriptTool[] => {
    const ns = namespace === undefined ? {} : { namespace };
    if (tool.type === 'function') return [{ kind: 'function', name: String(tool.name), parameters: tool.parameters, ...ns }];
    if (tool.type === 'custom') return [{ kind: 'custom', name: String(tool.name), ...ns }];
    if (tool.type === 'namespace') return flattenTools(tool.tools, String(tool.name));
    return []; // hosted tools (web_search, file_search, …) are never called
  });
}

/** Callable tools: top-level `tools` plus those inside `additional_tools` input items (Codex code mode). */
export function responsesTools(body: JsonObject): ScriptTool[] {
  const fromInput = responsesInputItems(body.input)
    .filter((item) => item.type === 'additional_tools')
    .flatMap((item) => flattenTools(item.tools));
  return [...flattenTools(body.tools), ...fromInput];
}

function choiceName(entry: unknown): string | undefined {
  return isObject(entry) && typeof entry.name === 'string' ? entry.name : undefined;
}

export function responsesToolChoice(choice: unknown): ToolChoice {
  if (choice === 'none' || choice === 'required') return { mode: choice };
  if (isObject(choice)) {
    if (choice.type === 'allowed_tools') {
      const names = (Array.isArray(choice.tools) ? choice.tools : []).map(choiceName).filter((n): n is string => n !== undefined);
      return { mode: choice.mode === 'required' ? 'required' : 'auto', names };
    }
    const name = choiceName(choice);
    if ((choice.type === 'function' || choice.type === 'custom') && name !== undefined) return { mode: 'required', names: [name] };
  }
  return { mode: 'auto' };
}

/**
 * Tool rounds in the input: maximal runs of function_call / custom_tool_call items (reasoning items may
 * sit between them). With one call per turn this is the number of calls; parallel calls of one turn
 * count as one round when replayed together (call, call, output, output), as the SDK pattern
 * `input.push(...response.output, ...outputs)` does, but as one round each when a client interleaves
 * them with their outputs (call, output, call, output).
 */
export function countResponsesToolRounds(body: JsonObject): number {
  let rounds = 0;
  let inRun = false;
  for (const item of responsesInputItems(body.input)) {
    const type = itemType(item);
    if (CALL_TYPES.has(type)) {
      if (!inRun) rounds++;
      inRun = true;
    } else if (type !== 'reasoning') {
      inRun = false;
    }
  }
  return rounds;
}

export function countResponsesToolCalls(body: JsonObject): number {
  return responsesInputItems(body.input).filter((item) => CALL_TYPES.has(itemType(item))).length;
}

export function lastResponsesToolOutput(body: JsonObject): string | undefined {
  const last = responsesInputItems(body.input).findLast((item) => OUTPUT_TYPES[itemType(item)] !== undefined);
  return last === undefined ? undefined : outputText(last.output);
}

export function responsesMaxTokens(body: JsonObject): number | undefined {
  return typeof body.max_output_tokens === 'number' ? body.max_output_tokens : undefined;
}

// ---- Writing the reply ----

export interface ResponseMeta {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  /** Id of the assistant message item, if the reply has text. */
  messageId: string;
}

/** The finished output items of a reply. */
export function buildResponseOutput(meta: ResponseMeta, reply: OpenAIScriptedReply): JsonObject[] {
  const output: JsonObject[] = [];
  if (reply.text !== null) {
    output.push({
      id: meta.messageId,
      type: 'message',
      status: reply.finish === 'length' ? 'incomplete' : 'completed',
      content: [{ type: 'output_text', annotations: [], logprobs: [], text: reply.text }],
      role: 'assistant',
    });
  }
  for (const call of reply.calls) {
    const ns = call.namespace === undefined ? {} : { namespace: call.namespace };
    output.push(
      call.kind === 'custom'
        ? { id: `ctc_sim_${call.number}`, type: 'custom_tool_call', call_id: `call_sim_${call.number}`, name: call.name, input: call.input, ...ns }
        : {
            id: `fc_sim_${call.number}`,
            type: 'function_call',
            status: 'completed',
            arguments: call.input,
            call_id: `call_sim_${call.number}`,
            name: call.name,
            ...ns,
          },
    );
  }
  return output;
}

/** The Response object; `usage` null while in progress. */
export function buildResponse(
  meta: ResponseMeta,
  body: JsonObject,
  state: { status: 'in_progress' | 'completed' | 'incomplete'; output: JsonObject[]; usage: ResponsesUsage | null },
): JsonObject {
  const reasoning = isObject(body.reasoning) ? body.reasoning : {};
  return {
    id: meta.id,
    object: 'response',
    created_at: meta.createdAt,
    status: state.status,
    background: false,
    completed_at: state.status === 'in_progress' ? null : meta.createdAt,
    error: null,
    incomplete_details: state.status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: null,
    model: body.model,
    output: state.output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: null,
    prompt_cache_key: body.prompt_cache_key ?? null,
    reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
    safety_identifier: body.safety_identifier ?? null,
    service_tier: 'default',
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: body.text ?? { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_logprobs: 0,
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? 'disabled',
    usage: state.usage,
    user: null,
    metadata: body.metadata ?? {},
  };
}

/** The streamed events of a finished Response (as buildResponse returned it), sequence numbers from 0. */
export function buildResponsesEvents(meta: ResponseMeta, body: JsonObject, final: JsonObject): JsonObject[] {
  const events: JsonObject[] = [];
  const push = (type: string, fields: JsonObject): void => {
    events.push({ type, sequence_number: events.length, ...fields });
  };
  const inProgress = buildResponse(meta, body, { status: 'in_progress', output: [], usage: null });
  push('response.created', { response: inProgress });
  push('response.in_progress', { response: inProgress });
  const output = Array.isArray(final.output) ? final.output.filter(isObject) : [];
  output.forEach((item, outputIndex) => {
    const itemId = String(item.id);
    if (item.type === 'message') {
      const content = Array.isArray(item.content) ? item.content.filter(isObject) : [];
      const part = content[0] ?? { type: 'output_text', annotations: [], logprobs: [], text: '' };
      const text = String(part.text ?? '');
      const at = { item_id: itemId, output_index: outputIndex, content_index: 0 };
      push('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', content: [] } });
      push('response.content_part.added', { ...at, part: { ...part, text: '' } });
      for (const delta of text === '' ? [] : splitString(text, 3)) push('response.output_text.delta', { ...at, delta, logprobs: [] });
      push('response.output_text.done', { ...at, text, logprobs: [] });
      push('response.content_part.done', { ...at, part });
    } else if (item.type === 'function_call') {
      const args = String(item.arguments);
      const at = { item_id: itemId, output_index: outputIndex };
      push('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', arguments: '' } });
      for (const delta of splitString(args, 3)) push('response.function_call_arguments.delta', { ...at, delta });
      push('response.function_call_arguments.done', { ...at, name: item.name, arguments: args });
    } else if (item.type === 'custom_tool_call') {
      const input = String(item.input);
      const at = { item_id: itemId, output_index: outputIndex };
      push('response.output_item.added', { output_index: outputIndex, item: { ...item, input: '' } });
      for (const delta of splitString(input, 3)) push('response.custom_tool_call_input.delta', { ...at, delta });
      push('response.custom_tool_call_input.done', { ...at, input });
    }
    push('response.output_item.done', { output_index: outputIndex, item });
  });
  push(final.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final });
  return events;
}

export function formatResponsesSse(event: JsonObject): string {
  return `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;
}
