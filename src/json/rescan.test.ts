import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commonPrefix, commonSuffix, rescan } from './rescan.ts';
import { scanJson, auditEscapes, type JsonNode, type Scan } from './scan-json.ts';
import { isUtf8 } from 'node:buffer';
import { parseJsonBuffer } from './parse-json.ts';

/** What a full scan gives (the same steps as `scanned`, without its per-buffer memory). */
function fullScan(buf: Buffer, depth: number): Scan {
  const offsets: number[] = [];
  const root = scanJson(buf, depth, offsets);
  const all = !isUtf8(buf);
  if (!all) auditEscapes(buf, offsets);
  offsets.sort((a, b) => a - b);
  return { depth, root, canonical: { all, offsets }, values: 0 };
}

/** A node tree as plain data, for deepEqual (Maps as entry lists, in order). */
const plain = (n: JsonNode): unknown =>
  n.kind === 'leaf' ? [n.start, n.end]
    : n.kind === 'array' ? { a: [n.start, n.end], items: n.items.map(plain) }
      : { o: [n.start, n.end], entries: [...n.entries].map(([k, v]) => [k, plain(v)]) };

let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

// Text with what the audit looks for: escapes JSON.stringify would not write, non-ASCII.
const TEXTS = ['plain text', 'caf\u00e9 \u2192 \u{1F680}', 'a\\/b', '\\u0041BC', 'tab\\tand\\n', '\\u001f ctl', 'q\\"uote\\\\', 'x'.repeat(300)];
const NUMBERS = ['1', '-0', '1.50', '1e3', '12345678901234567', '0.1', '42'];

function block(): string {
  const r = rnd();
  if (r < 0.4) return `{"type":"text","text":"${pick(TEXTS)} ${Math.floor(rnd() * 1e6)}"${rnd() < 0.2 ? ',"cache_control":{"type":"ephemeral"}' : ''}}`;
  if (r < 0.7) return `{"type":"tool_result","tool_use_id":"t${Math.floor(rnd() * 1e6)}","content":[{"type":"text","text":"${pick(TEXTS)}"}]}`;
  if (r < 0.85) return `{ "type" : "tool_use", "id":"u${Math.floor(rnd() * 1e4)}", "input":{"n":${pick(NUMBERS)},"n":${pick(NUMBERS)},"k\\u0041y":${pick(NUMBERS)}} }`;
  return `{"type":"text","text":"${'long '.repeat(200 + Math.floor(rnd() * 400))}"}`;
}
const message = (role: string) => `{"role":"${role}","content":[${Array.from({ length: 1 + Math.floor(rnd() * 3) }, block).join(',')}]}`;
const tools = (n: number) => `[${Array.from({ length: n }, (_, i) => `{"name":"T${i}","description":"${TEXTS[i % TEXTS.length]}","input_schema":{"type":"object","properties":{"p${i}":{"type":"string","description":"${TEXTS[(i + 3) % TEXTS.length]}"}}}}`).join(',')}]`;

/** A Claude Code-ordered body: messages first, then system, tools and the rest. */
function body(messages: string[], toolCount: number, tail = ''): Buffer {
  return Buffer.from(`{"model":"claude-x","messages":[${messages.join(',')}],"system":[{"type":"text","text":"sys ${TEXTS[toolCount % TEXTS.length]}"}],"tools":${tools(toolCount)},"x\\u0041":1,"max_tokens":${NUMBERS[toolCount % NUMBERS.length]}${tail},"stream":true}`);
}

/** The next body of a session: a turn appended, the last marker moved, now and then an edit anywhere. */
function nextTurn(messages: string[]): string[] {
  const next = messages.map((m) => m.replace(',"cache_control":{"type":"ephemeral"}', ''));
  next.push(message('assistant'), message('user'));
  const r = rnd();
  if (r < 0.15 && next.length > 2) next[Math.floor(rnd() * next.length)] = message('user'); // an edit in the middle
  if (r > 0.9) next.splice(0, 2); // the start dropped (context compaction)
  return next;
}

