/**
 * A byte-offset skeleton of a JSON document, so that rewrites can splice into the client's own
 * bytes instead of re-serialising the body. Re-serialising costs milliseconds per 200 KB on Node 24
 * (runtime.md §5) and can change bytes the cache prefix depends on (DESIGN.md §3, protocols.md §8.5).
 *
 * The scanner does not validate: callers JSON.parse the input first, or (json/parse-json.ts) pass
 * every byte range it yields through JSON.parse afterwards. On invalid input it throws or returns
 * a skeleton that means nothing, and always terminates. Containers deeper than `maxDepth` are
 * skipped and returned as leaves. Input nested deeper than MAX_NESTING, or with more than
 * MAX_SKELETON_VALUES values in the skeleton, throws JsonLimitError as soon as the scan reaches it.
 */
import { isUtf8 } from 'node:buffer';
import { JsonLimitError } from '../errors.ts';
import { MAX_NESTING, MAX_SKELETON_VALUES, tooDeep } from './json-limits.ts';

/** `parsed`: the value json/parse-json.ts made of the node, kept with the skeleton for the next turn (json/rescan.ts). */
export interface LeafNode { kind: 'leaf'; start: number; end: number; parsed?: unknown }
export interface ArrayNode { kind: 'array'; start: number; end: number; items: JsonNode[]; parsed?: unknown }
export interface ObjectNode { kind: 'object'; start: number; end: number; entries: Map<string, JsonNode>; parsed?: unknown }
export type JsonNode = LeafNode | ArrayNode | ObjectNode;

const QUOTE = 0x22, BACKSLASH = 0x5c, LBRACE = 0x7b, RBRACE = 0x7d, LBRACK = 0x5b, RBRACK = 0x5d;
const COMMA = 0x2c, COLON = 0x3a;
/** Bytes of a string scanned in JS before handing the rest to Buffer#indexOf. */
const SHORT_STRING = 24;

/**
 * Object keys repeat thousands of times per body (type, text, role, content...): short ASCII keys
 * without escapes are looked up by a hash of their bytes instead of being decoded each time
 * (decoding was a third of the scan). Bounded, so hostile bodies cannot grow it.
 */
const KEY_CACHE = new Map<number, string>();
const KEY_CACHE_MAX = 4096;
const KEY_CACHE_LEN = 40;

/** The key whose JSON string spans [start, end) (quotes included). */
function decodeKey(buf: Buffer, start: number, end: number): string {
  const len = end - start - 2;
  if (len <= KEY_CACHE_LEN) {
    let h = len;
    let plain = true;
    for (let i = start + 1; i < end - 1; i++) {
      const b = buf[i]!;
      if (b >= 0x80 || b < 0x20 || b === BACKSLASH) { plain = false; break; }
      h = (Math.imul(h, 31) + b) | 0;
    }
    if (plain) {
      const hit = KEY_CACHE.get(h);
      if (hit !== undefined && hit.length === len) {
        let same = true;
        for (let i = 0; i < len; i++) if (hit.charCodeAt(i) !== buf[start + 1 + i]) { same = false; break; }
        if (same) return hit;
      }
      const key = buf.toString('latin1', start + 1, end - 1);
      if (hit === undefined) {
        // Full (one hostile body with thousands of distinct keys): start again rather than stay full.
        if (KEY_CACHE.size >= KEY_CACHE_MAX) KEY_CACHE.clear();
        KEY_CACHE.set(h, key);
      }
      return key;
    }
  }
  return JSON.parse(buf.toString('utf8', start, end)) as string;
}

const MINUS = 0x2d, DIGIT_0 = 0x30, DIGIT_9 = 0x39;

const isNumberByte = (b: number) => (b >= DIGIT_0 && b <= DIGIT_9) || b === MINUS || b === 0x2b || b === 0x2e || b === 0x65 || b === 0x45;

/** Keys JSON.stringify(JSON.parse(..)) would not write back in place: array indices come first, `__proto__` is special. */
const oddKey = (key: string) => key === '__proto__' || (key.length > 0 && key.charCodeAt(0) >= DIGIT_0 && key.charCodeAt(0) <= DIGIT_9);

/** Whether the number token [start, end) is what JSON.stringify writes for its value. */
function shortestNumber(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  if (buf[i] === MINUS) i++;
  const digits = end - i;
  if (digits >= 1 && digits <= 15 && (buf[i] !== DIGIT_0 || (digits === 1 && i === start))) {
    let plain = true;
    for (let j = i; j < end; j++) { const c = buf[j]!; if (c < DIGIT_0 || c > DIGIT_9) { plain = false; break; } }
    if (plain) return true;
  }
  const text = buf.toString('latin1', start, end);
  return String(Number(text)) === text;
}

