/**
 * Anthropic usage -> Usage, and a watcher that follows an SSE stream on the side.
 * Metering rule (protocols.md §1.5): take the input side from message_start, then overwrite every
 * field the last message_delta carries, because message_delta usage is cumulative and authoritative.
 */
import type { AnthropicUsage, StreamEvent } from '../protocols/anthropic/types.ts';
import { SseParser, type SseFrame } from '../sse/sse-parser.ts';
import type { Usage } from './usage.ts';

/**
 * protocols.md §8.6: with no `cache_creation` split, all cache writes count as 5m. A split that adds
 * up to less than the total (a field missing) leaves the rest as 5m: written tokens are never dropped.
 */
export function fromAnthropicUsage(u: AnthropicUsage | null | undefined): Usage {
  const creation = u?.cache_creation_input_tokens ?? 0;
  const w1h = u?.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  const split5m = u?.cache_creation?.ephemeral_5m_input_tokens ?? 0;
  const w5m = split5m + Math.max(0, creation - split5m - w1h);
  return { input: u?.input_tokens ?? 0, cacheRead: u?.cache_read_input_tokens ?? 0, cacheWrite5m: w5m, cacheWrite1h: w1h, output: u?.output_tokens ?? 0 };
}

function mergeUsage(into: AnthropicUsage, from: AnthropicUsage): void {
  for (const [k, v] of Object.entries(from)) if (v !== null && v !== undefined) (into as Record<string, unknown>)[k] = v;
}

export interface StreamSummary {
  usage: Usage;
  model: string | null;
  stopReason: string | null;
  /** An in-band `error` event, if the upstream sent one after its 200. */
  error: { type: string; message: string } | null;
  completed: boolean;
}

/** Events with no usage, model, stop reason or error in them (protocols.md §1.5), by SSE event name: the data's start. */
// Deltas first: the parser tries these in order on every frame, and most frames are deltas.
const UNMETERED = new Map(['content_block_delta', 'content_block_start', 'content_block_stop', 'ping'].map((t) => [t, `{"type":"${t}"`]));
/** The same frames, passed over on their bytes by the parser when spelled as Anthropic writes them (most frames of a stream). */
const SKIPPED = [...UNMETERED].map(([event, dataPrefix]) => ({ event, dataPrefix }));

/** Follows an Anthropic SSE stream chunk by chunk without altering or delaying it. */
export class AnthropicStreamWatcher {
  readonly #parser = new SseParser({ skip: SKIPPED });
  readonly #usage: AnthropicUsage = {};
  #model: string | null = null;
  #stopReason: string | null = null;
  #error: StreamSummary['error'] = null;
  #completed = false;

  push(chunk: Uint8Array): void {
    for (const frame of this.#parser.push(chunk)) this.#onFrame(frame);
  }

  #onFrame(frame: SseFrame): void {
    // The bulk of a stream carries nothing metered: not parsed when both the SSE event name and the
    // data's leading "type" member say so (Anthropic writes `type` first; anything else is parsed).
    const prefix = UNMETERED.get(frame.event);
    if (prefix !== undefined && frame.data.startsWith(prefix)) return;
    let ev: StreamEvent;
    try {
      ev = JSON.parse(frame.data) as StreamEvent;
    } catch {
      return; // not ours to judge: the client receives the bytes as they are
    }
    switch (ev.type) {
      case 'message_start':
        this.#model = ev.message.model ?? null;
        if (ev.message.usage) mergeUsage(this.#usage, ev.message.usage);
        break;
      case 'message_delta':
        if (ev.usage) mergeUsage(this.#usage, ev.usage);
        if (ev.delta.stop_reason) this.#stopReason = ev.delta.stop_reason;
        break;
      case 'message_stop':
        this.#completed = true;
        break;
      case 'error':
        this.#error = ev.error;
        break;
      case 'content_block_start':
      case 'content_block_delta':
      case 'content_block_stop':
      case 'ping':
        break;
      default: {
        // New event types may appear (§1.5): ignored, but the switch stays exhaustive for known ones.
        const _exhaustive: never = ev;
        void _exhaustive;
      }
    }
  }

  /** What has been metered so far, mid-stream (summary() ends the parser): the ledger's open row of a long stream. */
  soFar(): { usage: Usage; model: string | null } {
    return { usage: fromAnthropicUsage(this.#usage), model: this.#model };
  }

  summary(): StreamSummary {
    for (const frame of this.#parser.end()) this.#onFrame(frame);
    return { usage: fromAnthropicUsage(this.#usage), model: this.#model, stopReason: this.#stopReason, error: this.#error, completed: this.#completed };
  }
}
