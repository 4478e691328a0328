/**
 * Anthropic message (protocols.md §1.4) -> Responses API `Response` object (§5.3-5.4).
 *
 * One output item per Anthropic block, in order: text -> `message` item with one `output_text`
 * part; tool_use -> `function_call`, or `custom_tool_call` when the tool was a custom (free-form)
 * tool, with the namespace split back off (request.ts flattened `<ns>__<tool>`); thinking and
 * redacted_thinking -> one `reasoning` item each (reasoningItem below); an answer without either,
 * to a request that had thinking on, opens with a reasoning item that says so (noThinkingItem). Ids are
 * `<prefix>_<idBase>_<output index>`, so the JSON and the streamed form of one answer carry the same
 * ids and tests can be exact.
 */
import { responsesUsageFromAnthropic } from '../shared/convert-usage.ts';
import type { Message, StopReason } from '../../protocols/anthropic/wire.ts';
import type { ItemStatus, OutputItem, OutputReasoning, ResponseObject } from '../shared/wire-openai-responses.ts';
import type { ToolNameMap } from './tools.ts';
import { NO_THINKING, encodeThinking, replayable, type CarriedBlock } from './reasoning.ts';

export interface ResponseOptions {
  /** Unix seconds, from the caller's clock. */
  createdAt: number;
  /** The model name the client asked for. */
  model: string;
  /** From translateRequest: maps flattened tool names back. */
  toolNameMap: ToolNameMap;
  /** Makes the ids: resp_<idBase>, msg_<idBase>_<n>, fc_<idBase>_<n>, ctc_<idBase>_<n>, rs_<idBase>_<n>. */
  idBase: string;
  /** The upstream request had thinking on (noThinkingItem). */
  thinking?: boolean;
}

export function responseId(idBase: string): string {
  return `resp_${idBase}`;
}

export function messageItemId(idBase: string, outputIndex: number): string {
  return `msg_${idBase}_${outputIndex}`;
}

export function reasoningItemId(idBase: string, outputIndex: number): string {
  return `rs_${idBase}_${outputIndex}`;
}

/**
 * A thinking or redacted_thinking block -> a reasoning item (protocols.md §5.1 item shape):
 * - summary: the thinking text as one summary_text (what Claude shows of its thinking is already a
 *   summary on Claude 4 models); none for redacted thinking or display "omitted".
 * - encrypted_content: the block itself, for the client to send back (reasoning.ts); absent when
 *   the block cannot be replayed (no signature).
 * encrypted_content is sent whether or not the request listed "reasoning.encrypted_content" in
 * `include`: the field is optional in the SDK's ResponseReasoningItem, whose doc comment says it
 * "is populated by default for reasoning items returned by POST /v1/responses", so a client that did
 * not ask ignores it, and every client that replays its history statelessly (store:false, §5.2;
 * clients.md: Codex, Kilo, OpenClaw) needs it to keep Claude thinking in a tool loop. It also keeps
 * the translators free of request state: the same block always gives the same item.
 */
export function reasoningItem(o: { idBase: string; outputIndex: number; block: CarriedBlock; status: ItemStatus }): OutputReasoning {
  const b = o.block;
  const summary = b.type === 'thinking' && typeof b.thinking === 'string' && b.thinking !== '' ? [{ type: 'summary_text' as const, text: b.thinking }] : [];
  return { type: 'reasoning', id: reasoningItemId(o.idBase, o.outputIndex), summary, ...(replayable(b) ? { encrypted_content: encodeThinking([b]) } : {}), status: o.status };
}

/**
 * The reasoning item an answer without thinking opens with when the request had thinking on: no
 * summary, encrypted_content NO_THINKING. A client that replays its items sends it back before the
 * answer's other items, and the request translator then knows that the model, not the client, left
 * that turn without a thinking block, and keeps thinking on (reasoning.ts). Its shape is that of an
 * OpenAI reasoning item whose summary was not asked for.
 */
export function noThinkingItem(o: { idBase: string; outputIndex: number }): OutputReasoning {
  return { type: 'reasoning', id: reasoningItemId(o.idBase, o.outputIndex), summary: [], encrypted_content: NO_THINKING, status: 'completed' };
}

/** The blocks that become output items; the first of them decides whether the answer thought. */
export const ANSWER_BLOCKS: ReadonlySet<string> = new Set(['text', 'tool_use', 'thinking', 'redacted_thinking']);