test('a rescan gives the skeleton and audit of a full scan, over whole random sessions', () => {
  let reusedSome = 0, sameNodes = 0, copiedNodes = 0;
  for (let session = 0; session < 30; session++) {
    let messages = [message('user')];
    let toolCount = 3 + Math.floor(rnd() * 5);
    let previous = body(messages, toolCount);
    let scan = fullScan(previous, 7);
    for (let turn = 0; turn < 12; turn++) {
      messages = nextTurn(messages);
      if (rnd() < 0.1) toolCount++; // tools changed
      const tail = rnd() < 0.2 ? ' ,"metadata":{"user_id":"u"}' : '';
      const next = body(messages, toolCount, tail);
      // Depth 7 chains rescans (copies of copies); depth 3 rescans from a full scan each turn.
      let carried: Scan | undefined;
      for (const depth of [7, 3]) {
        const prev = depth === 7 ? scan : fullScan(previous, 3);
        // A buffer of its own per depth: scans are remembered per buffer (scan-json's `scanned`).
        const again = rescan(depth === 7 ? next : Buffer.from(next), depth, { buf: previous, scan: prev });
        const full = fullScan(next, depth);
        assert.ok(again);
        assert.deepEqual(plain(again.root), plain(full.root), `session ${session} turn ${turn} depth ${depth}`);
        assert.deepEqual(again.canonical, full.canonical, `audit, session ${session} turn ${turn} depth ${depth}`);
        if (depth === 7) {
          carried = again;
          // Reused, not merely equal: the first message and the tools are the earlier nodes (or copies of them).
          const first = (n: JsonNode) => (n.kind === 'object' && n.entries.get('messages')?.kind === 'array' ? (n.entries.get('messages') as { items: JsonNode[] }).items[0] : undefined);
          const f = first(prev.root);
          if (f && f.end < commonPrefix(previous, next)) { assert.equal(first(again.root), f); sameNodes++; }
          const tools = (n: JsonNode) => (n.kind === 'object' ? n.entries.get('tools') : undefined);
          if (tools(again.root) !== tools(prev.root) && commonSuffix(previous, next, Math.min(previous.length, next.length) - commonPrefix(previous, next)) > next.length - tools(again.root)!.start) copiedNodes++;
        }
      }
      if (commonPrefix(previous, next) + commonSuffix(previous, next, Math.min(previous.length, next.length)) > next.length / 2) reusedSome++;
      previous = next;
      scan = carried!;
    }
  }
  assert.ok(reusedSome > 100, `most turns share most bytes (${reusedSome})`);
  assert.ok(sameNodes > 100 && copiedNodes > 100, `nodes reused: ${sameNodes} in the prefix, ${copiedNodes} copied from the suffix`);
});

test('common prefix and suffix lengths, across block boundaries', () => {
  const a = Buffer.alloc(10_000, 0x61);
  const b = Buffer.from(a);
  b[5_000] = 0x62;
  assert.equal(commonPrefix(a, b), 5_000);
  assert.equal(commonSuffix(a, b, 10_000), 4_999);
  assert.equal(commonPrefix(a, a.subarray(0, 4_100)), 4_100);
  assert.equal(commonSuffix(a, b, 100), 100);
  const longer = Buffer.concat([Buffer.from('xyz'), a]);
  assert.equal(commonSuffix(a, longer, 10_000), 10_000);
  assert.equal(commonPrefix(Buffer.alloc(0), a), 0);
});

test('a body parsed after the one before it in a slot is the value JSON.parse gives, and shares what it repeats', () => {
  let messages = [message('user')];
  let last: { messages: unknown[]; tools: unknown } | undefined;
  let shared = 0;
  for (let turn = 0; turn < 25; turn++) {
    messages = nextTurn(messages);
    const buf = body(messages, 6);
    const got = parseJsonBuffer(buf, 7, 'test-slot') as { messages: unknown[]; tools: unknown };
    const expected = JSON.parse(buf.toString('utf8'));
    assert.deepEqual(got, expected);
    assert.equal(JSON.stringify(got), JSON.stringify(expected));
    if (last && got.tools === last.tools) shared++;
    last = got;
  }
  // The tools (after the messages in the bytes) come back as the very same object turn after turn.
  assert.ok(shared > 10, `tools shared on ${shared} turns`);
});

test('an invalid body after a valid one in the same slot fails as JSON.parse fails', () => {
  const good = body([message('user')], 3);
  parseJsonBuffer(good, 7, 'bad-slot');
  const text = good.toString('utf8');
  for (const bad of [text.replace('"messages":[', '"messages":[,'), text.slice(0, -1), text.replace('"stream":true', '"stream":tru'), `${text} x`]) {
    let expected: Error | undefined;
    try { JSON.parse(bad); } catch (err) { expected = err as Error; }
    assert.ok(expected);
    assert.throws(() => parseJsonBuffer(Buffer.from(bad), 7, 'bad-slot'), (err: Error) => err.message === expected!.message);
  }
});
