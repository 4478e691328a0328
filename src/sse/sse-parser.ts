/**
 * Incremental, byte-level Server-Sent Events parser (WHATWG HTML §9.2.6 "event stream
 * interpretation"): LF, CR and CRLF line ends, multi-line `data`, comments, a leading BOM, and
 * chunks split anywhere, including inside a UTF-8 sequence (lines are decoded only once complete).
 */

export interface SseFrame { event: string; data: string; id?: string }

const LF = 0x0a, CR = 0x0d;

export class SseParser {
  #pending: Buffer = Buffer.alloc(0);
  #event = '';
  #data: string[] = [];
  #id: string | undefined;
  #sawCr = false;
  #first = true;

  /** Feeds a chunk; returns the frames it completed. */
  push(chunk: Uint8Array): SseFrame[] {
    const frames: SseFrame[] = [];
    let buf = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    // A CR at the end of the previous chunk may be followed by the LF of a CRLF here.
    if (this.#sawCr && buf[0] === LF) start = 1;
    this.#sawCr = false;
    for (let i = start; i < buf.length; i++) {
      const b = buf[i];
      if (b !== LF && b !== CR) continue;
      this.#line(buf.toString('utf8', start, i), frames);
      if (b === CR) {
        if (i + 1 < buf.length) { if (buf[i + 1] === LF) i++; } else this.#sawCr = true;
      }
      start = i + 1;
    }
    this.#pending = start < buf.length ? Buffer.from(buf.subarray(start)) : Buffer.alloc(0);
    return frames;
  }

  /** End of stream: a final frame without its blank line is dispatched (lenient, as browsers are not). */
  end(): SseFrame[] {
    const frames: SseFrame[] = [];
    if (this.#pending.length) this.#line(this.#pending.toString('utf8'), frames);
    this.#pending = Buffer.alloc(0);
    this.#line('', frames);
    return frames;
  }

  #line(line: string, frames: SseFrame[]): void {
    if (this.#first) {
      this.#first = false;
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    }
    if (line === '') {
      if (this.#data.length) frames.push({ event: this.#event || 'message', data: this.#data.join('\n'), ...(this.#id !== undefined ? { id: this.#id } : {}) });
      this.#event = '';
      this.#data = [];
      return;
    }
    if (line.charCodeAt(0) === 0x3a) return; // ':' comment
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    switch (field) {
      case 'event': this.#event = value; break;
      case 'data': this.#data.push(value); break;
      case 'id': this.#id = value; break;
      default: break; // `retry` and unknown fields do not matter to a proxy
    }
  }
}

/** Frame -> bytes. */
export function writeSse(event: string | undefined, data: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${data}\n\n`;
}
