/**
 * The store on PostgreSQL, for several instances on one database (issue 20): migrations under an
 * advisory lock, this instance's heartbeat, and the shared keys, ledger, session state and limits.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { LimitsConfig } from '../../auth/limits.ts';
import { Queries } from '../queries.ts';
import { numberedPlaceholders, type SqlReader } from '../sql.ts';
import type { Store } from '../store.ts';
import { createPool, redactUrl } from './connect.ts';
import { Instances } from './instances.ts';
import { PgKeyStore } from './keys.ts';
import { PgLedger } from './ledger.ts';
import { PgLimits } from './limits.ts';
import { migrate, MIGRATIONS, schemaVersion } from './schema.ts';
import { PgSessionStore } from './sessions.ts';
import { PgCounter } from './counter.ts';
import { RedisCounter } from '../redis/counter.ts';
import type { SharedCounter } from '../shared-counter.ts';

export interface PgStoreOptions {
  ledger: { flushMs: number; batchSize: number };
  clock: { now(): number };
  /** Session states idle longer than this are deleted by the housekeeping; 0 keeps them. */
  sessionRetentionMs: number;
  /** Redis/Valkey for the shared request counters (store/shared-counter.ts); PostgreSQL's otherwise. */
  redisUrl?: string;
}

function pgReader(pool: pg.Pool): SqlReader {
  return { dialect: 'postgres', all: async (sql, params = []) => (await pool.query(numberedPlaceholders(sql), params as unknown[])).rows };
}

/** Keys and the read side only, without a heartbeat or a ledger: for the CLI. */
export async function openPgAdmin(url: string): Promise<Pick<Store, 'kind' | 'where' | 'keys' | 'queries' | 'close'>> {
  const pool = createPool(url, { max: 2 });
  await migrate(pool);
  const keys = new PgKeyStore(pool, { poll: false });
  return { kind: 'postgres', where: redactUrl(url), keys, queries: new Queries(pgReader(pool)), close: async () => { keys.close(); await pool.end(); } };
}

/** Applies the migrations and returns how many ran (`synrouter migrate`). */
export async function migratePg(url: string): Promise<number> {
  const pool = createPool(url, { max: 1 });
  try {
    return await migrate(pool);
  } finally {
    await pool.end();
  }
}

export async function openPgStore(url: string, opts: PgStoreOptions): Promise<Store> {
  const pool = createPool(url, { max: 10 });
  const fast = createPool(url, { max: 10, asyncCommit: true });
  try {
    await migrate(pool);
  } catch (err) {
    await Promise.all([pool.end(), fast.end()]);
    throw err;
  }
  const instance = randomBytes(6).toString('hex');
  const instances = new Instances(pool, instance, { sessionRetentionMs: opts.sessionRetentionMs, clock: opts.clock });
  await instances.start();
  const keys = new PgKeyStore(pool);
  await keys.checkVersion();
  const ledger = new PgLedger(pool, fast, instance, opts.ledger);
  const sessions = new PgSessionStore(fast, instance);
  const counter = await openCounter(fast, instance, opts.redisUrl);
  return {
    kind: 'postgres',
    where: redactUrl(url),
    keys,
    ledger,
    sessions,
    queries: new Queries(pgReader(pool)),
    limits: (config: LimitsConfig) => new PgLimits(fast, counter, config),
    async ready() {
      try {
        const version = await schemaVersion(pool);
        return version === MIGRATIONS.length ? { ok: true, detail: `postgres schema ${version}` } : { ok: false, detail: `postgres schema at ${version}, this Synrouter needs ${MIGRATIONS.length}` };
      } catch (err) {
        // The schema was checked at start (migrate above), and this instance goes on serving without the
        // database: keys it has seen, per-instance limits, ledger rows queued. Not ready would make a
        // balancer that checks /ready take every instance out at once, for an outage they ride out.
        return { ok: true, detail: `postgres unreachable, serving degraded (keys seen so far, per-instance limits, ledger rows queued): ${(err as Error).message}` };
      }
    },
    async close() {
      await ledger.close();
      await counter.close();
      await instances.stop();
      keys.close();
      await Promise.all([pool.end(), fast.end()]);
    },
  };
}

/** The shared request counter: Redis when configured (said at start if it does not answer yet), else PostgreSQL. */
async function openCounter(fast: pg.Pool, instance: string, redisUrl: string | undefined): Promise<SharedCounter> {
  if (!redisUrl) return new PgCounter(fast, instance);
  const redis = new RedisCounter(redisUrl, instance);
  if (!(await redis.ready())) console.error(`[synrouter] limits: Redis at ${redactUrl(redisUrl)} does not answer yet; limits count this instance's requests until it does`);
  return redis;
}
