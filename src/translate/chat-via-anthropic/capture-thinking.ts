/**
 * The signed thinking of a Claude answer, kept for a chat.completions client, which has no field to
 * send it back in (issue 22: "Synrouter keeps the signed thinking blocks of each assistant turn in
 * the session state and puts them back when the client sends that turn back, matched by tool call
 * ids"). Pure: this reads an answer (the JSON message, or its SSE events one by one) and says what
 * to keep; the caller stores it (session/carried-thinking.ts), and request.ts puts it back.
 *
 * Why only answers with tool calls: Anthropic asks for the thinking block only in a tool loop ("a
 * final `assistant` message must start with a thinking block (preceeding the lastmost set of
 * `tool_use` and `tool_result` blocks)", protocols.md §1.3 and the API's 400), and the tool call ids
 * are what a chat client sends back unchanged (`tool_calls[].id` = Anthropic's `tool_use.id`), so
 * they name the turn. An answer without tool calls ends the loop; the next prompt needs no block.
 *
 * What is kept: every thinking / redacted_thinking block of the answer, in order, in the one key
 * order the Responses carrier uses too (responses-via-anthropic/reasoning.ts canonicalBlock), so the
 * block replayed on every later turn is the same bytes (§1.3: byte-for-byte; the cached prefix
 * depends on it, §2.3). A thinking block without its signature (a stream cut before signature_delta)
 * would be refused, so such an answer keeps nothing. An answer Claude gave without thinking while
 * thinking was on (adaptive thinking may skip it, §1.2) keeps an empty list: the turn then stays
 * thinking-on in its tool loop (reconcileThinking `skipped`), as the Responses `srant1:W10` does.
 */
import { canonicalBlock, replayable, type CarriedBlock } from '../responses-via-anthropic/reasoning.ts';
import type { ContentBlock, Message, StreamEvent } from '../../protocols/anthropic/wire.ts';

/** One assistant turn's thinking: `ids` are its tool calls, `blocks` empty when the model did not think. */
export interface CarriedTurn { ids: string[]; blocks: CarriedBlock[] }

type Piece = CarriedBlock | { type: 'tool_use'; id: string } | { type: 'other' };

/** What to keep of an answer made of `pieces`; `thinkingOn`: the request had thinking on. */
function carryOf(pieces: readonly Piece[], thinkingOn: boolean): CarriedTurn | undefined {
  const ids = pieces.flatMap((p) => (p.type === 'tool_use' ? [p.id] : []));
  if (ids.length === 0) return undefined;
  const blocks = pieces.filter((p): p is CarriedBlock => p.type === 'thinking' || p.type === 'redacted_thinking');
  if (!blocks.every(replayable)) return undefined;
  if (blocks.length === 0 && !thinkingOn) return undefined; // thinking off: nothing to carry, nothing to say
  return { ids, blocks: blocks.map(canonicalBlock) };
}

function pieceOf(b: ContentBlock): Piece {
  switch (b.type) {
    case 'thinking': return { type: 'thinking', thinking: b.thinking, signature: b.signature };
    case 'redacted_thinking': return { type: 'redacted_thinking', data: b.data };
    case 'tool_use': return { type: 'tool_use', id: b.id };
    default: return { type: 'other' };
  }
}

/** A JSON answer (protocols.md §1.4). */
export function captureFromMessage(msg: Message, thinkingOn: boolean): CarriedTurn | undefined {
  return carryOf((msg.content ?? []).map(pieceOf), thinkingOn);
}

/** A streamed answer so far: its blocks by index (§1.5), and whether message_stop arrived. */
export interface CaptureState { readonly pieces: Readonly<Record<number, Piece>>; readonly complete: boolean }

export const initialCapture = (): CaptureState => ({ pieces: {}, complete: false });

/**
 * One SSE event. A thinking block starts with empty text and signature, gets thinking_delta pieces
 * and one signature_delta (§1.5; with display "omitted", only the signature); both are joined.
 */
export function captureEvent(s: CaptureState, event: StreamEvent): CaptureState {
  if (s.complete) return s;
  switch (event.type) {
    case 'content_block_start':
      return { ...s, pieces: { ...s.pieces, [event.index]: pieceOf(event.content_block) } };
    case 'content_block_delta': {
      const p = s.pieces[event.index];
      const d = event.delta;
      if (p?.type !== 'thinking') return s;
      if (d.type === 'thinking_delta' && typeof d.thinking === 'string') return { ...s, pieces: { ...s.pieces, [event.index]: { ...p, thinking: p.thinking + d.thinking } } };
      if (d.type === 'signature_delta' && typeof d.signature === 'string') return { ...s, pieces: { ...s.pieces, [event.index]: { ...p, signature: p.signature + d.signature } } };
      return s;
    }
    case 'message_stop':
      return { ...s, complete: true };
    default:
      return s;
  }
}

/** What to keep of a streamed answer: only a complete one (a cut answer is not the client's to replay). */
export function capturedTurn(s: CaptureState, thinkingOn: boolean): CarriedTurn | undefined {
  if (!s.complete) return undefined;
  const pieces = Object.keys(s.pieces).map(Number).sort((a, b) => a - b).map((i) => s.pieces[i]!);
  return carryOf(pieces, thinkingOn);
}
