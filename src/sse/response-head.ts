/**
 * The head of a response streamed back to the client (sse/stream-back.ts): which upstream headers
 * pass, when the head goes out, and whether it began an event stream.
 */
import type { ServerResponse } from 'node:http';
import type { UpstreamResponse } from '../upstream/send-upstream.ts';
import type { UpstreamBody } from '../upstream/upstream-body.ts';

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
