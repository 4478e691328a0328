/**
 * OpenAI-compatible chat.completion.chunk stream (protocols.md §4.3; parsed JSON, plus the `[DONE]`
 * sentinel) -> Anthropic SSE frames with `event:` lines (§1.5), as a reducer.
 *
 * Order: message_start; per text run or tool call content_block_start, content_block_delta*,
 * content_block_stop (a new tool-call index, or text after a tool call, closes the open block:
 * Anthropic blocks do not interleave); message_delta {stop_reason, usage}; message_stop.
 *
 * Usage: a chat stream reports usage only in its last chunk (§4.3, requested by request.ts with
 * stream_options.include_usage), after the content. message_start therefore carries zeros and the
 * real numbers go in message_delta.usage, all four fields, which Anthropic defines as cumulative and
 * clients let overwrite message_start's (the SDK's MessageStream copies every non-null field).
 */
import { writeSse } from '../../sse/sse-parser.ts';
import { anthropicUsageFromChat } from '../shared/convert-usage.ts';
import type { ErrorObject } from '../shared/wire-anthropic.ts';
import type { ChatCompletionChunk, ChatUsage, FinishReason, OpenAIErrorObject, ToolCallDelta } from '../shared/wire-openai-chat.ts';
import { errorFrame, streamError } from './errors.ts';
import { mapFinishReason, toolUseId } from './response.ts';

/** The data of the frame that ends an OpenAI stream. */
export const DONE = '[DONE]';

/** What the upstream sends: chunks, an in-band error object, or the `[DONE]` sentinel. */
export type ChatStreamEvent = ChatCompletionChunk | { error: OpenAIErrorObject } | typeof DONE;

/** SSE frame data -> event. Throws SyntaxError on data that is not JSON: the caller treats that as an abrupt end (finish). */
export function parseChatFrame(data: string): ChatStreamEvent {
  return data.trim() === DONE ? DONE : (JSON.parse(data) as ChatStreamEvent);
}

export interface StreamOptions {
  /** The model name the client asked for. */
  model: string;
}

type Open = { readonly kind: 'text'; readonly index: number } | { readonly kind: 'tool'; readonly index: number; readonly toolIndex: number } | null;

/** One chat tool call, by its chat `index`. `blockIndex` null = waiting for its name before the block can start. */
interface ToolCall { readonly blockIndex: number | null; readonly id: string | null; readonly name: string | null; readonly pending: string }

export interface State {
  readonly opts: StreamOptions;
  readonly phase: 'waiting' | 'streaming' | 'ended';
  readonly completionId: string;
  readonly nextIndex: number;
  readonly open: Open;
  readonly tools: Readonly<Record<number, ToolCall>>;
  readonly finishReason: FinishReason | null;
  readonly sawFinish: boolean;
  readonly usage: ChatUsage | null;
  /**
   * Argument fragments that arrived for a tool call whose block was already closed (a provider
   * interleaving parallel calls). They cannot be delivered in Anthropic's sequential block order;
   * counted here so the caller can log them.
   */
  readonly droppedFragments: number;
}

export interface Step { state: State; out: string[] }

export function initialState(opts: StreamOptions): State {
  return { opts, phase: 'waiting', completionId: '', nextIndex: 0, open: null, tools: {}, finishReason: null, sawFinish: false, usage: null, droppedFragments: 0 };
}

type Kind = { kind: 'done' } | { kind: 'error'; error: OpenAIErrorObject } | { kind: 'chunk'; chunk: ChatCompletionChunk };

function classify(ev: ChatStreamEvent): Kind {
  if (ev === DONE) return { kind: 'done' };
  if ('error' in ev && ev.error && typeof ev.error === 'object') return { kind: 'error', error: ev.error as OpenAIErrorObject };
  return { kind: 'chunk', chunk: ev as ChatCompletionChunk };
}

export function reduce(state: State, event: ChatStreamEvent): Step {
  if (state.phase === 'ended') return { state, out: [] };
  const k = classify(event);
  switch (k.kind) {
    case 'done':
      if (state.phase === 'waiting') return fail(state, { type: 'api_error', message: 'The upstream stream ended without a completion.' });
      return end(state);
    case 'error':
      return fail(state, streamError(k.error));
    case 'chunk':
      return onChunk(state, k.chunk);
    default: {
      const _exhaustive: never = k;
      void _exhaustive;
      return { state, out: [] };
    }
  }
}

/**
 * The upstream stream ended. After a finish_reason a missing [DONE] is forgiven (some providers
 * close without it); before one, the answer is cut and the client gets an error event.
 */
