/**
 * Anthropic Messages SSE events (protocols.md §1.5, already JSON-parsed) -> chat.completion.chunk
 * frames (§4.3), as a reducer: `reduce(state, event)` returns the next state and the complete SSE
 * frames to write; `finish(state)` says what to write when the upstream stream ends.
 *
 * Output order: a first chunk with `delta.role`, content / reasoning_content / tool_calls deltas as
 * they come, one chunk with `finish_reason` at message_stop, the usage chunk (`choices: []`) when
 * the client asked for `stream_options.include_usage`, then `data: [DONE]`. Tool-call `index` counts
 * tool calls only (OpenAI numbers them that way), not Anthropic content blocks.
 */
import { writeSse } from '../../sse/sse-parser.ts';
import { chatUsageFromAnthropic, mergeAnthropicUsage } from '../shared/convert-usage.ts';
import type { AnthropicUsage, ContentBlock, ErrorObject, StopReason, StreamEvent } from '../../protocols/anthropic/wire.ts';
import type { ChunkDelta, FinishReason } from '../shared/wire-openai-chat.ts';
import { streamErrorFrame } from './errors.ts';
import { mapStopReason } from './response.ts';

export interface StreamOptions {
  /** Unix seconds for every chunk's `created`. */
  created: number;
  /** The model name the client asked for. */
  model: string;
  /** The client sent `stream_options.include_usage: true`. */
  includeUsage: boolean;
}

type Block =
  | { readonly kind: 'text' }
  | { readonly kind: 'thinking' }
  | { readonly kind: 'tool'; readonly toolIndex: number; readonly argsSent: boolean }
  | { readonly kind: 'ignored' };

export interface State {
  readonly opts: StreamOptions;
  /** waiting: no message_start yet; ended: a terminal frame was written, everything after is ignored. */
  readonly phase: 'waiting' | 'streaming' | 'ended';
  readonly id: string;
  readonly blocks: Readonly<Record<number, Block>>;
  readonly toolCount: number;
  readonly usage: AnthropicUsage;
  readonly stopReason: StopReason | null;
}

export interface Step { state: State; out: string[] }

export function initialState(opts: StreamOptions): State {
  return { opts, phase: 'waiting', id: '', blocks: {}, toolCount: 0, usage: {}, stopReason: null };
}

const DONE_FRAME = writeSse(undefined, '[DONE]');

export function reduce(state: State, event: StreamEvent): Step {
  if (state.phase === 'ended') return { state, out: [] };
  if (state.phase === 'waiting' && event.type !== 'message_start' && event.type !== 'ping' && event.type !== 'error') {
    return fail(state, { type: 'api_error', message: `The upstream stream sent ${event.type} before message_start.` });
  }
  switch (event.type) {
    case 'message_start': {
      if (state.phase !== 'waiting') return { state, out: [] };
      const next: State = { ...state, phase: 'streaming', id: `chatcmpl-${event.message.id}`, usage: mergeAnthropicUsage({}, event.message.usage) };
      return { state: next, out: [chunk(next, { role: 'assistant', content: '' })] };
    }
    case 'content_block_start':
      return startBlock(state, event.index, event.content_block);
    case 'content_block_delta': {
      const block = state.blocks[event.index];
      if (!block) return { state, out: [] };
      const d = event.delta;
      switch (d.type) {
        case 'text_delta':
          return { state, out: block.kind === 'text' && d.text !== '' ? [chunk(state, { content: d.text })] : [] };
        case 'thinking_delta':
          return { state, out: block.kind === 'thinking' && d.thinking !== '' ? [chunk(state, { reasoning_content: d.thinking })] : [] };
        case 'input_json_delta': {
          if (block.kind !== 'tool' || d.partial_json === '') return { state, out: [] };
          const next = withBlock(state, event.index, { ...block, argsSent: true });
          return { state: next, out: [chunk(next, { tool_calls: [{ index: block.toolIndex, function: { arguments: d.partial_json } }] })] };
        }
        case 'signature_delta': // not the client's: Synrouter keeps the signed block (capture-thinking.ts)
        case 'citations_delta':
          return { state, out: [] };
        default: {
          const _exhaustive: never = d;
          void _exhaustive;
          return { state, out: [] };
        }
      }
    }
    case 'content_block_stop': {
      const block = state.blocks[event.index];
      // A tool with no arguments streams no input_json_delta; clients JSON.parse the concatenation, so send "{}".
      if (block?.kind === 'tool' && !block.argsSent) {
        const next = withBlock(state, event.index, { ...block, argsSent: true });
        return { state: next, out: [chunk(next, { tool_calls: [{ index: block.toolIndex, function: { arguments: '{}' } }] })] };
      }
      return { state, out: [] };
    }
    case 'message_delta':
      // Usage in message_delta is cumulative: it overwrites (§1.5).
      return { state: { ...state, stopReason: event.delta?.stop_reason ?? state.stopReason, usage: mergeAnthropicUsage(state.usage, event.usage) }, out: [] };
    case 'message_stop': {
      const out = [chunk(state, {}, mapStopReason(state.stopReason))];
      if (state.opts.includeUsage) out.push(frame(state, [], chatUsageFromAnthropic(state.usage)));
      out.push(DONE_FRAME);
      return { state: { ...state, phase: 'ended' }, out };
    }
    case 'ping':
      return { state, out: [] };
    case 'error':
      return fail(state, event.error);
    default: {
      // New event types may appear (§1.5): ignored.
      const _exhaustive: never = event;
      void _exhaustive;
      return { state, out: [] };
    }
  }
}

