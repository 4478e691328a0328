/**
 * JSON.parse of a request body without one string of the whole body. V8 puts any object over
 * 128 KiB in its large-object space, and a fresh large object costs about a millisecond per
 * 200 KB on the machine measured (page faults on new memory; Node 24.21): `buf.toString()` of the
 * 200 KB benchmark body took ~1.8 ms, the same bytes decoded in four slices 0.05 ms. Bodies over
 * `PIECE` bytes are parsed slice by slice along their byte skeleton (scan-json) and reassembled;
 * the result is the same value, key order included, as `JSON.parse(buf.toString('utf8'))`, and
 * anything unexpected (invalid JSON, a `__proto__` key) falls back to exactly that call, so errors
 * read as before.
 */
import { isSpace, skeleton, type JsonNode } from './scan-json.ts';

/** Largest slice decoded at once: its string stays a regular heap object even when two-byte. */
const PIECE = 60_000;
const SCRATCH = Buffer.allocUnsafeSlow(PIECE + 2);

const sources = new WeakMap<object, Buffer>();

/** The bytes an object returned by parseJsonBuffer was parsed from (the object must not have been changed since). */
export function parsedFrom(value: object): Buffer | undefined {
  return sources.get(value);
}

export function parseJsonBuffer(buf: Buffer, depth = 3): unknown {
  const value = parse(buf, depth);
  if (typeof value === 'object' && value !== null) sources.set(value, buf);
  return value;
}

function parse(buf: Buffer, depth: number): unknown {
  if (buf.length <= PIECE) return JSON.parse(buf.toString('utf8'));
  try {
    const root = skeleton(buf, depth);
    for (let i = root.end; i < buf.length; i++) if (!isSpace(buf[i]!)) throw new SyntaxError('trailing bytes');
    return fromNode(buf, root);
  } catch {
    return JSON.parse(buf.toString('utf8'));
  }
}

const slice = (buf: Buffer, n: { start: number; end: number }): unknown => JSON.parse(buf.toString('utf8', n.start, n.end));

function fromNode(buf: Buffer, node: JsonNode): unknown {
  if (node.kind === 'leaf' || node.end - node.start <= PIECE) return slice(buf, node);
  if (node.kind === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of node.entries) {
      if (key === '__proto__') throw new SyntaxError('__proto__ key');
      out[key] = fromNode(buf, value);
    }
    return out;
  }
  // Arrays: consecutive items parsed together, in slices of at most PIECE bytes.
  const out: unknown[] = [];
  const items = node.items;
  let i = 0;
  while (i < items.length) {
    const first = items[i]!;
    if (first.end - first.start > PIECE) { out.push(fromNode(buf, first)); i++; continue; }
    let j = i;
    while (j + 1 < items.length && items[j + 1]!.end - first.start <= PIECE) j++;
    if (j === i) out.push(slice(buf, first));
    else {
      // "[" + items i..j + "]", copied into a scratch buffer: decoded once, no string concatenation.
      SCRATCH[0] = 0x5b;
      const n = buf.copy(SCRATCH, 1, first.start, items[j]!.end);
      SCRATCH[n + 1] = 0x5d;
      for (const v of JSON.parse(SCRATCH.toString('utf8', 0, n + 2)) as unknown[]) out.push(v);
    }
    i = j + 1;
  }
  return out;
}