export function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Whether the byte at `i` is escaped: preceded by an odd number of backslashes. */
function escaped(buf: Buffer, i: number): boolean {
  let back = 0;
  while (buf[i - 1 - back] === BACKSLASH) back++;
  return back % 2 === 1;
}

/**
 * Nodes of an earlier scan that can stand in for values of this one (json/rescan.ts): the scan
 * walks the earlier skeleton alongside, and a value whose bytes are known to be the same as its
 * earlier counterpart's is taken whole instead of being scanned.
 */
export interface Reuse {
  /** The earlier skeleton's root. */
  root: JsonNode;
  /** `old`, or `old` moved to `start`, when the value starting at `start` is the same bytes; its audit offsets go to `audit`. */
  take(old: JsonNode, start: number, audit: number[] | undefined): JsonNode | undefined;
  /** The byte ranges of this scan's values that `take` returned, in order (their escapes are audited already). */
  readonly taken: ReadonlyArray<readonly [number, number]>;
  /** The item of the earlier array that may be item `index` of this one, starting at `start`. */
  item(old: ArrayNode, index: number, start: number): JsonNode | undefined;
}

/**
 * The scanner's state and steps as one object with methods rather than closures made per call:
 * V8 keeps optimized code for a closure only while some instance of it lives, and closures made per
 * body died between requests, so their code was dropped at each full GC and compiled again (seen
 * with --perf-basic-prof: the same closures compiled ~40 times in a 40 s load run, methods ~5).
 */
class Scanner {
  pos = 0;
  readonly buf: Buffer;
  readonly maxDepth: number;
  readonly audit: number[] | undefined;
  readonly reuse: Reuse | undefined;
  /** Values scanned into the skeleton (those taken from an earlier scan are not scanned again). */
  values = 0;

  constructor(buf: Buffer, maxDepth: number, audit: number[] | undefined, reuse: Reuse | undefined) {
    this.buf = buf;
    this.maxDepth = maxDepth;
    this.audit = audit;
    this.reuse = reuse;
  }

  skipSpace(): void {
    if (!isSpace(this.buf[this.pos]!)) return;
    this.audit?.push(this.pos);
    while (isSpace(this.buf[this.pos]!)) this.pos++;
  }

  // Returns the offset just past the closing quote of the string opening at `from`. Short strings
  // (keys, ids, types) end within a few bytes: a JS loop is faster than a native indexOf call there.
  stringEnd(from: number): number {
    let i = from + 1;
    const near = Math.min(i + SHORT_STRING, this.buf.length);
    for (; i < near; i++) {
      const b = this.buf[i]!;
      if (b === QUOTE) return i + 1;
      if (b === BACKSLASH) break;
    }
    for (;;) {
      const q = this.buf.indexOf(QUOTE, i);
      if (q < 0) throw new SyntaxError('unterminated string');
      if (!escaped(this.buf, q)) return q + 1;
      i = q + 1;
    }
  }

  /** `outer`: containers open around the one at `from`. */
  skipContainer(from: number, outer: number): number {
    let depth = 0;
    const most = MAX_NESTING - outer;
    let i = from;
    for (;;) {
      const b = this.buf[i]!;
      if (b === QUOTE) { i = this.stringEnd(i); continue; }
      if (b === LBRACE || b === LBRACK) { if (++depth > most) throw tooDeep(); }
      else if (b === RBRACE || b === RBRACK) { depth--; if (depth === 0) return i + 1; }
      i++;
      if (i > this.buf.length) throw new SyntaxError('unterminated container');
    }
  }

