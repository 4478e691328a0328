/**
 * Anthropic usage -> Usage, and the meter of an Anthropic answer (stream or JSON).
 * Metering rule (protocols.md §1.5): take the input side from message_start, then overwrite every
 * field the last message_delta carries, because message_delta usage is cumulative and authoritative.
 */
import { inStreamErrorCode } from '../errors.ts';
import type { AnthropicUsage, StreamEvent } from '../protocols/anthropic/wire.ts';
import type { SseFrame } from '../sse/sse-parser.ts';
import type { AnswerMeter, Metered } from './answer-meter.ts';
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

/** Events with no usage, model, stop reason or error in them (protocols.md §1.5), by SSE event name: the data's start. */
// Deltas first: the parser tries these in order on every frame, and most frames are deltas.
const UNMETERED = new Map(['content_block_delta', 'content_block_start', 'content_block_stop', 'ping'].map((t) => [t, `{"type":"${t}"`]));

interface State {
  readonly usage: AnthropicUsage;
  model: string | null;
  stopReason: string | null;
  error: { type: string; message: string } | null;
  completed: boolean;
}

/** One event into the meter's state: the reducer, exhaustive over the documented event types. */
export function meterAnthropicEvent(s: State, ev: StreamEvent): void {
  switch (ev.type) {
    case 'message_start':
      s.model = ev.message.model ?? null;
      if (ev.message.usage) mergeUsage(s.usage, ev.message.usage);
      break;
    case 'message_delta':
      if (ev.usage) mergeUsage(s.usage, ev.usage);
      if (ev.delta.stop_reason) s.stopReason = ev.delta.stop_reason;
      break;
    case 'message_stop':
      s.completed = true;
      break;
    case 'error':
      s.error = ev.error;
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

export class AnthropicMeter implements AnswerMeter<StreamEvent> {
  /** The bulk of a stream, passed over on its bytes when nothing but the meter reads the stream. */
  readonly unread = [...UNMETERED].map(([event, dataPrefix]) => ({ event, dataPrefix }));
  readonly #s: State = { usage: {}, model: null, stopReason: null, error: null, completed: false };

  // Not parsed when both the SSE event name and the data's leading "type" member say the frame
  // carries nothing metered (Anthropic writes `type` first; any other spelling is parsed).
  reads(frame: SseFrame): boolean {
    const prefix = UNMETERED.get(frame.event);
    return prefix === undefined || !frame.data.startsWith(prefix);
  }

  parse(data: string): StreamEvent {
    return JSON.parse(data) as StreamEvent;
  }

  event(ev: StreamEvent): void {
    if (ev && typeof ev === 'object') meterAnthropicEvent(this.#s, ev);
  }

  body(json: unknown): void {
    const j = json as { model?: string; usage?: AnthropicUsage } | undefined;
    if (j?.usage) mergeUsage(this.#s.usage, j.usage);
    this.#s.model = j?.model ?? null;
  }

  settled(): boolean {
    return this.#s.completed || this.#s.error !== null;
  }

  soFar(): { usage: Usage; model: string | null } {
    return { usage: fromAnthropicUsage(this.#s.usage), model: this.#s.model };
  }

  result(): Metered & { usage: Usage; stopReason: string | null } {
    const { error } = this.#s;
    return {
      usage: fromAnthropicUsage(this.#s.usage), model: this.#s.model, providerCostUsd: null, stopReason: this.#s.stopReason, completed: this.#s.completed,
      error: error ? { code: inStreamErrorCode(error.type), message: error.message } : null,
    };
  }
}