/** The upstream stream ended. Without message_stop the client gets an error frame, never a [DONE] that would pass a cut answer off as complete. */
export function finish(state: State): string[] {
  if (state.phase === 'ended') return [];
  return [streamErrorFrame({ type: 'api_error', message: 'The upstream stream ended before the message was complete.' })];
}

function startBlock(state: State, index: number, cb: ContentBlock): Step {
  switch (cb.type) {
    case 'text': {
      const next = withBlock(state, index, { kind: 'text' });
      return { state: next, out: cb.text ? [chunk(next, { content: cb.text })] : [] };
    }
    case 'thinking': {
      const next = withBlock(state, index, { kind: 'thinking' });
      return { state: next, out: cb.thinking ? [chunk(next, { reasoning_content: cb.thinking })] : [] };
    }
    case 'tool_use': {
      const toolIndex = state.toolCount;
      const next: State = { ...withBlock(state, index, { kind: 'tool', toolIndex, argsSent: false }), toolCount: toolIndex + 1 };
      return { state: next, out: [chunk(next, { tool_calls: [{ index: toolIndex, id: cb.id, type: 'function', function: { name: cb.name, arguments: '' } }] })] };
    }
    case 'redacted_thinking':
    case 'server_tool_use':
    case 'web_search_tool_result':
    case 'web_fetch_tool_result':
    case 'code_execution_tool_result':
    case 'bash_code_execution_tool_result':
    case 'text_editor_code_execution_tool_result':
    case 'tool_search_tool_result':
    case 'container_upload':
      return { state: withBlock(state, index, { kind: 'ignored' }), out: [] };
    default: {
      const _exhaustive: never = cb;
      void _exhaustive;
      return { state: withBlock(state, index, { kind: 'ignored' }), out: [] };
    }
  }
}

function withBlock(state: State, index: number, block: Block): State {
  return { ...state, blocks: { ...state.blocks, [index]: block } };
}

function fail(state: State, err: ErrorObject): Step {
  return { state: { ...state, phase: 'ended' }, out: [streamErrorFrame(err)] };
}

function chunk(state: State, delta: ChunkDelta, finishReason: FinishReason | null = null): string {
  return frame(state, [{ index: 0, delta, logprobs: null, finish_reason: finishReason }]);
}

/** §4.3: with include_usage every chunk carries `usage: null` except the final usage chunk. */
function frame(state: State, choices: unknown[], usage: unknown = null): string {
  const body = { id: state.id, object: 'chat.completion.chunk', created: state.opts.created, model: state.opts.model, choices, ...(state.opts.includeUsage ? { usage } : {}) };
  return writeSse(undefined, JSON.stringify(body));
}
