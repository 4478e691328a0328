/**
 * The last body parsed per conversation, so that the next one is scanned and parsed only where it
 * differs (json/rescan.ts, json/parse-json.ts). A cache, not state: every reuse is checked against
 * the bytes, so a wrong or evicted entry only costs the full parse it would have cost anyway.
 *
 * Bounded by the bytes of the bodies kept, the least recently used dropped first: a kept body also
 * holds its skeleton and parsed values, about 3x its size in heap (measured with 40 Claude
 * Code-shaped 200 KB bodies on Node 24.21), so the default of 32 MB of bodies (160 sessions of
 * 200 KB) is about 130 MB of memory at most.
 */
import type { Scan } from './scan-json.ts';

export interface RecentBody { buf: Buffer; scan: Scan }

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
    if (body.buf.length > this.maxBytes) return;
    this.#entries.set(slot, body);
    this.#bytes += body.buf.length;
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
    this.#bytes -= had.buf.length;
  }
}

export const recentBodies = new RecentBodies(32 * 1024 * 1024);
