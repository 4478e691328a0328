/**
 * A byte-offset skeleton of a JSON document, so that rewrites can splice into the client's own
 * bytes instead of re-serialising the body. Re-serialising costs milliseconds per 200 KB on Node 24
 * (runtime.md §5) and can change bytes the cache prefix depends on (DESIGN.md §3, protocols.md §8.5).
 *
 * The input must already be valid JSON (callers JSON.parse first); this scanner does no validation.
 * Containers deeper than `maxDepth` are skipped and returned as leaves.
 */

export interface LeafNode { kind: 'leaf'; start: number; end: number }
export interface ArrayNode { kind: 'array'; start: number; end: number; items: JsonNode[] }
export interface ObjectNode { kind: 'object'; start: number; end: number; entries: Map<string, JsonNode> }
export type JsonNode = LeafNode | ArrayNode | ObjectNode;

const QUOTE = 0x22, BACKSLASH = 0x5c, LBRACE = 0x7b, RBRACE = 0x7d, LBRACK = 0x5b, RBRACK = 0x5d;
const COMMA = 0x2c, COLON = 0x3a;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export function scanJson(buf: Buffer, maxDepth = 8): JsonNode {
  let pos = 0;

  const skipSpace = (): void => { while (isSpace(buf[pos]!)) pos++; };

  // Returns the offset just past the closing quote of the string opening at `from`.
  const stringEnd = (from: number): number => {
    let i = from + 1;
    for (;;) {
      const q = buf.indexOf(QUOTE, i);
      if (q < 0) throw new SyntaxError('unterminated string');
      let back = 0;
      while (buf[q - 1 - back] === BACKSLASH) back++;
      if (back % 2 === 0) return q + 1;
      i = q + 1;
    }
  };

  const skipContainer = (from: number): number => {
    let depth = 0;
    let i = from;
    for (;;) {
      const b = buf[i]!;
      if (b === QUOTE) { i = stringEnd(i); continue; }
      if (b === LBRACE || b === LBRACK) depth++;
      else if (b === RBRACE || b === RBRACK) { depth--; if (depth === 0) return i + 1; }
      i++;
      if (i > buf.length) throw new SyntaxError('unterminated container');
    }
  };

  const value = (depth: number): JsonNode => {
    skipSpace();
    const start = pos;
    const b = buf[pos]!;
    if (b === QUOTE) { pos = stringEnd(pos); return { kind: 'leaf', start, end: pos }; }
    if (b === LBRACE || b === LBRACK) {
      if (depth >= maxDepth) { pos = skipContainer(pos); return { kind: 'leaf', start, end: pos }; }
      return b === LBRACE ? object(depth) : array(depth);
    }
    while (pos < buf.length && !isSpace(buf[pos]!) && buf[pos] !== COMMA && buf[pos] !== RBRACE && buf[pos] !== RBRACK) pos++;
    return { kind: 'leaf', start, end: pos };
  };

  const object = (depth: number): ObjectNode => {
    const node: ObjectNode = { kind: 'object', start: pos, end: 0, entries: new Map() };
    pos++;
    skipSpace();
    if (buf[pos] === RBRACE) { pos++; node.end = pos; return node; }
    for (;;) {
      skipSpace();
      const keyStart = pos;
      pos = stringEnd(pos);
      const key = JSON.parse(buf.toString('utf8', keyStart, pos)) as string;
      skipSpace();
      if (buf[pos] !== COLON) throw new SyntaxError(`expected ':' at ${pos}`);
      pos++;
      node.entries.set(key, value(depth + 1));
      skipSpace();
      if (buf[pos] === COMMA) { pos++; continue; }
      if (buf[pos] === RBRACE) { pos++; node.end = pos; return node; }
      throw new SyntaxError(`expected ',' or '}' at ${pos}`);
    }
  };

  const array = (depth: number): ArrayNode => {
    const node: ArrayNode = { kind: 'array', start: pos, end: 0, items: [] };
    pos++;
    skipSpace();
    if (buf[pos] === RBRACK) { pos++; node.end = pos; return node; }
    for (;;) {
      node.items.push(value(depth + 1));
      skipSpace();
      if (buf[pos] === COMMA) { pos++; continue; }
      if (buf[pos] === RBRACK) { pos++; node.end = pos; return node; }
      throw new SyntaxError(`expected ',' or ']' at ${pos}`);
    }
  };

  return value(0);
}

/** Child of an object node by key, or of an array node by index; undefined when absent. */
export function child(node: JsonNode | undefined, key: string | number): JsonNode | undefined {
  if (!node) return undefined;
  if (node.kind === 'object' && typeof key === 'string') return node.entries.get(key);
  if (node.kind === 'array' && typeof key === 'number') return node.items[key < 0 ? node.items.length + key : key];
  return undefined;
}
