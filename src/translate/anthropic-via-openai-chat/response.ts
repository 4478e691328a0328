/**
 * chat.completion (protocols.md §4.3) -> Anthropic message (§1.4).
 *
 * Reasoning text some providers return (`reasoning_content`) is not turned into a thinking block: a
 * thinking block needs Anthropic's signature, and Claude Code sends thinking blocks back verbatim, so
 * an unsigned one would break the session the moment it reaches a real Anthropic model.
 */
import { isObject } from '../../json/json-object.ts';
import { anthropicUsageFromChat, type AnthropicUsageOut } from '../shared/convert-usage.ts';
import type { JsonObject } from '../../json/json-object.ts';
import type { StopReason } from '../../protocols/anthropic/wire.ts';
import type { ChatCompletion, CustomToolCall, FinishReason, FunctionToolCall } from '../shared/wire-openai-chat.ts';

export interface ResponseOptions {
  /** The model name the client asked for. */
  model: string;
}

export type OutBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: JsonObject };

export interface AnthropicMessageOut {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: OutBlock[];
  stop_reason: StopReason;
  stop_sequence: null;
  usage: AnthropicUsageOut;
}

/**
 * stop -> end_turn, length -> max_tokens, tool_calls/function_call -> tool_use, content_filter ->
 * refusal. Some providers say "stop" beside tool calls; Claude Code runs tools on `tool_use`, so a
 * turn with tool calls is tool_use whatever the provider said. `stop_sequence` stays null: OpenAI does
 * not report which stop sequence matched.
 */
export function mapFinishReason(reason: FinishReason | null | undefined, hasToolCalls: boolean): StopReason {
  if (hasToolCalls && (reason === 'stop' || reason === null || reason === undefined || reason === 'tool_calls' || reason === 'function_call')) return 'tool_use';
  switch (reason) {
    case 'stop':
    case null:
    case undefined:
      return 'end_turn';
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default: {
      const _exhaustive: never = reason;
      void _exhaustive;
      return 'end_turn';
    }
  }
}

/**
 * Tool-call arguments -> `input`. "" means no arguments. Arguments that do not parse to an object
 * are kept whole as {"_raw": "<arguments>"} rather than replaced by {}: Claude Code validates the
 * input against the tool's schema and returns the error to the model, which can then retry, whereas
 * {} would run the tool with no arguments or hide what the model actually sent.
 */
export function parseArguments(args: string | null | undefined): JsonObject {
  if (args === null || args === undefined || args.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(args);
    if (isObject(v)) return v;
  } catch {
    // fall through: keep the raw text
  }
  return { _raw: args };
}

/** Anthropic requires a tool_use id; a provider that gives none gets a stable one built from the completion id. */
export function toolUseId(id: string | null | undefined, completionId: string, index: number): string {
  return typeof id === 'string' && id !== '' ? id : `toolu_${completionId}_${index}`;
}

export function translateResponse(c: ChatCompletion, opts: ResponseOptions): AnthropicMessageOut {
  const choice = c.choices?.[0];
  const message = choice?.message;
  const content: OutBlock[] = [];
  if (typeof message?.content === 'string' && message.content !== '') content.push({ type: 'text', text: message.content });
  if (typeof message?.refusal === 'string' && message.refusal !== '') content.push({ type: 'text', text: message.refusal });
  const calls = message?.tool_calls ?? [];
  calls.forEach((call: FunctionToolCall | CustomToolCall, i) => {
    const id = toolUseId(call.id, c.id, i);
    if (call.type === 'custom') content.push({ type: 'tool_use', id, name: call.custom.name, input: { input: call.custom.input } });
    else content.push({ type: 'tool_use', id, name: call.function.name, input: parseArguments(call.function.arguments) });
  });
  return {
    id: `msg_${c.id}`,
    type: 'message',
    role: 'assistant',
    model: opts.model,
    content,
    stop_reason: mapFinishReason(choice?.finish_reason, calls.length > 0),
    stop_sequence: null,
    usage: anthropicUsageFromChat(c.usage),
  };
}