export function finish(state: State): string[] {
  if (state.phase === 'ended') return [];
  if (state.phase === 'streaming' && state.sawFinish) return end(state).out;
  return fail(state, { type: 'api_error', message: 'The upstream stream ended before the completion finished.' }).out;
}

function onChunk(state: State, chunk: ChatCompletionChunk): Step {
  const out: string[] = [];
  let s = state;
  if (s.phase === 'waiting') {
    s = { ...s, phase: 'streaming', completionId: String(chunk.id ?? '') };
    out.push(frame('message_start', {
      type: 'message_start',
      message: {
        id: `msg_${s.completionId}`, type: 'message', role: 'assistant', model: s.opts.model, content: [], stop_reason: null, stop_sequence: null,
        usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
      },
    }));
  }
  // n > 1 is never requested; only choice 0 is read.
  const choice = Array.isArray(chunk.choices) ? chunk.choices.find((c) => (c?.index ?? 0) === 0) : undefined;
  if (choice && !s.sawFinish) {
    const d = choice.delta ?? {};
    // A refusal is what the model said instead of an answer; Anthropic has only text for it.
    for (const text of [d.content, d.refusal]) if (typeof text === 'string' && text !== '') s = appendText(s, out, text);
    for (const tc of d.tool_calls ?? []) s = onToolDelta(s, out, tc);
    if (choice.finish_reason) s = closeOpen({ ...s, finishReason: choice.finish_reason, sawFinish: true }, out);
  }
  if (chunk.usage) s = { ...s, usage: chunk.usage };
  return { state: s, out };
}

function appendText(state: State, out: string[], text: string): State {
  let s = state;
  if (s.open?.kind !== 'text') {
    s = closeOpen(s, out);
    const index = s.nextIndex;
    out.push(frame('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
    s = { ...s, open: { kind: 'text', index }, nextIndex: index + 1 };
  }
  out.push(frame('content_block_delta', { type: 'content_block_delta', index: s.open!.index, delta: { type: 'text_delta', text } }));
  return s;
}

function onToolDelta(state: State, out: string[], tc: ToolCallDelta): State {
  const toolIndex = typeof tc?.index === 'number' ? tc.index : 0;
  const args = tc.function?.arguments ?? '';
  let known: ToolCall | undefined = state.tools[toolIndex];
  // Some providers number every call 0 and tell them apart by id only: a new id is a new call.
  if (known && known.blockIndex !== null && tc.id && known.id && tc.id !== known.id) known = undefined;
  if (known && known.blockIndex !== null) {
    if (args === '') return state;
    if (state.open?.kind === 'tool' && state.open.toolIndex === toolIndex) {
      out.push(frame('content_block_delta', { type: 'content_block_delta', index: known.blockIndex, delta: { type: 'input_json_delta', partial_json: args } }));
      return state;
    }
    return { ...state, droppedFragments: state.droppedFragments + 1 };
  }
  // First fragment (or a pending call): id and name normally come together in the first one (§4.3).
  const call: ToolCall = { blockIndex: null, id: tc.id || known?.id || null, name: tc.function?.name || known?.name || null, pending: (known?.pending ?? '') + args };
  if (call.name === null) return withTool(state, toolIndex, call);
  let s = closeOpen(state, out);
  const index = s.nextIndex;
  const id = toolUseId(call.id, s.completionId, toolIndex);
  out.push(frame('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id, name: call.name, input: {} } }));
  if (call.pending !== '') out.push(frame('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: call.pending } }));
  s = withTool(s, toolIndex, { ...call, blockIndex: index, pending: '' });
  return { ...s, open: { kind: 'tool', index, toolIndex }, nextIndex: index + 1 };
}

function closeOpen(state: State, out: string[]): State {
  if (!state.open) return state;
  out.push(frame('content_block_stop', { type: 'content_block_stop', index: state.open.index }));
  return { ...state, open: null };
}

function end(state: State): Step {
  const out: string[] = [];
  const s = closeOpen(state, out);
  const sawTools = Object.values(s.tools).some((t) => t.blockIndex !== null);
  out.push(frame('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: mapFinishReason(s.finishReason, sawTools), stop_sequence: null },
    usage: anthropicUsageFromChat(s.usage),
  }));
  out.push(frame('message_stop', { type: 'message_stop' }));
  return { state: { ...s, phase: 'ended' }, out };
}

function fail(state: State, err: ErrorObject): Step {
  return { state: { ...state, phase: 'ended' }, out: [errorFrame(err)] };
}

function withTool(state: State, toolIndex: number, call: ToolCall): State {
  return { ...state, tools: { ...state.tools, [toolIndex]: call } };
}

function frame(event: string, data: unknown): string {
  return writeSse(event, JSON.stringify(data));
}
