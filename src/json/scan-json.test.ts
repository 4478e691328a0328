import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanJson, child, type ObjectNode } from './scan-json.ts';
import { applyEdits, insertMember, replaceValue } from './splice.ts';

const text = (buf: Buffer, n: { start: number; end: number } | undefined) => buf.toString('utf8', n!.start, n!.end);

test('spans match the bytes of each value, including escapes and non-ASCII', () => {
  const src = ' {"model" : "claude-opus-4-8", "messages":[{"role":"user","content":"h\\"é\\\\"}, {"content":[{"type":"text","text":"x"}]}], "n": -1.5e3 , "t":true}';
  const buf = Buffer.from(src);
  const root = scanJson(buf);
  assert.equal(root.kind, 'object');
  assert.equal(text(buf, child(root, 'model')), '"claude-opus-4-8"');
  assert.equal(text(buf, child(child(child(root, 'messages'), 0), 'content')), '"h\\"é\\\\"');
  assert.equal(text(buf, child(root, 'n')), '-1.5e3');
  assert.equal(text(buf, child(root, 't')), 'true');
  const block = child(child(child(child(root, 'messages'), -1), 'content'), 0)!;
  assert.equal(text(buf, block), '{"type":"text","text":"x"}');
});

test('containers deeper than maxDepth are skipped as leaves', () => {
  const buf = Buffer.from('{"a":{"b":{"c":[1,{"d":"}"}]}}}');
  const root = scanJson(buf, 2);
  const b = child(child(root, 'a'), 'b')!;
  assert.equal(b.kind, 'leaf');
  assert.equal(text(buf, b), '{"c":[1,{"d":"}"}]}');
});

test('edits splice into the original bytes and keep everything else', () => {
  const buf = Buffer.from('{"model":"a",  "system":[{"type":"text","text":"s"}],"x":{}}');
  const root = scanJson(buf);
  const sys0 = child(child(root, 'system'), 0) as ObjectNode;
  const out = applyEdits(buf, [
    replaceValue(child(root, 'model')!, '"b"'),
    insertMember(sys0, 'cache_control', '{"type":"ephemeral"}'),
    insertMember(child(root, 'x') as never, 'k', '1'),
  ]);
  assert.equal(out.toString(), '{"model":"b",  "system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral"}}],"x":{"k":1}}');
  assert.deepEqual(JSON.parse(out.toString()).system[0].cache_control, { type: 'ephemeral' });
});

test('random documents: every array item span parses to the same value', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const gen = (d: number): unknown => {
    const r = rnd();
    if (d > 4 || r < 0.3) return ['s"\\\u00e9\u{1F600}', 1.25, null, true, '', 'a\nb'][Math.floor(rnd() * 6)];
    if (r < 0.65) return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(d + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => [`k${i}\u00fc`, gen(d + 1)]));
  };
  for (let i = 0; i < 300; i++) {
    const items = Array.from({ length: 5 }, () => gen(0));
    const buf = Buffer.from(JSON.stringify({ items }, null, i % 2 ? 1 : undefined));
    const node = child(scanJson(buf), 'items');
    assert.equal(node?.kind, 'array');
    node.items.forEach((it, k) => assert.deepEqual(JSON.parse(text(buf, it)), items[k]));
  }
});
