/**
 * Anthropic Messages SSE events (protocols.md §1.5, already JSON-parsed) -> Responses API SSE frames
 * (§5.3): `event: <type>\ndata: {"type":<type>,"sequence_number":n,...}\n\n`, as a reducer.
 *
 * Order (§5.3): response.created, response.in_progress; per text block output_item.added(message),
 * content_part.added, output_text.delta*, output_text.done, content_part.done, output_item.done; per
 * tool_use output_item.added(function_call), function_call_arguments.delta*, .done, output_item.done
 * (custom tools: custom_tool_call_input.delta/.done, sent whole at the end because the upstream
 * streams them wrapped in {"input": ...} JSON); then response.completed or response.incomplete with
 * the full response and usage. Per thinking / redacted_thinking block (response.ts reasoningItem):
 * output_item.added(reasoning, summary []), then, if Claude shows thinking text,
 * reasoning_summary_part.added, reasoning_summary_text.delta*, reasoning_summary_text.done,
 * reasoning_summary_part.done; its output_item.done carries encrypted_content, built from the
 * thinking deltas and the signature_delta once the block has stopped (the added event has none: an
 * unfinished carrier must never reach a client). An answer that starts with text or a tool call to a
 * request with thinking on first gets the reasoning item that says it had no thinking
 * (response.ts noThinkingItem: added and done at once). An upstream error, or an end without message_stop, gives
 * response.failed. Ids come from opts.idBase (see response.ts), so output is deterministic.
 *
 * The last item's output_item.done is held until the next block starts or message_stop: only then
 * is it known whether max_tokens cut it off, and its status must match the final response.
 */
import { writeSse } from '../../sse/sse-parser.ts';
import { mergeAnthropicUsage, responsesUsageFromAnthropic } from '../shared/convert-usage.ts';
import type { AnthropicUsage, ContentBlock, ErrorObject, StopReason, StreamEvent } from '../../protocols/anthropic/wire.ts';
import type { ItemStatus, OutputItem, OutputText, ResponseObject } from '../shared/wire-openai-responses.ts';
import { responseError } from './errors.ts';
import type { ToolNameMap } from './tools.ts';
import {
  ANSWER_BLOCKS, lastItemStatus, mapStatus, messageItemId, noThinkingItem, opensWithoutThinking, reasoningItem, reasoningItemId, responseId, toolCallItem,
} from './response.ts';
import type { CarriedBlock } from './reasoning.ts';

export interface StreamOptions {
  /** Unix seconds, from the caller's clock. */
  createdAt: number;
  /** The model name the client asked for. */
  model: string;
  /** From translateRequest. */
  toolNameMap: ToolNameMap;
  /** Id base shared with response.ts. */
  idBase: string;
  /** The upstream request had thinking on (response.ts noThinkingItem). */
  thinking?: boolean;
}

type Block =
  | { readonly kind: 'text'; readonly outputIndex: number; readonly itemId: string; readonly text: string }
  | { readonly kind: 'tool'; readonly outputIndex: number; readonly callId: string; readonly name: string; readonly item: OutputItem; readonly args: string }
  /** `block` accumulates thinking_delta and signature_delta; `summaryOpen` once the summary part was announced. */
  | { readonly kind: 'reasoning'; readonly outputIndex: number; readonly itemId: string; readonly block: CarriedBlock; readonly summaryOpen: boolean }
  | { readonly kind: 'ignored' };

export interface State {
  readonly opts: StreamOptions;
  readonly phase: 'waiting' | 'streaming' | 'ended';
  /** sequence_number of the next frame. */
  readonly seq: number;
  readonly blocks: Readonly<Record<number, Block>>;
  readonly nextOutputIndex: number;
  /** Finished items by output index. */
  readonly items: Readonly<Record<number, OutputItem>>;
  /** A finished item whose output_item.done is held back (see the header). */
  readonly held: { readonly outputIndex: number; readonly item: OutputItem } | null;
  readonly usage: AnthropicUsage;
  readonly stopReason: StopReason | null;
  /** The first answer block (response.ts ANSWER_BLOCKS) has started. */
  readonly answered: boolean;
}

export interface Step { state: State; out: string[] }

export function initialState(opts: StreamOptions): State {
  return { opts, phase: 'waiting', seq: 0, blocks: {}, nextOutputIndex: 0, items: {}, held: null, usage: {}, stopReason: null, answered: false };
}