/** Whether an answer whose first ANSWER_BLOCKS block is of `type` gets a noThinkingItem before it. */
export function opensWithoutThinking(thinking: boolean | undefined, type: string): boolean {
  return thinking === true && (type === 'text' || type === 'tool_use');
}

/**
 * max_tokens -> incomplete (max_output_tokens); model_context_window_exceeded -> the same, the output
 * was cut by a token limit; refusal -> incomplete (content_filter), the Responses counterpart of a
 * safety stop; everything else -> completed.
 */
export function mapStatus(reason: StopReason | null | undefined): Pick<ResponseObject, 'status' | 'incomplete_details'> {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
    case 'refusal':
      return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
    case 'end_turn':
    case 'stop_sequence':
    case 'tool_use':
    case 'pause_turn':
    case null:
    case undefined:
      return { status: 'completed', incomplete_details: null };
    default: {
      const _exhaustive: never = reason;
      void _exhaustive;
      return { status: 'completed', incomplete_details: null };
    }
  }
}

/**
 * A tool_use -> function_call or custom_tool_call item. `args` is the JSON text of the input (the
 * stream passes the exact concatenated deltas). A custom tool's input is the `input` string of
 * {input: string}; if the model produced anything else, the whole JSON text is passed, not dropped.
 */
export function toolCallItem(o: { idBase: string; outputIndex: number; callId: string; name: string; args: string; map: ToolNameMap; status: ItemStatus }): OutputItem {
  const origin = Object.hasOwn(o.map, o.name) ? o.map[o.name] : undefined;
  const name = origin?.name ?? o.name;
  const ns = origin?.namespace ? { namespace: origin.namespace } : {};
  if (origin?.kind === 'custom') {
    return { type: 'custom_tool_call', id: `ctc_${o.idBase}_${o.outputIndex}`, call_id: o.callId, name, ...ns, input: customInput(o.args), status: o.status };
  }
  return { type: 'function_call', id: `fc_${o.idBase}_${o.outputIndex}`, call_id: o.callId, name, ...ns, arguments: o.args, status: o.status };
}

function customInput(args: string): string {
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { input?: unknown }).input === 'string') return (parsed as { input: string }).input;
  } catch {
    // cut off (max_tokens) or malformed: the raw text is still the best the client can get
  }
  return args;
}

/** Whether the response's last item was cut off with it. */
export function lastItemStatus(status: ResponseObject['status']): ItemStatus {
  return status === 'incomplete' ? 'incomplete' : 'completed';
}

export function translateResponse(msg: Message, opts: ResponseOptions): ResponseObject {
  const { status, incomplete_details } = mapStatus(msg.stop_reason);
  const output: OutputItem[] = [];
  const first = (msg.content ?? []).find((b) => ANSWER_BLOCKS.has(b.type));
  if (first && opensWithoutThinking(opts.thinking, first.type)) output.push(noThinkingItem({ idBase: opts.idBase, outputIndex: 0 }));
  for (const block of msg.content ?? []) {
    const outputIndex = output.length;
    switch (block.type) {
      case 'text':
        output.push({ type: 'message', id: messageItemId(opts.idBase, outputIndex), role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: block.text, annotations: [] }] });
        break;
      case 'tool_use':
        output.push(toolCallItem({ idBase: opts.idBase, outputIndex, callId: block.id, name: block.name, args: JSON.stringify(block.input ?? {}), map: opts.toolNameMap, status: 'completed' }));
        break;
      case 'thinking':
      case 'redacted_thinking':
        output.push(reasoningItem({ idBase: opts.idBase, outputIndex, block, status: 'completed' }));
        break;
      case 'server_tool_use':
      case 'web_search_tool_result':
      case 'web_fetch_tool_result':
      case 'code_execution_tool_result':
      case 'bash_code_execution_tool_result':
      case 'text_editor_code_execution_tool_result':
      case 'tool_search_tool_result':
      case 'container_upload':
        break;
      default: {
        const _exhaustive: never = block;
        void _exhaustive;
      }
    }
  }
  const last = output[output.length - 1];
  if (last && status === 'incomplete') output[output.length - 1] = { ...last, status: 'incomplete' };
  return {
    id: responseId(opts.idBase),
    object: 'response',
    created_at: opts.createdAt,
    status,
    error: null,
    incomplete_details,
    model: opts.model,
    output,
    usage: responsesUsageFromAnthropic(msg.usage),
  };
}
