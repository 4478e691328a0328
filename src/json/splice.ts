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