/** Appends one frame to `out`; returns the state with the next sequence number. */
function emit(s: State, out: string[], type: string, payload: Record<string, unknown>): State {
  out.push(writeSse(type, JSON.stringify({ type, sequence_number: s.seq, ...payload })));
  return { ...s, seq: s.seq + 1 };
}

export function reduce(state: State, event: StreamEvent): Step {
  if (state.phase === 'ended') return { state, out: [] };
  if (state.phase === 'waiting' && event.type !== 'message_start' && event.type !== 'ping' && event.type !== 'error') {
    return fail(state, { type: 'api_error', message: `The upstream stream sent ${event.type} before message_start.` });
  }
  const out: string[] = [];
  switch (event.type) {
    case 'message_start': {
      if (state.phase !== 'waiting') return { state, out };
      let s: State = { ...state, phase: 'streaming', usage: mergeAnthropicUsage({}, event.message.usage) };
      s = emit(s, out, 'response.created', { response: snapshot(s, 'in_progress') });
      s = emit(s, out, 'response.in_progress', { response: snapshot(s, 'in_progress') });
      return { state: s, out };
    }
    case 'content_block_start': {
      let s = state;
      if (!s.answered && ANSWER_BLOCKS.has(event.content_block.type)) {
        s = { ...s, answered: true };
        if (opensWithoutThinking(s.opts.thinking, event.content_block.type)) s = noThinking(s, out);
      }
      return { state: startBlock(s, out, event.index, event.content_block), out };
    }
    case 'content_block_delta': {
      const block = state.blocks[event.index];
      const d = event.delta;
      if (!block || block.kind === 'ignored') return { state, out };
      switch (d.type) {
        case 'text_delta': {
          if (block.kind !== 'text' || d.text === '') return { state, out };
          let s = withBlock(state, event.index, { ...block, text: block.text + d.text });
          s = emit(s, out, 'response.output_text.delta', { item_id: block.itemId, output_index: block.outputIndex, content_index: 0, delta: d.text, logprobs: [] });
          return { state: s, out };
        }
        case 'input_json_delta': {
          if (block.kind !== 'tool' || d.partial_json === '') return { state, out };
          let s = withBlock(state, event.index, { ...block, args: block.args + d.partial_json });
          if (block.item.type === 'function_call') s = emit(s, out, 'response.function_call_arguments.delta', { item_id: block.item.id, output_index: block.outputIndex, delta: d.partial_json });
          return { state: s, out };
        }
        case 'thinking_delta': {
          if (block.kind !== 'reasoning' || block.block.type !== 'thinking' || typeof d.thinking !== 'string' || d.thinking === '') return { state, out };
          const s = summaryDelta(state, out, event.index, block, d.thinking);
          return { state: s, out };
        }
        case 'signature_delta': {
          if (block.kind !== 'reasoning' || block.block.type !== 'thinking' || typeof d.signature !== 'string') return { state, out };
          return { state: withBlock(state, event.index, { ...block, block: { ...block.block, signature: block.block.signature + d.signature } }), out };
        }
        case 'citations_delta':
          return { state, out };
        default: {
          const _exhaustive: never = d;
          void _exhaustive;
          return { state, out };
        }
      }
    }
    case 'content_block_stop':
      return { state: stopBlock(state, out, event.index), out };
    case 'message_delta':
      return { state: { ...state, stopReason: event.delta?.stop_reason ?? state.stopReason, usage: mergeAnthropicUsage(state.usage, event.usage) }, out };
    case 'message_stop': {
      const { status, incomplete_details } = mapStatus(state.stopReason);
      let s = releaseHeld(state, out, lastItemStatus(status));
      const response: ResponseObject = { ...snapshot(s, status), incomplete_details, usage: responsesUsageFromAnthropic(s.usage) };
      s = emit(s, out, status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response });
      return { state: { ...s, phase: 'ended' }, out };
    }
    case 'ping':
      return { state, out };
    case 'error':
      return fail(state, event.error);
    default: {
      const _exhaustive: never = event;
      void _exhaustive;
      return { state, out };
    }
  }
}

/** The upstream stream ended: without message_stop the client gets response.failed, never a completed response that is cut. */
export function finish(state: State): string[] {
  if (state.phase === 'ended') return [];
  return fail(state, { type: 'api_error', message: 'The upstream stream ended before the response was complete.' }).out;
}

