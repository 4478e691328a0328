/**
 * Streams an upstream response back to the client chunk by chunk, as it arrives (never buffered to
 * the end), while a watcher reads the same bytes on the side for metering. Backpressure from a slow
 * client pauses the upstream. Errors after the first byte become an in-band error event.
 */
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { UpstreamResponse } from '../upstream/send-upstream.ts';
import type { UpstreamBody } from '../upstream/upstream-body.ts';
import { writeSse } from './sse-parser.ts';

const DROP_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'trailer', 'upgrade', 'set-cookie']);

export function responseHeaders(up: UpstreamResponse['headers'], extra: Record<string, string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(up)) if (v !== undefined && !DROP_RESPONSE_HEADERS.has(k)) out[k] = v;
  return { ...out, ...extra };
}

/**
 * The response head of a relayed body. Sent at once only when no body bytes are already waiting:
 * usually the upstream's head and first bytes come in one read, and then the first write carries
 * both (Node sends a pending head with the first chunk), one syscall and one wake-up of the client
 * instead of two. When the first bytes turn out to write nothing (a partial frame held back, an
 * event translated to no output) the head goes alone then, so the client sees the status no later
 * than before.
 */
export class ResponseHead {
  readonly #res: ServerResponse;
  #pending: boolean;

  constructor(res: ServerResponse, body: UpstreamBody) {
    this.#res = res;
    this.#pending = body.buffered > 0;
    if (!this.#pending) res.flushHeaders();
  }

  /** A body write is about to carry the head, if it is still pending. */
  wrote(): void {
    this.#pending = false;
  }

  /** A chunk was handled: a head no write carried goes now. */
  handled(): void {
    if (!this.#pending) return;
    this.#pending = false;
    if (!this.#res.writableEnded) this.#res.flushHeaders();
  }
}

/** Responses whose head said text/event-stream: an error after the first byte can only be an SSE frame there. */
const eventStreams = new WeakSet<ServerResponse>();

/** Writes the response head, remembering whether it began an event stream (see `isEventStream`). */
export function writeHead(res: ServerResponse, status: number, headers: Record<string, string | string[]>): void {
  const type = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
  if (String(type ?? '').includes('text/event-stream')) eventStreams.add(res);
  res.writeHead(status, headers);
}

/** Whether `res` is an event stream already under way (a JSON body half sent has no in-band error). */
export function isEventStream(res: ServerResponse): boolean {
  return eventStreams.has(res);
}

/** Hands the meter what the upstream sent. A meter failure never fails the client's response (style.md §7 Errors). */
export function tapMeter(meter: (chunk: Buffer) => void, chunk: Buffer): void {
  try {
    meter(chunk);
  } catch (err) {
    console.error(`[synrouter] meter error: ${(err as Error).message}`);
  }
}

export async function relay(opts: {
  upstream: UpstreamResponse;
  res: ServerResponse;
  headers: Record<string, string>;
  signal: AbortSignal;
  onChunk: (chunk: Buffer) => void;
  /** Optional rewrite of what the client receives (the meter still sees the upstream's bytes). */
  transform?: (chunk: Buffer) => Buffer;
  /**
   * Whether the stream reached its protocol's final event (or an in-band error). An upstream that
   * closes cleanly before it is a cut stream all the same: the client must see an error event, not
   * a reply that silently stops (protocols.md §1.5 event sequence).
   */
  complete?: () => boolean;
}): Promise<void> {
  const { upstream, res } = opts;
  writeHead(res, upstream.status, responseHeaders(upstream.headers, opts.headers));
  const head = new ResponseHead(res, upstream.body);
  for await (const chunk of upstream.body) {
    const buf = chunk as Buffer;
    tapMeter(opts.onChunk, buf);
    const out = opts.transform ? opts.transform(buf) : buf;
    if (out.length) {
      head.wrote();
      if (!res.write(out)) await once(res, 'drain', { signal: opts.signal });
    }
    head.handled();
  }
  if (opts.complete && !opts.complete()) throw new Error('the upstream closed the stream before its final event');
  res.end();
}

/** After the first byte the status is gone: end an SSE stream with the protocol's error event. */
export function endStreamWithError(res: ServerResponse, event: string | undefined, payload: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  res.end(writeSse(event, JSON.stringify(payload)));
}
