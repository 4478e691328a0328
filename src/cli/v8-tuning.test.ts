import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tuneV8 } from './v8-tuning.ts';

test('tuneV8(0) reserves nothing', () => {
  const before = process.memoryUsage().arrayBuffers;
  tuneV8(0);
  assert.ok(process.memoryUsage().arrayBuffers - before < 1024 * 1024);
});

test('tuneV8 reserves GC headroom that counts as external memory but stays out of RSS, once', () => {
  const before = process.memoryUsage();
  tuneV8(32);
  const after = process.memoryUsage();
  // The reservation is what raises V8's collection limit, so it must be visible to V8 as Buffer memory...
  assert.ok(after.arrayBuffers - before.arrayBuffers >= 30 * 1024 * 1024, `arrayBuffers grew by ${after.arrayBuffers - before.arrayBuffers}`);
  // ...and cost no resident memory: its pages are never touched.
  assert.ok(after.rss - before.rss < 16 * 1024 * 1024, `rss grew by ${after.rss - before.rss}`);
  tuneV8(32);
  assert.ok(process.memoryUsage().arrayBuffers - after.arrayBuffers < 1024 * 1024, 'a second call reserves nothing more');
});