  // skipContainer, also auditing what it skips (keys of every nested object included).
  skipAudited(from: number, outer: number, audit: number[]): number {
    const most = MAX_NESTING - outer;
    // Per open container: false for an array; for an object its keys so far (none, one, or a Set:
    // most objects have few keys, and a hostile body can nest millions).
    const frames: Array<false | null | string | Set<string>> = [];
    let i = from;
    for (;;) {
      const b = this.buf[i]!;
      if (b === QUOTE) {
        const end = this.stringEnd(i);
        const top = frames.length - 1;
        const keys = frames[top];
        if (keys !== false && this.buf[end] === COLON) {
          const key = decodeKey(this.buf, i, end);
          if (oddKey(key)) audit.push(i);
          if (keys === null) frames[top] = key;
          else if (typeof keys === 'string') { if (keys === key) audit.push(i); frames[top] = new Set([keys, key]); }
          else if (keys !== undefined) { if (keys.has(key)) audit.push(i); keys.add(key); }
        }
        i = end;
        continue;
      }
      if (b === LBRACE || b === LBRACK) { if (frames.push(b === LBRACE ? null : false) > most) throw tooDeep(); }
      else if (b === RBRACE || b === RBRACK) { frames.pop(); if (frames.length === 0) return i + 1; }
      else if (b === MINUS || (b >= DIGIT_0 && b <= DIGIT_9)) {
        let j = i + 1;
        while (j < this.buf.length && isNumberByte(this.buf[j]!)) j++;
        if (!shortestNumber(this.buf, i, j)) audit.push(i);
        i = j;
        continue;
      } else if (isSpace(b)) audit.push(i);
      i++;
      if (i > this.buf.length) throw new SyntaxError('unterminated container');
    }
  }

  value(depth: number, old?: JsonNode): JsonNode {
    this.skipSpace();
    const start = this.pos;
    const reuse = this.reuse;
    if (old && reuse) {
      const same = reuse.take(old, start, this.audit);
      if (same) { this.pos = same.end; return same; }
    }
    if (++this.values > MAX_SKELETON_VALUES) {
      throw new JsonLimitError(`The request body holds more than ${MAX_SKELETON_VALUES} JSON values in its first ${this.maxDepth + 1} levels; Synrouter's limit is ${MAX_SKELETON_VALUES}.`, MAX_SKELETON_VALUES);
    }
    const b = this.buf[this.pos]!;
    if (b === QUOTE) { this.pos = this.stringEnd(this.pos); return { kind: 'leaf', start, end: this.pos }; }
    if (b === LBRACE || b === LBRACK) {
      if (depth >= MAX_NESTING) throw tooDeep();
      if (depth >= this.maxDepth) { this.pos = this.audit ? this.skipAudited(this.pos, depth, this.audit) : this.skipContainer(this.pos, depth); return { kind: 'leaf', start, end: this.pos }; }
      return b === LBRACE ? this.object(depth, old) : this.array(depth, old);
    }
    while (this.pos < this.buf.length && !isSpace(this.buf[this.pos]!) && this.buf[this.pos] !== COMMA && this.buf[this.pos] !== RBRACE && this.buf[this.pos] !== RBRACK) this.pos++;
    if (this.audit && (b === MINUS || (b >= DIGIT_0 && b <= DIGIT_9)) && !shortestNumber(this.buf, start, this.pos)) this.audit.push(start);
    return { kind: 'leaf', start, end: this.pos };
  }

  object(depth: number, old?: JsonNode): ObjectNode {
    const node: ObjectNode = { kind: 'object', start: this.pos, end: 0, entries: new Map() };
    this.pos++;
    this.skipSpace();
    if (this.buf[this.pos] === RBRACE) { this.pos++; node.end = this.pos; return node; }
    for (;;) {
      this.skipSpace();
      const keyStart = this.pos;
      if (this.buf[this.pos] !== QUOTE) throw new SyntaxError(`expected a key at ${this.pos}`);
      this.pos = this.stringEnd(this.pos);
      const key = decodeKey(this.buf, keyStart, this.pos);
      this.skipSpace();
      if (this.buf[this.pos] !== COLON) throw new SyntaxError(`expected ':' at ${this.pos}`);
      this.pos++;
      if (this.audit && (node.entries.has(key) || oddKey(key))) this.audit.push(keyStart);
      node.entries.set(key, this.value(depth + 1, old?.kind === 'object' ? old.entries.get(key) : undefined));
      this.skipSpace();
      if (this.buf[this.pos] === COMMA) { this.pos++; continue; }
      if (this.buf[this.pos] === RBRACE) { this.pos++; node.end = this.pos; return node; }
      throw new SyntaxError(`expected ',' or '}' at ${this.pos}`);
    }
  }

  array(depth: number, old?: JsonNode): ArrayNode {
    const node: ArrayNode = { kind: 'array', start: this.pos, end: 0, items: [] };
    this.pos++;
    this.skipSpace();
    if (this.buf[this.pos] === RBRACK) { this.pos++; node.end = this.pos; return node; }
    for (;;) {
      this.skipSpace();
      node.items.push(this.value(depth + 1, old?.kind === 'array' && this.reuse ? this.reuse.item(old, node.items.length, this.pos) : undefined));
      this.skipSpace();
      if (this.buf[this.pos] === COMMA) { this.pos++; continue; }
      if (this.buf[this.pos] === RBRACK) { this.pos++; node.end = this.pos; return node; }
      throw new SyntaxError(`expected ',' or ']' at ${this.pos}`);
    }
  }
}

