// Scripted, deterministic replies, so an agent driven by the simulator loops through tool calls:
// while the request has tools and fewer than `rounds` assistant turns contain a tool_use, answer with a
// short text plus one tool_use; then end the turn, quoting the last tool result so tests can see the
// loop ran. The same conversation always gets the same reply bytes. With thinking on, the reply
// opens with a signed thinking block when the model thinks (thinking.ts).

import { tokensForJson } from '../protocols/anthropic/canonical.ts';
import { isObject, type JsonObject, type MessagesRequest } from '../protocols/anthropic/wire-types.ts';
import { thinkingBlock, type ThinkingMode } from './thinking.ts';

export const DEFAULT_ROUNDS = 3;

export interface ScriptedReply {
  content: JsonObject[];
  stop_reason: 'end_turn' | 'tool_use' | 'max_tokens';
  output_tokens: number;
}

/** Assistant turns so far that contain a tool_use block. */
export function countToolRounds(request: MessagesRequest): number {
  return request.messages.filter(
    (m) => m.role === 'assistant' && Array.isArray(m.content) && m.content.some((b) => b.type === 'tool_use'),
  ).length;
}

/** Text of the last tool_result in the conversation, or undefined. */
export function lastToolResultText(request: MessagesRequest): string | undefined {
  for (let m = request.messages.length - 1; m >= 0; m--) {
    const content = request.messages[m]?.content;
    if (!Array.isArray(content)) continue;
    for (let b = content.length - 1; b >= 0; b--) {
      const block = content[b];
      if (block?.type !== 'tool_result') continue;
      if (typeof block.content === 'string') return block.content;
      if (Array.isArray(block.content)) {
        return block.content
          .filter((inner: unknown): inner is JsonObject => isObject(inner) && inner.type === 'text')
          .map((inner) => String(inner.text))
          .join('\n');
      }
      return '';
    }
  }
  return undefined;
}

/** An input object that satisfies a JSON schema's required properties, roughly. */
export function inputFromSchema(schema: unknown): JsonObject {
  const input: JsonObject = {};
  if (!isObject(schema) || !isObject(schema.properties)) return input;
  const required = Array.isArray(schema.required) ? schema.required : [];
  for (const name of required) {
    if (typeof name !== 'string') continue;
    const property = schema.properties[name];
    input[name] = valueForSchema(isObject(property) ? property : {});
  }
  return input;
}

function valueForSchema(schema: JsonObject): unknown {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'object':
      return {};
    case 'array':
      return [];
    default:
      return 'sim';
  }
}

function outputTokens(content: JsonObject[]): number {
  return Math.max(1, tokensForJson(content));
}

function pickTool(request: MessagesRequest): JsonObject | undefined {
  const tools = (request.tools ?? []).filter((t) => typeof t.name === 'string');
  const choice = request.tool_choice;
  if (isObject(choice) && choice.type === 'tool') {
    const named = tools.find((t) => t.name === choice.name);
    if (named !== undefined) return named;
  }
  return tools.find((t) => t.name === 'Bash') ?? tools[0];
}

/** The reply for a request; `rounds` is the number of tool rounds before the final answer, `thinking` when the model thinks. */
export function scriptReply(request: MessagesRequest, rounds: number = DEFAULT_ROUNDS, thinking: ThinkingMode = 'every-reply'): ScriptedReply {
  const done = countToolRounds(request);
  const choice = isObject(request.tool_choice) ? request.tool_choice.type : undefined;
  // tool_choice any/tool forces a call; none forbids one.
  const mustCall = choice === 'any' || choice === 'tool';
  const tool = choice === 'none' ? undefined : pickTool(request);
  let reply: ScriptedReply;
  if (tool !== undefined && (done < rounds || mustCall)) {
    const n = done + 1;
    const name = String(tool.name);
    const input =
      name === 'Bash' ? { command: `echo synrouter-step-${n}`, description: `Step ${n}` } : inputFromSchema(tool.input_schema);
    const content = [
      ...thinkingBlock(request, `Step ${n} of the task: ${name} is the tool for it.`, thinking),
      { type: 'text', text: `Step ${n}: calling ${name}.` },
      { type: 'tool_use', id: `toolu_sim_${n}`, name, input },
    ];
    reply = { content, stop_reason: 'tool_use', output_tokens: outputTokens(content) };
  } else {
    const last = lastToolResultText(request);
    const quote = last === undefined ? '' : ` Last tool result: ${Array.from(last).slice(0, 100).join('')}`;
    const content = [...thinkingBlock(request, `${done} tool calls ran; time to answer.`, thinking), { type: 'text', text: `Done after ${done} tool calls.${quote}` }];
    reply = { content, stop_reason: 'end_turn', output_tokens: outputTokens(content) };
  }
  return limitToMaxTokens(reply, request.max_tokens);
}

/** A reply longer than max_tokens is cut to a text block and stops with `max_tokens`. */
function limitToMaxTokens(reply: ScriptedReply, maxTokens: number | undefined): ScriptedReply {
  if (maxTokens === undefined || reply.output_tokens <= maxTokens) return reply;
  if (maxTokens === 0) return { content: [], stop_reason: 'max_tokens', output_tokens: 0 };
  let text = Array.from(reply.content.map((b) => (b.type === 'text' ? String(b.text) : '')).join(''));
  let content = [{ type: 'text', text: text.join('') }];
  while (text.length > 0 && tokensForJson(content) > maxTokens) {
    text = text.slice(0, -1);
    content = [{ type: 'text', text: text.join('') }];
  }
  return { content, stop_reason: 'max_tokens', output_tokens: maxTokens };
}
