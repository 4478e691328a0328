/**
 * Requests being proxied right now. Shutdown waits for them to finish (their ledger rows included);
 * those still running when the grace period ends are ended with their protocol's in-band error event,
 * so no client ever sees a stream that just stops (peers.md §5.6: "The response stopped arriving"),
 * and their upstream requests are aborted so their turns are recorded before the ledger closes.
 */
import type { ServerResponse } from 'node:http';
import type { ClientProtocol } from '../errors.ts';
import { renderAnthropicError, renderOpenAIError } from '../errors.ts';
import { isEventStream } from '../sse/response-head.ts';
import { endWithFrame, errorFrame } from '../sse/error-frame.ts';

type Protocol = ClientProtocol | 'openai-responses';
interface Entry { protocol: Protocol; abort: AbortController; done: Promise<void> }

export class Inflight {
  readonly #entries = new Map<ServerResponse, Entry>();

  /** Registers a proxied request; call the returned function when its handler (ledger row included) is done. */
  track(res: ServerResponse, protocol: Protocol, abort: AbortController): () => void {
    let finish!: () => void;
    const done = new Promise<void>((r) => { finish = r; });
    this.#entries.set(res, { protocol, abort, done });
    return () => {
      this.#entries.delete(res);
      finish();
    };
  }

  setProtocol(res: ServerResponse, protocol: Protocol): void {
    const e = this.#entries.get(res);
    if (e) e.protocol = protocol;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Resolves when every tracked request has finished, or after `ms`. */
  async drained(ms: number): Promise<void> {
    await Promise.race([Promise.all([...this.#entries.values()].map((e) => e.done)), new Promise((r) => setTimeout(r, ms).unref())]);
  }

  /** Ends every open request with an error saying the server is shutting down, and aborts its upstream. */
  async abortAll(message: string, flushMs = 1000): Promise<void> {
    const ended: Promise<unknown>[] = [];
    for (const [res, { protocol, abort }] of this.#entries) {
      if (!res.writableEnded) {
        if (!res.headersSent) {
          // Still waiting for the upstream's headers: a plain 503 in the caller's protocol.
          const body = JSON.stringify(protocol === 'anthropic' ? renderAnthropicError(503, message) : renderOpenAIError(503, message, 'server_shutting_down'));
          res.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
        } else if (!isEventStream(res)) {
          // A JSON body already half sent has no in-band error: a reset says "incomplete" unmistakably.
          res.destroy();
        } else endWithFrame(res, errorFrame(protocol === 'openai' ? 'openai-chat' : protocol, 503, 'server_shutting_down', message));
        ended.push(new Promise((resolve) => { res.once('finish', resolve); res.once('close', resolve); }));
      }
      abort.abort();
    }
    await Promise.race([Promise.all(ended), new Promise((r) => setTimeout(r, flushMs).unref())]);
  }
}