function startBlock(state: State, out: string[], index: number, cb: ContentBlock): State {
  switch (cb.type) {
    case 'text': {
      let s = releaseHeld(state, out, 'completed');
      const outputIndex = s.nextOutputIndex;
      const itemId = messageItemId(s.opts.idBase, outputIndex);
      s = { ...withBlock(s, index, { kind: 'text', outputIndex, itemId, text: cb.text ?? '' }), nextOutputIndex: outputIndex + 1 };
      s = emit(s, out, 'response.output_item.added', { output_index: outputIndex, item: { id: itemId, type: 'message', status: 'in_progress', content: [], role: 'assistant' } });
      s = emit(s, out, 'response.content_part.added', { item_id: itemId, output_index: outputIndex, content_index: 0, part: outputText('') });
      if (cb.text) s = emit(s, out, 'response.output_text.delta', { item_id: itemId, output_index: outputIndex, content_index: 0, delta: cb.text, logprobs: [] });
      return s;
    }
    case 'tool_use': {
      let s = releaseHeld(state, out, 'completed');
      const outputIndex = s.nextOutputIndex;
      const item = toolCallItem({ idBase: s.opts.idBase, outputIndex, callId: cb.id, name: cb.name, args: '', map: s.opts.toolNameMap, status: 'in_progress' });
      s = { ...withBlock(s, index, { kind: 'tool', outputIndex, callId: cb.id, name: cb.name, item, args: '' }), nextOutputIndex: outputIndex + 1 };
      return emit(s, out, 'response.output_item.added', { output_index: outputIndex, item });
    }
    case 'thinking':
    case 'redacted_thinking': {
      let s = releaseHeld(state, out, 'completed');
      const outputIndex = s.nextOutputIndex;
      const itemId = reasoningItemId(s.opts.idBase, outputIndex);
      const str = (v: unknown): string => (typeof v === 'string' ? v : '');
      // Both usually start empty (§1.5); whatever the start already holds counts as the first delta.
      const block: CarriedBlock = cb.type === 'thinking' ? { type: 'thinking', thinking: '', signature: str(cb.signature) } : { type: 'redacted_thinking', data: str(cb.data) };
      s = { ...withBlock(s, index, { kind: 'reasoning', outputIndex, itemId, block, summaryOpen: false }), nextOutputIndex: outputIndex + 1 };
      s = emit(s, out, 'response.output_item.added', { output_index: outputIndex, item: { type: 'reasoning', id: itemId, summary: [], status: 'in_progress' } });
      const first = cb.type === 'thinking' ? str(cb.thinking) : '';
      if (first !== '') s = summaryDelta(s, out, index, s.blocks[index] as Extract<Block, { kind: 'reasoning' }>, first);
      return s;
    }
    case 'server_tool_use':
    case 'web_search_tool_result':
    case 'web_fetch_tool_result':
    case 'code_execution_tool_result':
    case 'bash_code_execution_tool_result':
    case 'text_editor_code_execution_tool_result':
    case 'tool_search_tool_result':
    case 'container_upload':
      return withBlock(state, index, { kind: 'ignored' });
    default: {
      const _exhaustive: never = cb;
      void _exhaustive;
      return withBlock(state, index, { kind: 'ignored' });
    }
  }
}

