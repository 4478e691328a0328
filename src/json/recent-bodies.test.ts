import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentBodies, VALUE_BYTES } from './recent-bodies.ts';
import type { Scan } from './scan-json.ts';

const body = (n: number, values = 0) => ({ buf: Buffer.alloc(n), scan: {} as Scan, values });

test('recent bodies: one per slot, bounded by bytes, the least recently set dropped first', () => {
  const recent = new RecentBodies(1000);
  recent.set('a', body(400));
  recent.set('b', body(400));
  recent.set('a', body(300)); // replaces a, and a is now the most recent
  assert.equal(recent.size, 2);
  assert.equal(recent.bytes, 700);
  recent.set('c', body(400)); // 1,100 > 1,000: b (the oldest) goes
  assert.equal(recent.get('b'), undefined);
  assert.equal(recent.get('a')?.buf.length, 300);
  assert.equal(recent.bytes, 700);
  recent.set('huge', body(1001)); // never kept
  assert.equal(recent.get('huge'), undefined);
  assert.equal(recent.bytes, 700);
});

test('recent bodies: a body is charged for its skeleton values too, so a million tiny blocks are not kept', () => {
  const recent = new RecentBodies(10 * VALUE_BYTES + 100);
  recent.set('a', body(100, 10));
  assert.equal(recent.bytes, 100 + 10 * VALUE_BYTES);
  recent.set('b', body(50, 11)); // small in bytes, over the bound in values
  assert.equal(recent.get('b'), undefined);
  recent.set('c', body(50, 1)); // a is dropped to make room
  assert.equal(recent.get('a'), undefined);
  assert.equal(recent.bytes, 50 + VALUE_BYTES);
});