/**
 * `audit`, when given, receives the offset of every place where the bytes differ from what
 * JSON.stringify would write for the parsed value (see `Canonical`): whitespace between tokens,
 * a duplicate, index-like or `__proto__` key, a number not in shortest form. Escapes are not
 * checked here (`auditEscapes`). `reuse`: take unchanged values from an earlier scan.
 */
export function scanJson(buf: Buffer, maxDepth = 8, audit?: number[], reuse?: Reuse): JsonNode {
  return new Scanner(buf, maxDepth, audit, reuse).value(0, reuse?.root);
}

/** Depth of the skeleton of an Anthropic Messages body that the cache engine edits in:
 *  root > messages > message > content > block > tool_result content > block. */
export const MESSAGES_SKELETON_DEPTH = 7;

/**
 * Where a JSON text is not in JSON.stringify's form, so that a byte range can stand for
 * `JSON.stringify(JSON.parse(range))` without re-serialising (prompt hashing and token counts,
 * protocols/anthropic/prompt.ts). `all`: nothing is (the bytes are not valid UTF-8).
 */
export interface Canonical { all: boolean; offsets: number[] }

/** The first index of ascending `values` whose value is at least `at`; `values.length` when none is. */
export function lowerBound(values: readonly number[], at: number): number {
  let lo = 0, hi = values.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (values[mid]! < at) lo = mid + 1; else hi = mid; }
  return lo;
}

/** The first of `nodes` (in offset order) starting at `at` or later; `nodes.length` when none does. */
export function firstNodeFrom(nodes: readonly JsonNode[], at: number): number {
  let lo = 0, hi = nodes.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (nodes[mid]!.start < at) lo = mid + 1; else hi = mid; }
  return lo;
}

/** Whether the bytes [start, end) are exactly JSON.stringify of their own parse. */
export function isCanonicalRange(c: Canonical, start: number, end: number): boolean {
  if (c.all) return false;
  const o = c.offsets;
  const i = lowerBound(o, start);
  return i === o.length || o[i]! >= end;
}

const ESCAPE_U = Buffer.from('\\u'), ESCAPE_SLASH = Buffer.from('\\/');
const HEX = (b: number) => (b >= DIGIT_0 && b <= DIGIT_9 ? b - DIGIT_0 : b >= 0x61 && b <= 0x66 ? b - 0x61 + 10 : -1);

/**
 * Escapes JSON.stringify does not write: `\/`, and `\u` other than lowercase `\u00xx` for a control
 * character without a short form; those starting in [from, to).
 */
export function auditEscapes(buf: Buffer, audit: number[], from = 0, to = buf.length): void {
  // Searched within the range (plus one byte, for a needle starting at its last byte): the next escape can be far away.
  const range = from === 0 && to >= buf.length ? buf : buf.subarray(from, Math.min(to + 1, buf.length));
  for (const needle of [ESCAPE_U, ESCAPE_SLASH]) {
    for (let r = range.indexOf(needle); r >= 0 && r < to - from; r = range.indexOf(needle, r + 1)) {
      const i = from + r;
      if (escaped(buf, i)) continue; // an escaped backslash followed by "u" or "/"
      if (needle === ESCAPE_U && buf[i + 2] === DIGIT_0 && buf[i + 3] === DIGIT_0) {
        const hi = HEX(buf[i + 4]!), lo = HEX(buf[i + 5]!);
        const code = hi * 16 + lo;
        if (hi >= 0 && hi <= 1 && lo >= 0 && code !== 0x08 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d) continue;
      }
      audit.push(i);
    }
  }
}

/** Bytes [start, end) of `buf` as a plain Uint8Array view (cheaper to make than a Buffer subarray; enough to hash). */
export function view(buf: Buffer, start: number, end: number): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset + start, end - start);
}

const MARKER_KEY = Buffer.from('"cache_control":');

/**
 * JSON.stringify of the value spanning [start, end) with every `cache_control` member removed, at
 * any depth (what a `cache_control`-dropping replacer writes), as pieces of `buf`; undefined when
 * the bytes are not in JSON.stringify's form.
 */
