/**
 * OpenAI-compatible chat.completion.chunk stream (protocols.md §4.3; parsed JSON, plus the `[DONE]`
 * sentinel) -> Anthropic SSE frames with `event:` lines (§1.5), as a reducer.
 *
 * Order: message_start; per text run or tool call content_block_start, content_block_delta*,
 * content_block_stop; message_delta {stop_reason, usage}; message_stop. Anthropic blocks do not
 * interleave, chat tool calls may (a provider can send fragments of call 0 after call 1 began): so
 * text streams live until the first tool call, that call streams live, and whatever comes after it
 * (other calls, more text) is held and emitted whole, in order of first appearance, at finish_reason.
 * No argument fragment is ever lost; only calls after the first arrive at the end instead of live.
 *
 * Usage: a chat stream reports usage only in its last chunk (§4.3, requested by request.ts with
 * stream_options.include_usage), after the content. message_start therefore carries zeros and the
 * real numbers go in message_delta.usage, all four fields, which Anthropic defines as cumulative and
 * clients let overwrite message_start's (the SDK's MessageStream copies every non-null field).
 */
import { writeSse } from '../../sse/sse-parser.ts';
import { anthropicUsageFromChat } from '../shared/convert-usage.ts';
import type { ErrorObject } from '../../protocols/anthropic/wire.ts';
import type { ChatCompletionChunk, ChatUsage, FinishReason, OpenAIErrorObject, ToolCallDelta } from '../shared/wire-openai-chat.ts';
import { errorFrame, streamError } from './errors.ts';
import { mapFinishReason, toolUseId } from './response.ts';
import { DONE, type ChatStreamEvent } from '../../protocols/openai/chat-stream.ts';

export interface StreamOptions {
  /** The model name the client asked for. */
  model: string;
}

type Open = { readonly kind: 'text'; readonly index: number } | { readonly kind: 'tool'; readonly index: number; readonly toolIndex: number } | null;

/**
 * One chat tool call. `blockIndex` is set once its block started live; until then (waiting for its
 * name, or held because another call is streaming) its arguments gather in `pending`.
 */
interface ToolCall { readonly index: number; readonly blockIndex: number | null; readonly id: string | null; readonly name: string | null; readonly pending: string }

/** Content held until finish_reason, in order of first appearance: text runs and tool calls (by position in `calls`). */
type Held = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'tool'; readonly call: number };

export interface State {
  readonly opts: StreamOptions;
  readonly phase: 'waiting' | 'streaming' | 'ended';
  readonly completionId: string;
  readonly nextIndex: number;
  readonly open: Open;
  /** Every tool call seen, in order of first appearance. */
  readonly calls: readonly ToolCall[];
  /** Chat `index` -> position in `calls` of the call that index currently names. */
  readonly byIndex: Readonly<Record<number, number>>;
  /** Set once the first tool call's block has started: from then on, other content is held. */
  readonly holding: boolean;
  readonly held: readonly Held[];
  readonly finishReason: FinishReason | null;
  readonly sawFinish: boolean;
  readonly usage: ChatUsage | null;
}

export interface Step { state: State; out: string[] }

