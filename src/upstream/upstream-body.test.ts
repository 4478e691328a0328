import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dispatcher } from 'undici';
import { UpstreamBody } from './upstream-body.ts';

function fakeController() {
  const calls: string[] = [];
  const c = {
    paused: false, aborted: false, reason: null,
    pause() { c.paused = true; calls.push('pause'); },
    resume() { c.paused = false; calls.push('resume'); },
    abort() { calls.push('abort'); },
  };
  return { controller: c as unknown as Dispatcher.DispatchController, calls };
}

test('UpstreamBody gives what has arrived as one chunk, later bytes as they come, and ends', async () => {
  const { controller } = fakeController();
  const body = new UpstreamBody(controller, () => {});
  const it = body[Symbol.asyncIterator]();
  body.push(Buffer.from('event: a\n\n'));
  body.push(Buffer.from('event: b\n\n'));
  assert.equal(body.buffered, 20);
  assert.equal(String((await it.next()).value), 'event: a\n\nevent: b\n\n');
  assert.equal(body.buffered, 0);
  const next = it.next();
  body.push(Buffer.from('event: c\n\n'));
  assert.equal(String((await next).value), 'event: c\n\n');
  body.end();
  assert.equal((await it.next()).done, true);
});

test('UpstreamBody pauses the connection over the high-water mark and resumes it once read', async () => {
  const { controller, calls } = fakeController();
  const body = new UpstreamBody(controller, () => {});
  body.push(Buffer.alloc(40 * 1024));
  assert.deepEqual(calls, []);
  body.push(Buffer.alloc(40 * 1024));
  assert.deepEqual(calls, ['pause']);
  const it = body[Symbol.asyncIterator]();
  // Handing the waiting bytes to the reader empties the queue: the connection may deliver more.
  assert.equal((await it.next()).value.length, 80 * 1024);
  assert.deepEqual(calls, ['pause', 'resume']);
  body.end();
  assert.equal((await it.next()).done, true);
});
