/**
 * The shared counter on Redis or Valkey (one server, or a primary behind Sentinel; not Redis Cluster:
 * the script reads instances' heartbeat keys it cannot declare). One Lua script per admission, which
 * Redis runs atomically, so a key's admissions are serialized as with PostgreSQL's advisory lock:
 * - `sr:rpm:{key}`: a sorted set of the last minute's admissions, scored by their time;
 * - `sr:run:{key}`: a sorted set of the requests in flight (`instance:seq`); a member whose instance's
 *   heartbeat key `sr:hb:{instance}` (set every second, expiring after 10 s) is gone does not count
 *   and is removed, so a killed instance leaks no slot and a long stream keeps its own.
 * Every call fails fast when Redis does not answer (no offline queue, a 1 s command timeout), so that
 * postgres/limits.ts can fall back to per-instance counts instead of holding requests.
 */
import { Redis } from 'ioredis';
import type { Admission, SharedCounter } from '../shared-counter.ts';

const HEARTBEAT_MS = 1_000;
const DEAD_AFTER_MS = 10_000;
const WINDOW_MS = 60_000;

// KEYS: rpm set, in-flight set. ARGV: now, rpm, conc, member, heartbeat key prefix, instance.
const ADMIT = `
-- The admitting instance is alive: its heartbeat is renewed here too, not only by its timer.
redis.call('SET', ARGV[5] .. ARGV[6], '1', 'PX', ${DEAD_AFTER_MS})
local now = tonumber(ARGV[1])
local rpm = tonumber(ARGV[2])
local conc = tonumber(ARGV[3])
if rpm > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ${WINDOW_MS})
  local n = redis.call('ZCARD', KEYS[1])
  if n >= rpm then
    -- The admission that leaves the window first, as the time to retry after.
    local at = redis.call('ZRANGE', KEYS[1], n - rpm, n - rpm, 'WITHSCORES')
    return {'rpm', tonumber(at[2]) + ${WINDOW_MS} - now}
  end
end
if conc > 0 then
  local live, alive = 0, {}
  for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    local inst = string.match(m, '^(.*):[^:]*$')
    if alive[inst] == nil then alive[inst] = redis.call('EXISTS', ARGV[5] .. inst) == 1 end
    if alive[inst] then live = live + 1 else redis.call('ZREM', KEYS[2], m) end
  end
  if live >= conc then return {'concurrency', live} end
  redis.call('ZADD', KEYS[2], now, ARGV[4])
end
if rpm > 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ${WINDOW_MS + 1_000})
end
return {'ok', 0}
`;

type Scripted = Redis & { srAdmit(rpmKey: string, runKey: string, now: number, rpm: number, conc: number, member: string, hbPrefix: string, instance: string): Promise<[string, number]> };

export class RedisCounter implements SharedCounter {
  readonly kind = 'redis';
  readonly #redis: Scripted;
  readonly #instance: string;
  readonly #timer: NodeJS.Timeout;
  #seq = 0;

  constructor(url: string, instance: string) {
    this.#instance = instance;
    const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1_000, connectTimeout: 2_000, lazyConnect: false });
    // A lost connection is retried by ioredis in the background; each failed call says so (limits.ts logs once).
    redis.on('error', () => {});
    redis.defineCommand('srAdmit', { numberOfKeys: 2, lua: ADMIT });
    this.#redis = redis as Scripted;
    const beat = () => void this.#redis.set(`sr:hb:${instance}`, '1', 'PX', DEAD_AFTER_MS).catch(() => {});
    beat();
    this.#timer = setInterval(beat, HEARTBEAT_MS);
    this.#timer.unref();
  }

  /** Resolves once connected (a start with Redis down goes on with per-instance limits). */
  async ready(timeoutMs = 2_000): Promise<boolean> {
    if (this.#redis.status === 'ready') return true;
    return await new Promise((resolve) => {
      const done = (ok: boolean) => { clearTimeout(t); this.#redis.off('ready', onReady); resolve(ok); };
      const onReady = () => done(true);
      const t = setTimeout(() => done(false), timeoutMs);
      this.#redis.once('ready', onReady);
    });
  }

  async admit(keyId: string, now: number, rpm: number, conc: number): Promise<Admission> {
    const member = `${this.#instance}:${++this.#seq}`;
    const [verdict, detail] = await this.#redis.srAdmit(`sr:rpm:${keyId}`, `sr:run:${keyId}`, now, rpm, conc, member, 'sr:hb:', this.#instance);
    return verdict === 'ok' ? { verdict: 'ok', slot: member } : { verdict, detail: Number(detail) } as Admission;
  }

  async release(keyId: string, slot: string): Promise<void> {
    await this.#redis.zrem(`sr:run:${keyId}`, slot);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#redis.del(`sr:hb:${this.#instance}`).catch(() => {});
    this.#redis.disconnect();
  }
}
