import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isObject } from './json-object.ts';

test('isObject: JSON objects only, not arrays, null or scalars', () => {
  for (const v of [{}, { a: 1 }, JSON.parse('{"x":[1]}')]) assert.equal(isObject(v), true, JSON.stringify(v));
  for (const v of [[], [1], null, undefined, 0, 'x', true]) assert.equal(isObject(v), false, String(v));
});
