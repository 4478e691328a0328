import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonBuffer } from './parse-json.ts';

const same = (buf: Buffer, depth?: number) => {
  const expected = JSON.parse(buf.toString('utf8'));
  const got = parseJsonBuffer(buf, depth);
  assert.deepEqual(got, expected);
  // Key order too.
  assert.equal(JSON.stringify(got), JSON.stringify(expected));
};

const big = (n: number) => 'x'.repeat(n);

test('large bodies parse slice by slice to the same value, key order included', () => {
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const gen = (d: number): unknown => {
    const r = rnd();
    if (d > 5 || r < 0.25) return ['s"\\\u00e9\u{1F600}', 1.25, -0, 1e21, null, true, '', 'a\nb', big(Math.floor(rnd() * 20_000))][Math.floor(rnd() * 9)];
    if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 6) }, () => gen(d + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, (_, i) => [[`k${i}\u00fc`, `${i}`, 'type', 'a\\"b'][i % 4]!, gen(d + 1)]));
  };
  for (let i = 0; i < 12; i++) {
    const doc = { model: 'm', messages: Array.from({ length: 20 }, () => gen(0)), tail: gen(0) };
    for (const space of [undefined, 1]) {
      const buf = Buffer.from(JSON.stringify(doc, null, space));
      for (const depth of [1, 3, 7]) same(buf, depth);
    }
  }
});

test('duplicate keys, index-like keys and __proto__ behave as JSON.parse', () => {
  const pad = big(70_000);
  same(Buffer.from(`{"a":"${pad}","b":1,"a":[1,2],"2":3,"1":{"x":"${pad}"}}`));
  same(Buffer.from(`{"__proto__":{"x":1},"p":"${pad}"}`));
  const parsed = parseJsonBuffer(Buffer.from(`{"__proto__":{"x":1},"p":"${pad}"}`)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), ['__proto__', 'p']);
  assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  same(Buffer.from(` \n[${Array.from({ length: 50 }, (_, i) => `{"i":${i},"t":"${big(3000)}"}`).join(' , ')}] \n`));
});

test('invalid large bodies throw what JSON.parse throws', () => {
  const pad = big(70_000);
  const bad = [
    `{"a":"${pad}"} x`, `{"a":"${pad}",}`, `{"a":"${pad}" "b":1}`, `{a:"${pad}"}`, `{"a":["${pad}",]}`, `{"a":[,"${pad}"]}`,
    `{"a":["${pad}",,1]}`, `{"a":"${pad}","b":tru}`, `{"a":"${pad}","b":1 2}`, `{"a":"${pad}`, `{"a":"${pad}","b\u0001":1}`,
    `{"a":"${pad}","b":"\u0001"}`, `{"a":"${pad}","b":[${'1,'.repeat(40_000)}1,]}`, `\ufeff{"a":"${pad}"}`,
  ];
  for (const text of bad) {
    let expected: Error | undefined;
    try { JSON.parse(text); } catch (err) { expected = err as Error; }
    assert.ok(expected, text.slice(0, 40));
    assert.throws(() => parseJsonBuffer(Buffer.from(text)), (err: Error) => err.message === expected!.message);
  }
});
