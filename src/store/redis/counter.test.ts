/**
 * The Redis counter against a real redis-server (src/testing/redis.ts): an RPM limit and an in-flight
 * limit hold exactly across two instances' counters; a slot of an instance whose heartbeat expired is
 * freed; an unreachable Redis makes every call fail fast (limits.ts then falls back).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisCounter } from './counter.ts';
import { redisAvailable, startRedis } from '../../testing/redis.ts';

const skip = redisAvailable() ? false : 'no redis-server here (apt-get install -y redis-server)';

test('RPM and in-flight limits hold exactly across two counters; released slots come back', { skip }, async () => {
  const server = await startRedis();
  const a = new RedisCounter(server.url, 'inst-a');
  const b = new RedisCounter(server.url, 'inst-b');
  try {
    assert.equal(await a.ready(), true);
    assert.equal(await b.ready(), true);
    const t = 1_000_000;
    // 40 admissions at once, 20 per counter, under RPM 20: exactly 20 pass.
    const all = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).admit('k-rpm', t + i, 20, 0)));
    assert.equal(all.filter((x) => x.verdict === 'ok').length, 20);
    const refused = all.find((x) => x.verdict === 'rpm');
    assert.ok(refused && refused.verdict === 'rpm' && refused.detail > 59_000 && refused.detail <= 60_000, JSON.stringify(refused));
    // A minute later the window is free again.
    assert.equal((await a.admit('k-rpm', t + 60_001 + 40, 20, 0)).verdict, 'ok');

    // In flight: 3 at most across both; a released slot is free for the other instance.
    const held = [await a.admit('k-c', t, 0, 3), await b.admit('k-c', t, 0, 3), await a.admit('k-c', t, 0, 3)];
    assert.ok(held.every((h) => h.verdict === 'ok'));
    assert.deepEqual(await b.admit('k-c', t, 0, 3), { verdict: 'concurrency', detail: 3 });
    await a.release('k-c', (held[0] as { slot: string }).slot);
    assert.equal((await b.admit('k-c', t, 0, 3)).verdict, 'ok');
  } finally {
    await a.close();
    await b.close();
    server.stop();
  }
});

test('the slots of an instance that stopped beating are freed; an unreachable Redis fails fast', { skip }, async () => {
  const server = await startRedis();
  const a = new RedisCounter(server.url, 'inst-dead');
  const b = new RedisCounter(server.url, 'inst-live');
  try {
    await Promise.all([a.ready(), b.ready()]);
    assert.equal((await a.admit('k', 1, 0, 1)).verdict, 'ok');
    assert.equal((await b.admit('k', 2, 0, 1)).verdict, 'concurrency', 'A holds the only slot');
    // A dies (close() also deletes its heartbeat key, as its expiry would 10 s after a kill -9).
    await a.close();
    assert.equal((await b.admit('k', 3, 0, 1)).verdict, 'ok', 'its slot no longer counts');
    server.stop();
    const t0 = performance.now();
    await assert.rejects(b.admit('k', 4, 0, 1));
    assert.ok(performance.now() - t0 < 1500, 'fails within the command timeout, not after a retry loop');
  } finally {
    await b.close();
    server.stop();
  }
});
