/**
 * The last body parsed per conversation, so that the next one is scanned and parsed only where it
 * differs (json/rescan.ts, json/parse-json.ts). A cache, not state: every reuse is checked against
 * the bytes, so a wrong or evicted entry only costs the full parse it would have cost anyway.
 *
 * Bounded by the memory the bodies kept hold: a body's bytes plus its skeleton's values, each of
 * which keeps a node, the value parsed from it and what the cache engine rendered from that
 * (VALUE_BYTES each, measured: ~800 bytes per one-character text block, three values, retained
 * after 100,000 of them on Node 24.21). Counting values, not only bytes, keeps a body of a million
 * tiny blocks from holding a gigabyte (issue 21). A Claude Code-shaped body is charged about 4.7x
 * its bytes (the benchmark's: 36.8 KB, 535 values) and holds about 3x, so the default bound of
 * 128 MB keeps about 140 sessions of 200 KB, in less than 128 MB of heap.
 */
import type { Scan } from './scan-json.ts';

/** `values`: the skeleton's values, those taken from earlier bodies' skeletons included. */
export interface RecentBody { buf: Buffer; scan: Scan; values: number }

/** Heap held per skeleton value of a kept body (see above). */
export const VALUE_BYTES = 256;
const cost = (body: RecentBody) => body.buf.length + body.values * VALUE_BYTES;

export class RecentBodies {
  readonly #entries = new Map<string, RecentBody>();
  #bytes = 0;
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get(slot: string): RecentBody | undefined {
    return this.#entries.get(slot);
  }

  set(slot: string, body: RecentBody): void {
    this.#drop(slot);
    if (cost(body) > this.maxBytes) return;
    this.#entries.set(slot, body);
    this.#bytes += cost(body);
    // Map order is insertion order: the first entries are the least recently set.
    for (const oldest of this.#entries.keys()) {
      if (this.#bytes <= this.maxBytes) break;
      this.#drop(oldest);
    }
  }

  get size(): number { return this.#entries.size; }
  get bytes(): number { return this.#bytes; }

  #drop(slot: string): void {
    const had = this.#entries.get(slot);
    if (!had) return;
    this.#entries.delete(slot);
    this.#bytes -= cost(had);
  }
}

export const recentBodies = new RecentBodies(128 * 1024 * 1024);