function stopBlock(state: State, out: string[], index: number): State {
  const block = state.blocks[index];
  if (!block || block.kind === 'ignored') return state;
  let s = state;
  if (block.kind === 'text') {
    const common = { item_id: block.itemId, output_index: block.outputIndex, content_index: 0 };
    s = emit(s, out, 'response.output_text.done', { ...common, text: block.text, logprobs: [] });
    s = emit(s, out, 'response.content_part.done', { ...common, part: outputText(block.text) });
    const item: OutputItem = { type: 'message', id: block.itemId, role: 'assistant', status: 'completed', content: [outputText(block.text)] };
    return { ...withBlock(s, index, { kind: 'ignored' }), held: { outputIndex: block.outputIndex, item } };
  }
  if (block.kind === 'reasoning') {
    const common = { item_id: block.itemId, output_index: block.outputIndex, summary_index: 0 };
    if (block.summaryOpen && block.block.type === 'thinking') {
      s = emit(s, out, 'response.reasoning_summary_text.done', { ...common, text: block.block.thinking });
      s = emit(s, out, 'response.reasoning_summary_part.done', { ...common, part: { type: 'summary_text', text: block.block.thinking } });
    }
    const item = reasoningItem({ idBase: s.opts.idBase, outputIndex: block.outputIndex, block: block.block, status: 'completed' });
    return { ...withBlock(s, index, { kind: 'ignored' }), held: { outputIndex: block.outputIndex, item } };
  }
  // A tool without arguments streams no delta; "{}" keeps deltas, .done and the item in agreement and parseable.
  const args = block.args === '' ? '{}' : block.args;
  const item = toolCallItem({ idBase: s.opts.idBase, outputIndex: block.outputIndex, callId: block.callId, name: block.name, args, map: s.opts.toolNameMap, status: 'completed' });
  const common = { item_id: item.id, output_index: block.outputIndex };
  if (item.type === 'custom_tool_call') {
    s = emit(s, out, 'response.custom_tool_call_input.delta', { ...common, delta: item.input });
    s = emit(s, out, 'response.custom_tool_call_input.done', { ...common, input: item.input });
  } else {
    if (block.args === '') s = emit(s, out, 'response.function_call_arguments.delta', { ...common, delta: args });
    s = emit(s, out, 'response.function_call_arguments.done', { ...common, name: item.type === 'function_call' ? item.name : '', arguments: args });
  }
  return { ...withBlock(s, index, { kind: 'ignored' }), held: { outputIndex: block.outputIndex, item } };
}

/** The no-thinking reasoning item, complete at once (nothing is streamed into it). */
function noThinking(state: State, out: string[]): State {
  const outputIndex = state.nextOutputIndex;
  const item = noThinkingItem({ idBase: state.opts.idBase, outputIndex });
  let s: State = { ...state, nextOutputIndex: outputIndex + 1 };
  s = emit(s, out, 'response.output_item.added', { output_index: outputIndex, item: { type: 'reasoning', id: item.id, summary: [], status: 'in_progress' } });
  s = emit(s, out, 'response.output_item.done', { output_index: outputIndex, item });
  return { ...s, items: { ...s.items, [outputIndex]: item } };
}

/** Thinking text: announces the summary part on the first piece, then streams it as summary text. */
function summaryDelta(state: State, out: string[], index: number, block: Extract<Block, { kind: 'reasoning' }>, text: string): State {
  if (block.block.type !== 'thinking') return state;
  const common = { item_id: block.itemId, output_index: block.outputIndex, summary_index: 0 };
  let s = withBlock(state, index, { ...block, summaryOpen: true, block: { ...block.block, thinking: block.block.thinking + text } });
  if (!block.summaryOpen) s = emit(s, out, 'response.reasoning_summary_part.added', { ...common, part: { type: 'summary_text', text: '' } });
  return emit(s, out, 'response.reasoning_summary_text.delta', { ...common, delta: text });
}

/** Writes the held output_item.done with its final status and files the item. */
function releaseHeld(state: State, out: string[], status: ItemStatus): State {
  if (!state.held) return state;
  const { outputIndex } = state.held;
  const item: OutputItem = { ...state.held.item, status };
  const s = emit({ ...state, held: null, items: { ...state.items, [outputIndex]: item } }, out, 'response.output_item.done', { output_index: outputIndex, item });
  return s;
}

function fail(state: State, err: ErrorObject): Step {
  const out: string[] = [];
  const response: ResponseObject = { ...snapshot(state, 'failed'), error: responseError(err) };
  const s = emit(state, out, 'response.failed', { response });
  return { state: { ...s, phase: 'ended' }, out };
}

/** The Response as it stands: finished items in output order, usage only on the terminal events. */
function snapshot(s: State, status: ResponseObject['status']): ResponseObject {
  const output = Object.keys(s.items).map(Number).sort((a, b) => a - b).map((k) => s.items[k]!);
  return { id: responseId(s.opts.idBase), object: 'response', created_at: s.opts.createdAt, status, error: null, incomplete_details: null, model: s.opts.model, output, usage: null };
}

function outputText(text: string): OutputText {
  return { type: 'output_text', text, annotations: [] };
}

function withBlock(state: State, index: number, block: Block): State {
  return { ...state, blocks: { ...state.blocks, [index]: block } };
}
