import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentBodies } from './recent-bodies.ts';
import type { Scan } from './scan-json.ts';

const body = (n: number) => ({ buf: Buffer.alloc(n), scan: {} as Scan });

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
