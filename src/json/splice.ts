/** Byte edits against an original buffer; applied in one pass so every untouched byte is the client's. */

export interface Edit { start: number; end: number; text: string }

/**
 * A body as pieces: slices of the client's buffer and the edits' text between them. Sent upstream
 * as they are (send-upstream.ts), so a turn does not copy its 200 KB body into a fresh buffer (a
 * Buffer allocation per turn that also brought the collector's full GCs closer); joined where one
 * buffer is needed (a keep-alive ping, a shadow counterfactual, tests). Not kept joined: the
 * keep-alive holds bodies for minutes and bounds them by `length`.
 */
export class Spliced {
  readonly pieces: readonly Uint8Array[];
  readonly length: number;
  constructor(pieces: readonly Uint8Array[]) {
    this.pieces = pieces;
    let length = 0;
    for (const p of pieces) length += p.length;
    this.length = length;
  }
  bytes(): Buffer {
    const only = this.pieces.length === 1 ? this.pieces[0]! : undefined;
    return only instanceof Buffer ? only : Buffer.concat(this.pieces, this.length);
  }
  toString(): string {
    return this.bytes().toString('utf8');
  }
}

/** `buf` with `edits` (disjoint) spliced in. */
export function splice(buf: Buffer, edits: readonly Edit[]): Spliced {
  if (edits.length === 0) return new Spliced([buf]);
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const parts: Buffer[] = [];
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) throw new RangeError(`overlapping edits at ${e.start}`);
    if (e.start > at) parts.push(buf.subarray(at, e.start));
    if (e.text) parts.push(Buffer.from(e.text, 'utf8'));
    at = e.end;
  }
  if (at < buf.length) parts.push(buf.subarray(at));
  return new Spliced(parts);
}

export function applyEdits(buf: Buffer, edits: readonly Edit[]): Buffer {
  return splice(buf, edits).bytes();
}

/**
 * Set `"key":<json>` in the object spanning [start, end): appended as its last member, or, when the
 * key is already there (a client's `"cache_control": null`), its value replaced, never a second key.
 */
export function insertMember(obj: { start: number; end: number; entries: Map<string, { start: number; end: number }> }, key: string, json: string): Edit {
  const existing = obj.entries.get(key);
  if (existing) return replaceValue(existing, json);
  const close = obj.end - 1;
  const sep = obj.entries.size > 0 ? ',' : '';
  return { start: close, end: close, text: `${sep}${JSON.stringify(key)}:${json}` };
}

/** Replace the value spanning [start, end) with `json`. */
export function replaceValue(node: { start: number; end: number }, json: string): Edit {
  return { start: node.start, end: node.end, text: json };
}
