/**
 * Incremental, byte-level Server-Sent Events parser (WHATWG HTML §9.2.6 "event stream
 * interpretation"): LF, CR and CRLF line ends, multi-line `data`, comments, a leading BOM, and
 * chunks split anywhere, including inside a UTF-8 sequence (lines are decoded only once complete).
 */

export interface SseFrame { event: string; data: string; id?: string }

const LF = 0x0a, CR = 0x0d;
const BLANK_LINE = Buffer.from('\n\n');

/** A frame the reader will discard: its event name and how its data begins. */
export interface SkippedFrame { event: string; dataPrefix: string }

export class SseParser {
  /** `event: NAME\ndata: PREFIX` of each frame to skip, as bytes. */
  readonly #skip: Buffer[];
  #pending: Buffer = Buffer.alloc(0);
  #event = '';
  #data: string[] = [];
  #id: string | undefined;
  #sawCr = false;
  #first = true;

  /**
   * `skip`: frames the reader would drop unread (a meter's content deltas). A complete frame that
   * begins with exactly `event: NAME` then `data: PREFIX`, in a chunk with LF line ends only, is
   * passed over on its bytes, never decoded, and not returned; its fields (an `id` included) are
   * not applied. Any other spelling of the same frame goes through the full parse as before.
   */
  constructor(opts: { skip?: readonly SkippedFrame[] } = {}) {
    this.#skip = (opts.skip ?? []).map((f) => Buffer.from(`event: ${f.event}\ndata: ${f.dataPrefix}`));
  }

  /** Feeds a chunk; returns the frames it completed. */
  push(chunk: Uint8Array): SseFrame[] {
    const frames: SseFrame[] = [];
    const buf = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    // A CR at the end of the previous chunk may be followed by the LF of a CRLF here.
    if (this.#sawCr && buf[0] === LF) start = 1;
    this.#sawCr = false;
    // Line ends found natively (a JS loop over every byte was most of this parser's time): the next
    // LF and the next CR are each searched once per line end passed, and a buffer with no CR (the
    // usual LF-only stream) costs one search for it.
    let lf = buf.indexOf(LF, start);
    let cr = buf.indexOf(CR, start);
    while (lf !== -1 || cr !== -1) {
      if (cr === -1 && this.#skip.length && this.#event === '' && this.#data.length === 0) {
        const end = this.#skippable(buf, start);
        if (end !== -1) {
          start = end;
          this.#first = false;
          if (lf < start) lf = buf.indexOf(LF, start);
          continue;
        }
      }
      const i = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr;
      this.#line(i === start ? '' : buf.toString('utf8', start, i), frames);
      start = i + 1;
      if (i === cr) {
        if (start < buf.length) { if (buf[start] === LF) start++; } else this.#sawCr = true;
      }
      if (lf !== -1 && lf < start) lf = buf.indexOf(LF, start);
      if (cr !== -1 && cr < start) cr = buf.indexOf(CR, start);
    }
    this.#pending = start < buf.length ? Buffer.from(buf.subarray(start)) : Buffer.alloc(0);
    return frames;
  }

  /** The offset just past the blank line ending a skipped frame that starts at `at`; -1 when there is none. */
  #skippable(buf: Buffer, at: number): number {
    for (const needle of this.#skip) {
      const n = needle.length;
      if (at + n > buf.length || needle.compare(buf, at, at + n) !== 0) continue;
      // From the needle's last byte: a prefix ending in LF would itself begin the blank line.
      const blank = buf.indexOf(BLANK_LINE, at + n - 1);
      return blank === -1 ? -1 : blank + 2;
    }
    return -1;
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
