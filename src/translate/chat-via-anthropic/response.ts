/**
 * Anthropic message (protocols.md §1.4) -> chat.completion (§4.3).
 *
 * Thinking: thinking text is exposed as `message.reasoning_content`, the field OpenAI-compatible
 * reasoning providers use and that Kilo (AI SDK openai-compatible) and similar clients display;
 * clients that do not know it ignore it. Signatures and redacted thinking are not exposed: an OpenAI
 * client cannot send them back in a form Anthropic accepts, so Synrouter keeps them itself
 * (capture-thinking.ts) and the request translator puts them back.
 */
import { chatUsageFromAnthropic } from '../shared/convert-usage.ts';
import type { Message, StopReason } from '../../protocols/anthropic/wire.ts';
import type { ChatCompletion, FinishReason, FunctionToolCall } from '../shared/wire-openai-chat.ts';

export interface ResponseOptions {
  /** Unix seconds, from the caller's clock (translators read no clock). */
  created: number;
  /** The model name the client asked for. */
  model: string;
}

/**
 * end_turn/stop_sequence -> stop, max_tokens -> length, tool_use -> tool_calls, refusal -> content_filter.
 * model_context_window_exceeded (output cut because the context window filled up) -> length: the
 * output is truncated exactly as with max_tokens. pause_turn (server tools only) and null -> stop.
 */
export function mapStopReason(reason: StopReason | null | undefined): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
    case null:
    case undefined:
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default: {
      const _exhaustive: never = reason;
      void _exhaustive;
      return 'stop'; // a stop reason added after this was written
    }
  }
}

export function translateResponse(msg: Message, opts: ResponseOptions): ChatCompletion {
  let text = '';
  let reasoning = '';
  const toolCalls: FunctionToolCall[] = [];
  for (const block of msg.content ?? []) {
    switch (block.type) {
      // Blocks are pieces of one answer (citations split text into several), so they are joined as-is,
      // exactly as the streamed deltas concatenate.
      case 'text': text += block.text; break;
      case 'thinking': reasoning += block.thinking; break;
      case 'tool_use':
        toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
        break;
      case 'redacted_thinking':
      case 'server_tool_use':
      case 'web_search_tool_result':
      case 'web_fetch_tool_result':
      case 'code_execution_tool_result':
      case 'bash_code_execution_tool_result':
      case 'text_editor_code_execution_tool_result':
      case 'tool_search_tool_result':
      case 'container_upload':
        break; // nothing a chat client can show or replay (server tools are never requested on this route)
      default: {
        const _exhaustive: never = block;
        void _exhaustive;
      }
    }
  }
  return {
    id: `chatcmpl-${msg.id}`,
    object: 'chat.completion',
    created: opts.created,
    model: opts.model,
    choices: [{
      index: 0,
      message: {
        role: 'assistant',
        // OpenAI sends null content beside tool calls and a string otherwise.
        content: text === '' && toolCalls.length > 0 ? null : text,
        refusal: null,
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        ...(reasoning !== '' ? { reasoning_content: reasoning } : {}),
      },
      logprobs: null,
      finish_reason: mapStopReason(msg.stop_reason),
    }],
    usage: chatUsageFromAnthropic(msg.usage),
  };
}
