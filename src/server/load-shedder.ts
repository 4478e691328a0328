/**
 * Sheds new work before memory runs out, so that one client's large requests cannot crash the
 * process and every other user's streams with it (issue 21). Two signals, both cheap per request:
 *
 * - the bytes of request bodies held by turns in progress, bounded (a body costs a few times its
 *   size while it is parsed and rendered), reserved before the body is read;
 * - the V8 heap in use, sampled a few times a second, against a share of the heap limit.
 *
 * Over either, a request is refused at once with OVERLOADED and `retry-after` (529 overloaded_error
 * on Anthropic's API, as Anthropic sheds load; 503 on OpenAI's). /health and in-flight streams are
 * not affected.
 */
import { getHeapStatistics } from 'node:v8';
import { ProxyError, type ClientProtocol } from '../errors.ts';

export interface LoadShedderOptions {
  /** Request body bytes that turns in progress may hold together. Default: 1/16 of the heap limit. */
  maxBodyBytes?: number;
  /** Share of the heap limit in use above which new requests are refused. */
  maxHeapShare?: number;
  /** How often the heap is sampled, ms. */
  sampleMs?: number;
  /** Reads the heap in use and its limit (tests pass their own). */
  heap?: () => { used: number; limit: number };
}

const v8Heap = () => { const h = getHeapStatistics(); return { used: h.used_heap_size, limit: h.heap_size_limit }; };

/** A body without Content-Length reserves this much until it has been read (then its real size). */
const CHUNKED_RESERVE = 4 * 1024 * 1024;
const RETRY_AFTER_S = '2';

export class LoadShedder {
  readonly maxBodyBytes: number;
  readonly #maxHeapShare: number;
  readonly #heap: () => { used: number; limit: number };
  readonly #timer: NodeJS.Timeout;
  #bodyBytes = 0;
  #heapShare = 0;
  /** Requests refused so far, by reason (for /metrics). */
  readonly shed = { memory: 0, bodies: 0 };

  constructor(opts: LoadShedderOptions = {}) {
    this.#heap = opts.heap ?? v8Heap;
    this.maxBodyBytes = opts.maxBodyBytes ?? Math.floor(this.#heap().limit / 16);
    this.#maxHeapShare = opts.maxHeapShare ?? 0.85;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), opts.sampleMs ?? 100);
    this.#timer.unref();
  }

  /**
   * Admits a request whose body declares `declared` bytes (undefined: chunked). Returns `grow`, to
   * tell the real size once read, and `release`, for when the turn is over. Throws OVERLOADED.
   */
  admit(protocol: ClientProtocol, declared: number | undefined): { grow(bytes: number): void; release(): void } {
    if (this.#heapShare > this.#maxHeapShare) {
      this.shed.memory++;
      throw overloaded(protocol, 'Synrouter is short of memory and is refusing new requests for a moment; retry shortly.');
    }
    let held = declared ?? CHUNKED_RESERVE;
    if (this.#bodyBytes + held > this.maxBodyBytes && this.#bodyBytes > 0) {
      this.shed.bodies++;
      throw overloaded(protocol, 'Synrouter is holding as many request bodies as its memory allows; retry shortly.');
    }
    this.#bodyBytes += held;
    let released = false;
    return {
      grow: (bytes) => { if (!released && bytes > held) { this.#bodyBytes += bytes - held; held = bytes; } },
      release: () => { if (!released) { released = true; this.#bodyBytes -= held; } },
    };
  }

  /** Body bytes reserved by turns in progress. */
  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #sample(): void {
    const { used, limit } = this.#heap();
    this.#heapShare = used / limit;
  }
}

function overloaded(protocol: ClientProtocol, message: string): ProxyError {
  return new ProxyError('OVERLOADED', message, { status: protocol === 'anthropic' ? 529 : 503, headers: { 'retry-after': RETRY_AFTER_S } });
}
