// Scripted, deterministic replies, so an agent driven by the simulator loops through tool calls:
// while the request has tools and fewer than `rounds` assistant turns contain a tool_use, answer with a
// short text plus one tool_use (which tool, with what input: tool-calls.ts); then end the turn,
// quoting the last tool result so tests can see the loop ran. The same conversation always gets the same reply bytes. With thinking on, the reply
// opens with a signed thinking block when the model thinks (thinking.ts).

import { tokensForJson } from '../protocols/anthropic/canonical.ts';
import { isObject, type JsonObject } from '../json/json-object.ts';
import type { MessagesRequest } from '../protocols/anthropic/wire.ts';
import { answerThought, thinkingBlock, toolStepThought, type ThinkingMode } from './thinking.ts';
import { callArguments, pickTool, type OfferedTool, type ToolChoice } from './tool-calls.ts';

export { inputFromSchema } from './tool-calls.ts';

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

function outputTokens(content: JsonObject[]): number {
  return Math.max(1, tokensForJson(content));
}

/**
 * The client's tools as tool-calls.ts sees them. Anthropic-defined tools (`bash_…`, `text_editor_…`)
 * run on the client too and keep their names; server tools (`web_search_…`, ...) run at Anthropic
 * and are never called by a reply.
 */
function offeredTools(request: MessagesRequest): OfferedTool[] {
  return (request.tools ?? []).flatMap((t): OfferedTool[] => {
    if (typeof t.name !== 'string') return [];
    const type = typeof t.type === 'string' ? t.type : 'custom';
    if (type !== 'custom' && !/^(bash|text_editor)_/.test(type)) return [];
    return [{ kind: 'function', name: t.name, parameters: t.input_schema }];
  });
}

function toolChoice(request: MessagesRequest): ToolChoice {
  const choice = request.tool_choice;
  if (!isObject(choice)) return { mode: 'auto' };
  if (choice.type === 'none') return { mode: 'none' };
  if (choice.type === 'any') return { mode: 'required' };
  if (choice.type === 'tool' && typeof choice.name === 'string') return { mode: 'required', names: [choice.name] };
  return { mode: 'auto' };
}

/** The reply for a request; `rounds` is the number of tool rounds before the final answer, `thinking` when the model thinks. */
export function scriptReply(request: MessagesRequest, rounds: number = DEFAULT_ROUNDS, thinking: ThinkingMode = 'every-reply'): ScriptedReply {
  const done = countToolRounds(request);
  const choice = isObject(request.tool_choice) ? request.tool_choice.type : undefined;
  // tool_choice any/tool forces a call; none forbids one.
  const mustCall = choice === 'any' || choice === 'tool';
  const tool = pickTool(offeredTools(request), toolChoice(request));
  let reply: ScriptedReply;
  if (tool !== undefined && (done < rounds || mustCall)) {
    const n = done + 1;
    const name = tool.name;
    const input = callArguments(tool, n) as JsonObject;
    const content = [
      ...thinkingBlock(request, toolStepThought(n, name), thinking),
      { type: 'text', text: `Step ${n}: calling ${name}.` },
      { type: 'tool_use', id: `toolu_sim_${n}`, name, input },
    ];
    reply = { content, stop_reason: 'tool_use', output_tokens: outputTokens(content) };
  } else {
    const last = lastToolResultText(request);
    const quote = last === undefined ? '' : ` Last tool result: ${Array.from(last).slice(0, 100).join('')}`;
    const content = [...thinkingBlock(request, answerThought(done), thinking), { type: 'text', text: `Done after ${done} tool calls.${quote}` }];
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
