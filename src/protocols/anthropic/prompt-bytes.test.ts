// buildPrompt from the request's bytes (PromptSource) must give exactly what buildPrompt from the
// parsed object gives, for any way of writing the same JSON: the cache engine's hashes are compared
// across turns and persisted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPrompt } from './prompt.ts';
import { MESSAGES_SKELETON_DEPTH, scanned, type ObjectNode } from '../../json/scan-json.ts';
import type { MessagesRequest } from './wire.ts';
import { parseJsonBuffer } from '../../json/parse-json.ts';
import { anthropicStable, derivedSessionId, fingerprint } from '../../session/fingerprint.ts';

let seed = 3;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

/** How often each way of writing JSON differently from JSON.stringify is used. */
interface Messy { ws: number; escape: number; number: number; duplicate: number }
const messiness = (i: number): Messy => {
  const rate = [0, 0.02, 0.2, 1][i % 4]!;
  const only = Math.floor(i / 4) % 5; // 0: all kinds at once, else one kind alone
  const on = (k: number) => (only === 0 || only === k ? rate : 0);
  return { ws: on(1), escape: on(2), number: on(3), duplicate: on(4) };
};

/** JSON text of `v`, written in one of the many ways that parse to the same value. */
function write(v: unknown, messy: Messy): string {
  const ws = () => (rnd() < messy.ws * 0.3 ? pick([' ', '\n', '\t ', '\r\n']) : '');
  if (typeof v === 'string') {
    let out = '"';
    for (const ch of v) {
      const code = ch.codePointAt(0)!;
      const r = rnd();
      if (r < messy.escape * 0.15 && code < 0x10000) out += '\\u' + code.toString(16).padStart(4, '0')[rnd() < 0.5 ? 'toUpperCase' : 'toLowerCase']();
      else if (ch === '/' && r < messy.escape * 0.5) out += '\\/';
      else out += JSON.stringify(ch).slice(1, -1);
    }
    return out + '"';
  }
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v !== 0 && Math.abs(v) < 1e15 && rnd() < messy.number * 0.5) return pick([`${v}.0`, `${v}e0`, `${v}0e-1`]);
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${ws()}${v.map((x) => write(x, messy)).join(`${ws()},${ws()}`)}${ws()}]`;
  if (v && typeof v === 'object') {
    const members = Object.entries(v).map(([k, x]) => `${write(k, messy)}${ws()}:${ws()}${write(x, messy)}`);
    if (rnd() < messy.duplicate * 0.3 && members.length) members.unshift(`${JSON.stringify(pick(Object.keys(v)))}:"shadowed"`);
    // Keys that JSON.parse does not keep in place: array indices (enumerated first), __proto__.
    if (rnd() < messy.duplicate * 0.1) members.push(pick(['"9":1', '"__proto__":{"x":1}', '"0":{"cache_control":1}']));
    return `{${ws()}${members.join(`${ws()},${ws()}`)}${ws()}}`;
  }
  return JSON.stringify(v);
}

const TEXTS = ['x-anthropic-billing-header: cc_version=1;', 'plain', 'café → “x” \u001b[31m red', 'a/b\\c "q"\n\ttab', '🚀 emoji', '', '\u2028 sep', 'ctrl \u0001 \u007f'];
const marker = () => (rnd() < 0.5 ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: '1h' });
const maybeMark = <T extends Record<string, unknown>>(b: T): T => (rnd() < 0.25 ? (rnd() < 0.5 ? { ...b, cache_control: marker() } : { cache_control: marker(), ...b }) : b);

function block(depth = 0): Record<string, unknown> {
  const r = rnd();
  if (r < 0.35) return maybeMark({ type: 'text', text: pick(TEXTS) });
  if (r < 0.5) return maybeMark({ type: 'tool_use', id: 'toolu_1', name: 'Read', input: { path: pick(TEXTS), limit: pick([0, 2000, -5, 1.5, 1e21]), nested: { deep: [{ a: 1, b: { c: pick(TEXTS) } }] }, ...(rnd() < 0.3 ? { cache_control: pick(['x', { deep: { cache_control: 1 } }]) } : {}) } });
  if (r < 0.7 && depth < 2) {
    const content = rnd() < 0.4 ? pick(TEXTS) : Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => (rnd() < 0.2 ? block(depth + 1) : maybeMark({ type: 'text', text: pick(TEXTS) })));
    return maybeMark({ type: 'tool_result', tool_use_id: 'toolu_1', content, ...(rnd() < 0.2 ? { is_error: true } : {}) });
  }
  if (r < 0.8) return { type: 'thinking', thinking: pick(TEXTS), signature: 'sig' };
  return maybeMark({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } });
}

function request(): MessagesRequest {
  const tools = Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => maybeMark({
    name: `tool_${i}`, description: pick(TEXTS),
    input_schema: { type: 'object', properties: { p: { type: 'integer', minimum: pick([0, 1, 0.5, 100]), items: { enum: [1, 2, 3] } }, ...(rnd() < 0.3 ? { cache_control: { type: 'string', description: '"cache_control": in text' }, 'x"cache_control': { type: 'string' } } : {}) }, required: ['p'] },
  }));
  const system = rnd() < 0.3 ? pick(TEXTS) : Array.from({ length: Math.floor(rnd() * 3) }, () => maybeMark({ type: 'text', text: pick(TEXTS) }));
  const messages = Array.from({ length: 1 + Math.floor(rnd() * 5) }, (_, i) => ({
    role: i % 2 ? 'assistant' : 'user',
    content: rnd() < 0.3 ? pick(TEXTS) : Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => block()),
  }));
  return {
    model: 'claude-sonnet-4-6', max_tokens: 100, ...(tools.length ? { tools } : {}), system, messages,
    ...(rnd() < 0.3 ? { tool_choice: { type: 'auto' } } : {}), ...(rnd() < 0.2 ? { thinking: { type: 'enabled', budget_tokens: 1024 } } : {}),
    ...(rnd() < 0.2 ? { cache_control: { type: 'ephemeral' } } : {}),
  } as unknown as MessagesRequest;
}

test('prompt from bytes = prompt from the parsed request, however the JSON is written', () => {
  let fromBytes = 0;
  for (let i = 0; i < 4000; i++) {
    const messy = messiness(i);
    const raw = Buffer.from(write(request(), messy));
    const parsed = JSON.parse(raw.toString('utf8')) as MessagesRequest;
    const { root, canonical } = scanned(raw, MESSAGES_SKELETON_DEPTH);
    // Fresh objects for each side: buildPrompt remembers renderings by block and message object, so
    // the same objects a second time would replay the first rendering instead of hashing the bytes.
    const got = buildPrompt(parsed, { raw, root: root as ObjectNode, canonical, request: parsed });
    const expected = buildPrompt(structuredClone(parsed));
    assert.deepEqual(got, expected, raw.toString());
    if (canonical.offsets.length === 0) fromBytes++;
  }
  assert.ok(fromBytes > 500, `canonical bodies seen: ${fromBytes}`);
});

test('reordered tools and edited blocks: the edited ones are rendered from their objects', () => {
  for (let i = 0; i < 500; i++) {
    const raw = Buffer.from(write(request(), messiness(i)));
    const parsed = JSON.parse(raw.toString('utf8')) as MessagesRequest;
    const { root, canonical } = scanned(raw, MESSAGES_SKELETON_DEPTH);
    const tools = parsed.tools ?? [];
    const order = tools.map((_, k) => k).reverse();
    const view = { ...parsed, tools: order.map((k) => tools[k]!), messages: parsed.messages.map((m, k) => (k === 0 && Array.isArray(m.content) ? { ...m, content: m.content.map((b, j) => (j === 0 ? { ...b, text: 'edited' } : b)) } : m)) } as MessagesRequest;
    assert.deepEqual(buildPrompt(view, { raw, root: root as ObjectNode, canonical, request: parsed, toolOrder: order }), buildPrompt(structuredClone(view)));
  }
});

test('remembered renderings: a request sharing objects with earlier ones renders as a fresh copy of it does', () => {
  for (let i = 0; i < 400; i++) {
    const base = request();
    buildPrompt(base);
    const extra = { role: 'user', content: [{ type: 'text', text: pick(TEXTS) }] };
    const withEmpty = { ...base, messages: [{ role: 'user', content: [] }, ...base.messages] } as MessagesRequest;
    const variants: MessagesRequest[] = [
      base,
      { ...base, messages: [...base.messages, extra] }, // the next turn
      { ...base, messages: base.messages.slice(1) }, // the same messages at other indexes
      withEmpty, withEmpty, // a message with no blocks first: the parameters move on to the next (the second time replayed)
      { ...base, tool_choice: { type: 'any' } }, // other parameters on the first block
      { ...base, thinking: { type: 'disabled' } },
      { ...base, system: 'another system prompt' }, // everything after it hashes differently
      { ...base, tools: [] },
      { ...base, messages: base.messages.map((m, k) => (k === 0 ? { ...m, role: m.role === 'user' ? 'assistant' : 'user' } : m)) },
    ] as MessagesRequest[];
    for (const v of variants) assert.deepEqual(buildPrompt(v), buildPrompt(structuredClone(v)));
  }
});

test('session fingerprint from bytes = from the parsed request', () => {
  let fromBytes = 0;
  for (let i = 0; i < 3000; i++) {
    const raw = Buffer.from(write(request(), messiness(i)));
    const parsed = parseJsonBuffer(raw) as MessagesRequest;
    const stable = anthropicStable(parsed as never);
    const { bytes, ...plain } = stable;
    if (bytes?.tools && bytes.system && bytes.firstUser) fromBytes++;
    const fp = fingerprint(stable);
    assert.deepEqual(fp, fingerprint(plain), raw.toString());
    assert.equal(derivedSessionId(fp, stable), derivedSessionId(fp, plain), raw.toString());
  }
  assert.ok(fromBytes > 500, `all from bytes: ${fromBytes}`);
});