export function initialState(opts: StreamOptions): State {
  return { opts, phase: 'waiting', completionId: '', nextIndex: 0, open: null, calls: [], byIndex: {}, holding: false, held: [], finishReason: null, sawFinish: false, usage: null };
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
    for (const text of [d.content, d.refusal]) if (typeof text === 'string' && text !== '') s = s.holding ? holdText(s, text) : appendText(s, out, text);
    for (const tc of d.tool_calls ?? []) s = onToolDelta(s, out, tc);
    if (choice.finish_reason) s = releaseHeld(closeOpen({ ...s, finishReason: choice.finish_reason, sawFinish: true }, out), out);
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

function holdText(state: State, text: string): State {
  const last = state.held.at(-1);
  if (last?.kind === 'text') return { ...state, held: [...state.held.slice(0, -1), { kind: 'text', text: last.text + text }] };
  return { ...state, held: [...state.held, { kind: 'text', text }] };
}

function onToolDelta(state: State, out: string[], tc: ToolCallDelta): State {
  const toolIndex = typeof tc?.index === 'number' ? tc.index : 0;
  const args = tc.function?.arguments ?? '';
  let at: number | undefined = state.byIndex[toolIndex];
  const known = at === undefined ? undefined : state.calls[at];
  // Some providers number every call 0 and tell them apart by id only: a new id is a new call.
  if (known && tc.id && known.id && tc.id !== known.id) at = undefined;
  if (at === undefined) {
    const call: ToolCall = { index: toolIndex, blockIndex: null, id: tc.id || null, name: tc.function?.name || null, pending: args };
    const s = { ...state, calls: [...state.calls, call], byIndex: { ...state.byIndex, [toolIndex]: state.calls.length } };
    if (s.holding) return { ...s, held: [...s.held, { kind: 'tool', call: state.calls.length }] };
    return call.name === null ? s : startLive(s, out, state.calls.length);
  }
  const call = state.calls[at]!;
  if (call.blockIndex !== null) {
    // The live call: its fragments go out as they come.
    if (args !== '') out.push(frame('content_block_delta', { type: 'content_block_delta', index: call.blockIndex, delta: { type: 'input_json_delta', partial_json: args } }));
    return state;
  }
  // A call waiting for its name (id and name normally come in the first fragment, §4.3), or held.
  const next: ToolCall = { ...call, id: call.id || tc.id || null, name: call.name || tc.function?.name || null, pending: call.pending + args };
  const s = withCall(state, at, next);
  return !s.holding && next.name !== null ? startLive(s, out, at) : s;
}

/** The first tool call with a name starts its block now; everything after it is held. */
function startLive(state: State, out: string[], at: number): State {
  let s = closeOpen(state, out);
  const call = s.calls[at]!;
  const index = s.nextIndex;
  out.push(frame('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: toolUseId(call.id, s.completionId, call.index), name: call.name, input: {} } }));
  if (call.pending !== '') out.push(frame('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: call.pending } }));
  s = withCall(s, at, { ...call, blockIndex: index, pending: '' });
  // Calls seen before this one that are still waiting for a name are held, in order.
  const waiting: Held[] = s.calls.flatMap((c, i) => (i !== at && c.blockIndex === null ? [{ kind: 'tool' as const, call: i }] : []));
  return { ...s, open: { kind: 'tool', index, toolIndex: call.index }, nextIndex: index + 1, holding: true, held: [...waiting, ...s.held] };
}

/** At finish_reason: the held text runs and tool calls, each as one complete block. */
function releaseHeld(state: State, out: string[]): State {
  let next = state.nextIndex;
  for (const h of state.held) {
    if (h.kind === 'text') {
      out.push(frame('content_block_start', { type: 'content_block_start', index: next, content_block: { type: 'text', text: '' } }));
      out.push(frame('content_block_delta', { type: 'content_block_delta', index: next, delta: { type: 'text_delta', text: h.text } }));
      out.push(frame('content_block_stop', { type: 'content_block_stop', index: next++ }));
      continue;
    }
    const call = state.calls[h.call]!;
    if (call.name === null) continue; // a call that never got a name cannot become a tool_use
    out.push(frame('content_block_start', { type: 'content_block_start', index: next, content_block: { type: 'tool_use', id: toolUseId(call.id, state.completionId, call.index), name: call.name, input: {} } }));
    if (call.pending !== '') out.push(frame('content_block_delta', { type: 'content_block_delta', index: next, delta: { type: 'input_json_delta', partial_json: call.pending } }));
    out.push(frame('content_block_stop', { type: 'content_block_stop', index: next++ }));
  }
  return { ...state, held: [], nextIndex: next };
}

function closeOpen(state: State, out: string[]): State {
  if (!state.open) return state;
  out.push(frame('content_block_stop', { type: 'content_block_stop', index: state.open.index }));
  return { ...state, open: null };
}

function end(state: State): Step {
  const out: string[] = [];
  const s = releaseHeld(closeOpen(state, out), out);
  const sawTools = s.calls.some((c) => c.name !== null);
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

function withCall(state: State, at: number, call: ToolCall): State {
  return { ...state, calls: state.calls.map((c, i) => (i === at ? call : c)) };
}

function frame(event: string, data: unknown): string {
  return writeSse(event, JSON.stringify(data));
}
