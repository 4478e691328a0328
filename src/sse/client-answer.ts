/**
 * How an upstream's answer reaches the client, the part that depends on the two protocols:
 * same-protocol.ts passes it through, translated.ts turns it into the client's protocol. The
 * stream-back stage (stream-back.ts) drives either the same way.
 */
import type { UpstreamResponse } from '../upstream/send-upstream.ts';
import type { SseFrame } from './sse-parser.ts';

export type Headers = Record<string, string | string[]>;

/** What a frame's data parsed to when it is not JSON (nor the protocol's sentinel). */
export const UNPARSABLE: unique symbol = Symbol('unparsable');

export interface ClientAnswer {
  /** The upstream's error answer (status >= 400, read whole), in the client's protocol. */
  error(status: number, raw: Buffer, requestId: string): { status: number; body: string };
  /** A JSON answer: undefined relays the upstream's bytes as they come; else the body to send once the answer is whole. */
  json?(parsed: unknown): Promise<{ status: number; body: string }>;
  /** The upstream's headers that reach the client. */
  headers(up: UpstreamResponse): Headers;
  /** The head of an event stream: its status and the headers it adds. */
  sseHead(up: UpstreamResponse): { status: number; headers: Headers };
  /** Whether the client's bytes are made from the frames (else the upstream's chunks pass as they are, and only the meter reads frames). */
  readonly rewrites: boolean;
  /** This side's own parse of a frame's data (a translator's), used for the meter too: one parse per frame. */
  parse?(data: string): unknown;
  /** One frame and its parsed data (or UNPARSABLE) -> what the client gets for it. Only when `rewrites`. */
  frame(frame: SseFrame, event: unknown): Promise<string[]>;
  /** The client's stream has had its terminal frame: nothing more is read from the upstream. */
  readonly ended: boolean;
  /** The upstream's stream ended cleanly: what the client still needs. Throws when the stream was cut before its final event. */
  finish(settled: boolean): string[];
  /** The upstream's stream broke: the client protocol's error ending. */
  cut(message: string, requestId: string): string[];
}
