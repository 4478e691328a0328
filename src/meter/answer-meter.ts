/**
 * What the meter reads of an upstream's answer, whatever its protocol: the stream-back stage
 * (sse/stream-back.ts) parses each SSE frame once and hands the parsed event here, or the whole
 * JSON body; the meter never sees bytes and never parses them a second time.
 */
import type { LedgerErrorCode } from '../errors.ts';
import type { SkippedFrame, SseFrame } from '../sse/sse-parser.ts';
import type { Usage } from './usage.ts';

export interface Metered {
  /** null when the answer reported none (an OpenAI stream cut before its usage chunk). */
  usage: Usage | null;
  model: string | null;
  /** What the provider billed, when it says (OpenRouter's `usage.cost`, protocols.md §6.4). */
  providerCostUsd: number | null;
  /** An in-band error after the 200, as the ledger records it. */
  error: { code: LedgerErrorCode; message: string } | null;
  /** The stream reached its protocol's final event. */
  completed: boolean;
}

export interface AnswerMeter<Event = unknown> {
  /** Frames this meter never reads, which the SSE parser may pass over unread when nothing else reads them. */
  readonly unread: readonly SkippedFrame[];
  /** Whether the meter reads this frame (decided on the event name and how the data begins, before any parse). */
  reads(frame: SseFrame): boolean;
  /** A frame's data, parsed: JSON, or the protocol's sentinel. Throws on data that is not JSON. */
  parse(data: string): Event;
  /** One parsed upstream event. */
  event(ev: Event): void;
  /** A whole JSON answer (undefined: it was not JSON). */
  body(json: unknown): void;
  /** The stream reached its final event or an in-band error: an end without either is a cut stream. */
  settled(): boolean;
  /** What has been read so far, mid-stream: the ledger's open row of a long stream. */
  soFar(): { usage: Usage | null; model: string | null };
  result(): Metered;
}
