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
import { isSpace, scanned, type JsonNode, type Scan } from './scan-json.ts';
import { rescan } from './rescan.ts';
import { recentBodies } from './recent-bodies.ts';
import { JsonLimitError } from '../errors.ts';
import { checkNesting } from './json-limits.ts';

/** Largest slice decoded at once: its string stays a regular heap object even when two-byte. */
const PIECE = 60_000;
const SCRATCH = Buffer.allocUnsafeSlow(PIECE + 2);

const sources = new WeakMap<object, Buffer>();

/*
 * Each skeleton node keeps the value parsed from it (`parsed`, a plain property rather than a
 * WeakMap entry per node, which the collector would walk as an ephemeron table). A node taken from
 * the previous body of the same session (json/rescan.ts) spans the same bytes, so it has the same
 * value: the object parsed then is returned again, not a copy. Parsed requests are therefore shared
 * between turns and must never be changed (nothing on the request path does: edits are spliced
 * into bytes, views are copies; rewrite/shared-parse.test.ts freezes them to check).
 */

/** The bytes an object returned by parseJsonBuffer was parsed from (the object must not have been changed since). */
export function parsedFrom(value: object): Buffer | undefined {
  return sources.get(value);
}

/**
 * `slot` names a conversation (key and session): the body parsed last under it is reused for the
 * bytes this one repeats (json/recent-bodies.ts), and this one is kept for the next.
 */
export function parseJsonBuffer(buf: Buffer, depth = 3, slot?: string): unknown {
  const value = slot === undefined ? parse(buf, depth) : parseAfter(buf, depth, slot);
  if (typeof value === 'object' && value !== null) sources.set(value, buf);
  return value;
}

function parseAfter(buf: Buffer, depth: number, slot: string): unknown {
  const previous = recentBodies.get(slot);
  let reused: Scan | undefined;
  if (previous) {
    // Invalid JSON fails in the full scan or JSON.parse below, with their messages.
    try { reused = rescan(buf, depth, previous); } catch (err) { if (err instanceof JsonLimitError) throw err; /* else scanned again below */ }
  }
  const value = parse(buf, depth, true);
  const scan = scanned(buf, depth);
  // A rescan took most values from the previous skeleton: they are still held, so still counted.
  recentBodies.set(slot, { buf, scan, values: scan === reused ? previous!.values + scan.values : scan.values });
  return value;
}

function parse(buf: Buffer, depth: number, alongSkeleton = false): unknown {
  if (buf.length <= PIECE && !alongSkeleton) {
    // Small enough to walk: at most PIECE / 2 levels, checked without recursion.
    const value: unknown = JSON.parse(buf.toString('utf8'));
    checkNesting(value);
    return value;
  }
  try {
    const root = scanned(buf, depth).root;
    for (let i = root.end; i < buf.length; i++) if (!isSpace(buf[i]!)) throw new SyntaxError('trailing bytes');
    // Along the skeleton, the top-level members and their items get values of their own to reuse.
    return fromNode(buf, root, alongSkeleton ? 2 : 0);
  } catch (err) {
    // Over a structure bound: stop here, before JSON.parse builds what the scan refused to.
    if (err instanceof JsonLimitError) throw err;
    return JSON.parse(buf.toString('utf8'));
  }
}

const slice = (buf: Buffer, n: { start: number; end: number }): unknown => JSON.parse(buf.toString('utf8', n.start, n.end));

/** `split`: nodes above this level of the tree are taken apart even when small. */
function fromNode(buf: Buffer, node: JsonNode, split: number): unknown {
  if (node.parsed !== undefined) return node.parsed;
  return (node.parsed = fresh(buf, node, split));
}

function fresh(buf: Buffer, node: JsonNode, split: number): unknown {
  if (node.kind === 'leaf' || (split <= 0 && node.end - node.start <= PIECE)) return slice(buf, node);
  if (node.kind === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of node.entries) {
      if (key === '__proto__') throw new SyntaxError('__proto__ key');
      out[key] = fromNode(buf, value, split - 1);
    }
    return out;
  }
  // Arrays: items known from the previous body as they are; runs of the others parsed together, in slices of at most PIECE bytes.
  const out: unknown[] = [];
  const items = node.items;
  const isKnown = (n: JsonNode) => n.parsed !== undefined;
  let i = 0;
  while (i < items.length) {
    const first = items[i]!;
    if (isKnown(first) || first.end - first.start > PIECE || split > 1) { out.push(fromNode(buf, first, split - 1)); i++; continue; }
    let j = i;
    while (j + 1 < items.length && !isKnown(items[j + 1]!) && items[j + 1]!.end - first.start <= PIECE) j++;
    if (j === i) out.push(fromNode(buf, first, split - 1));
    else {
      // "[" + items i..j + "]", copied into a scratch buffer: decoded once, no string concatenation.
      SCRATCH[0] = 0x5b;
      const n = buf.copy(SCRATCH, 1, first.start, items[j]!.end);
      SCRATCH[n + 1] = 0x5d;
      const parsed = JSON.parse(SCRATCH.toString('utf8', 0, n + 2)) as unknown[];
      for (let k = 0; k < parsed.length; k++) { items[i + k]!.parsed = parsed[k]; out.push(parsed[k]); }
    }
    i = j + 1;
  }
  return out;
}
