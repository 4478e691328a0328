import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonLimitError } from '../errors.ts';
import { checkNesting, MAX_NESTING, MAX_SKELETON_VALUES } from './json-limits.ts';
import { scanned, scanJson } from './scan-json.ts';
import { parseJsonBuffer } from './parse-json.ts';

const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

test('nesting: MAX_NESTING levels pass and one more throws, in the skeleton, in skipped containers (plain and audited), and after JSON.parse', () => {
  for (const depth of [0, 3, 7, 200]) {
    assert.doesNotThrow(() => scanJson(Buffer.from(nested(MAX_NESTING)), depth), `depth ${depth}`);
    assert.throws(() => scanJson(Buffer.from(nested(MAX_NESTING + 1)), depth), JsonLimitError, `depth ${depth}`);
    assert.throws(() => scanned(Buffer.from(nested(MAX_NESTING + 1)), depth), JsonLimitError, `audited, depth ${depth}`);
  }
  assert.doesNotThrow(() => checkNesting(JSON.parse(nested(MAX_NESTING))));
  assert.throws(() => checkNesting(JSON.parse(`{"a":${nested(MAX_NESTING)}}`)), JsonLimitError);
  // A million levels: no stack overflow anywhere, the same error.
  const deep = Buffer.from(`{"a":${nested(1_000_000)}}`);
  assert.throws(() => parseJsonBuffer(deep, 3), JsonLimitError);
  assert.throws(() => parseJsonBuffer(deep, 7, 'slot'), JsonLimitError);
  assert.throws(() => parseJsonBuffer(Buffer.from(`{"a":${nested(MAX_NESTING)}}`)), JsonLimitError, 'a small body, parsed without a skeleton');
});

test('skeleton values: the scan stops at MAX_SKELETON_VALUES, before building the rest; a body under it parses as JSON.parse does', () => {
  const items = (n: number) => Buffer.from(`{"content":[${'1,'.repeat(n - 1)}1]}`);
  const under = items(MAX_SKELETON_VALUES - 3); // the root, its member, the array
  assert.deepEqual(parseJsonBuffer(under, 3), JSON.parse(under.toString()));
  assert.throws(() => parseJsonBuffer(items(MAX_SKELETON_VALUES), 3), (err: unknown) => err instanceof JsonLimitError && /more than 600000 JSON values/.test(err.message));
  // Below the skeleton's depth, values are skipped, not counted.
  assert.doesNotThrow(() => scanJson(Buffer.from(`{"a":[[${'1,'.repeat(MAX_SKELETON_VALUES)}1]]}`), 2));
});
