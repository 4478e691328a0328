/**
 * Scanning a body again where it repeats the one before. Agents send the whole conversation on
 * every turn, and turn n+1 is turn n with a turn appended and a client marker moved (clients.md,
 * "prefix turn over turn"): the two bodies share a long byte prefix and, where the conversation is
 * not the last member (Claude Code sends `messages` before `system` and `tools`), a long byte
 * suffix. Values lying wholly inside either are taken from the earlier skeleton (shifted by the
 * length difference in the suffix) instead of being scanned, and their audit offsets copied; only
 * the bytes in between are scanned. The result is the skeleton and audit a full scan gives
 * (rescan.test.ts checks this on random edits).
 */
import { firstNodeFrom, lowerBound, scanned, type ArrayNode, type JsonNode, type LeafNode, type ObjectNode, type Reuse, type Scan } from './scan-json.ts';

/** Compared a block at a time (native memcmp) before the byte that differs is looked for. */
const BLOCK = 4096;

/** Length of the longest common prefix of `a` and `b`. */
export function commonPrefix(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i + BLOCK <= n && a.compare(b, i, i + BLOCK, i, i + BLOCK) === 0) i += BLOCK;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Length of the longest common suffix of `a` and `b`, at most `max`. */
export function commonSuffix(a: Buffer, b: Buffer, max: number): number {
  const la = a.length, lb = b.length;
  let k = 0;
  while (k + BLOCK <= max && a.compare(b, lb - k - BLOCK, lb - k, la - k - BLOCK, la - k) === 0) k += BLOCK;
  while (k < max && a[la - 1 - k] === b[lb - 1 - k]) k++;
  return k;
}

/*
 * A node of the earlier skeleton seen `by` bytes further on. Offsets are computed when read and
 * children wrapped on first use: most of a moved value (the tools' schemas, system texts) is never
 * looked into, and a deep copy of it was a third of what a turn allocated. Wrapping a moved node
 * again wraps its base, so a value moving turn after turn stays one wrapper deep. The parsed value
 * lives on the base (the same bytes, so the same value): a value parsed once serves every later
 * turn it moves in.
 */
abstract class Moved {
  readonly base: JsonNode;
  readonly by: number;
  constructor(base: JsonNode, by: number) { this.base = base; this.by = by; }
  get start(): number { return this.base.start + this.by; }
  get end(): number { return this.base.end + this.by; }
  get parsed(): unknown { return this.base.parsed; }
  set parsed(value: unknown) { this.base.parsed = value; }
}

class MovedLeaf extends Moved implements LeafNode {
  readonly kind = 'leaf';
}

class MovedArray extends Moved implements ArrayNode {
  readonly kind = 'array';
  #items: JsonNode[] | undefined;
  get items(): JsonNode[] {
    if (!this.#items) {
      const base = (this.base as ArrayNode).items;
      this.#items = new Array(base.length);
      for (let i = 0; i < base.length; i++) this.#items[i] = moved(base[i]!, this.by);
    }
    return this.#items;
  }
}

class MovedObject extends Moved implements ObjectNode {
  readonly kind = 'object';
  #entries: Map<string, JsonNode> | undefined;
  get entries(): Map<string, JsonNode> {
    if (!this.#entries) {
      this.#entries = new Map();
      for (const [k, v] of (this.base as ObjectNode).entries) this.#entries.set(k, moved(v, this.by));
    }
    return this.#entries;
  }
}

/** `node` moved by `by` bytes, parsed value included. */
function moved(node: JsonNode, by: number): JsonNode {
  const base = node instanceof Moved ? node.base : node;
  const total = node instanceof Moved ? node.by + by : by;
  if (total === 0) return base;
  return base.kind === 'leaf' ? new MovedLeaf(base, total) : base.kind === 'array' ? new MovedArray(base, total) : new MovedObject(base, total);
}

/**
 * The skeleton and audit of `buf`, as `scanned` gives them and remembered by it, reusing the scan
 * of `previous`; undefined when that scan cannot help (another depth, or not UTF-8).
 */
export function rescan(buf: Buffer, depth: number, previous: { buf: Buffer; scan: Scan }): Scan | undefined {
  const { buf: old, scan } = previous;
  if (scan.depth !== depth || scan.canonical.all) return undefined;
  const prefix = commonPrefix(old, buf);
  const suffix = commonSuffix(old, buf, Math.min(old.length, buf.length) - prefix);
  return scanned(buf, depth, new Reused(scan, prefix, old.length - suffix, buf.length - old.length));
}

/**
 * What the scan may take from the earlier one: values wholly in the common prefix (where they were)
 * or in the common suffix (moved by `delta`). A class, not an object of closures made per call, so
 * that V8 keeps its optimized code between requests (json/scan-json.ts, Scanner).
 */
class Reused implements Reuse {
  readonly root: JsonNode;
  readonly taken: Array<[number, number]> = [];
  readonly #offsets: number[];
  readonly #prefix: number;
  readonly #suffixFrom: number;
  readonly #delta: number;

  constructor(scan: Scan, prefix: number, suffixFrom: number, delta: number) {
    this.root = scan.root;
    this.#offsets = scan.canonical.offsets;
    this.#prefix = prefix;
    this.#suffixFrom = suffixFrom;
    this.#delta = delta;
  }

  take(node: JsonNode, start: number, audit: number[] | undefined): JsonNode | undefined {
    // In the prefix, the byte after the value must be common too: it ends a number or literal.
    const by = node.start === start && node.end < this.#prefix ? 0
      : node.start + this.#delta === start && node.start >= this.#suffixFrom ? this.#delta : undefined;
    if (by === undefined) return undefined;
    if (audit) {
      const offsets = this.#offsets;
      for (let i = lowerBound(offsets, node.start); i < offsets.length && offsets[i]! < node.end; i++) audit.push(offsets[i]! + by);
    }
    this.taken.push([start, node.end + by]);
    return by === 0 ? node : moved(node, by);
  }

  item(node: ArrayNode, index: number, start: number): JsonNode | undefined {
    const same = node.items[index];
    if (same?.start === start) return same;
    // Further on, the earlier item whose bytes moved here, if any.
    const items = node.items;
    const at = items[firstNodeFrom(items, start - this.#delta)];
    return at?.start === start - this.#delta ? at : undefined;
  }
}