export function withoutMarkers(buf: Buffer, c: Canonical, start: number, end: number): Uint8Array[] | undefined {
  if (!isCanonicalRange(c, start, end)) return undefined;
  const cuts: Array<[number, number]> = [];
  let at = start;
  // Searched within the range only: the next marker in the body can be 100s of KB further on.
  const range = buf.subarray(start, end);
  for (let r = range.indexOf(MARKER_KEY); r >= 0; r = range.indexOf(MARKER_KEY, r + 1)) {
    const p = start + r;
    if (p < at) continue; // inside a member already removed
    if (escaped(buf, p)) continue; // an escaped quote inside a string, not a key
    const valueStart = p + MARKER_KEY.length;
    const cut = memberCut(buf, p, valueStart + scanJson(buf.subarray(valueStart, end), 0).end);
    cuts.push(cut);
    at = cut[1];
  }
  return piecesWithout(buf, start, end, cuts);
}

/** [start, end) of the member `"key":value` whose key opens at `keyStart`, with the comma that goes with it. */
export function memberCut(buf: Buffer, keyStart: number, valueEnd: number): [number, number] {
  if (buf[valueEnd] === COMMA) return [keyStart, valueEnd + 1];
  if (buf[keyStart - 1] === COMMA) return [keyStart - 1, valueEnd];
  return [keyStart, valueEnd];
}

/** The bytes [start, end) of `buf` without the (sorted, disjoint) ranges `cuts`, as views. */
export function piecesWithout(buf: Buffer, start: number, end: number, cuts: ReadonlyArray<readonly [number, number]>): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let at = start;
  for (const [from, to] of cuts) { if (from > at) parts.push(view(buf, at, from)); at = to; }
  parts.push(view(buf, at, end));
  return parts;
}

/**
 * A body's skeleton scanned to `depth`, with where its bytes are not in JSON.stringify's form.
 * `values`: how many values this scan took apart itself (not counting those taken from an earlier one).
 */
export interface Scan { depth: number; root: JsonNode; canonical: Canonical; values: number }

const skeletons = new WeakMap<Buffer, Scan>();

/** The skeleton alone, for edits that hash nothing: the one `scanned` kept if any, else a plain scan (no audit). */
export function structure(buf: Buffer, maxDepth: number): JsonNode {
  const known = skeletons.get(buf);
  return known && known.depth >= maxDepth ? known.root : scanJson(buf, maxDepth);
}

/** Drops what `scanned` remembers about `buf` (for a buffer that will be kept long after its request). */
export function forgetScan(buf: Buffer): void {
  skeletons.delete(buf);
}

/**
 * The skeleton and where the bytes are not in JSON.stringify's form (see `Canonical`), remembered
 * per buffer: the body is scanned once per request and the same skeleton serves parsing and the
 * rewrite. A skeleton scanned deeper than asked is returned as is (the nodes down to the asked
 * depth are the same). The buffer must not change afterwards. `reuse`: values of an earlier scan
 * to take instead of scanning them (json/rescan.ts).
 */
export function scanned(buf: Buffer, maxDepth: number, reuse?: Reuse): Scan {
  const known = skeletons.get(buf);
  if (known && known.depth >= maxDepth) return known;
  const offsets: number[] = [];
  const scanner = new Scanner(buf, maxDepth, offsets, reuse);
  const root = scanner.value(0, reuse?.root);
  const all = !isUtf8(buf);
  if (!all) {
    // Escapes inside values taken from an earlier scan came with their offsets; the rest is searched.
    // Most gaps between taken values are a comma or a key: searched natively only when they hold a
    // backslash (two native searches per gap were a tenth of a turn's scan).
    let at = 0;
    for (const [from, to] of reuse?.taken ?? []) { if (from > at && mayHoldEscape(buf, at, from)) auditEscapes(buf, offsets, at, from); at = to; }
    if (at < buf.length) auditEscapes(buf, offsets, at, buf.length);
  }
  offsets.sort((a, b) => a - b);
  const entry: Scan = { depth: maxDepth, root, canonical: { all, offsets }, values: scanner.values };
  skeletons.set(buf, entry);
  return entry;
}

/** Whether [from, to) may start an escape: it is long, or it holds a backslash. */
function mayHoldEscape(buf: Buffer, from: number, to: number): boolean {
  if (to - from > 64) return true;
  for (let i = from; i < to; i++) if (buf[i] === BACKSLASH) return true;
  return false;
}

/** Child of an object node by key, or of an array node by index; undefined when absent. */
export function child(node: JsonNode | undefined, key: string | number): JsonNode | undefined {
  if (!node) return undefined;
  if (node.kind === 'object' && typeof key === 'string') return node.entries.get(key);
  if (node.kind === 'array' && typeof key === 'number') return node.items[key < 0 ? node.items.length + key : key];
  return undefined;
}
