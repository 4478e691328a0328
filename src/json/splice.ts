/** Byte edits against an original buffer; applied in one pass so every untouched byte is the client's. */

export interface Edit { start: number; end: number; text: string }

export function applyEdits(buf: Buffer, edits: readonly Edit[]): Buffer {
  if (edits.length === 0) return buf;
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const parts: Buffer[] = [];
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) throw new RangeError(`overlapping edits at ${e.start}`);
    parts.push(buf.subarray(at, e.start), Buffer.from(e.text, 'utf8'));
    at = e.end;
  }
  parts.push(buf.subarray(at));
  return Buffer.concat(parts);
}

/** Insert `"key":<json>` as the last member of the object spanning [start, end). */
export function insertMember(obj: { start: number; end: number; entries: Map<string, unknown> }, key: string, json: string): Edit {
  const close = obj.end - 1;
  const sep = obj.entries.size > 0 ? ',' : '';
  return { start: close, end: close, text: `${sep}${JSON.stringify(key)}:${json}` };
}

/** Replace the value spanning [start, end) with `json`. */
export function replaceValue(node: { start: number; end: number }, json: string): Edit {
  return { start: node.start, end: node.end, text: json };
}
