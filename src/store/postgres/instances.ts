/**
 * Instances on one database: each writes a heartbeat every second; the store's housekeeping runs on
 * one instance at a time (pg_try_advisory_xact_lock: the others skip that round, as scale-out.md has it
 * for jobs that must run once), every JOBS_MS:
 * - the open rows of instances whose heartbeat stopped (kill -9, a lost host) become interrupted
 *   turns, and their in-flight counts and heartbeat row are removed;
 * - admissions older than the rate window are deleted;
 * - session states idle longer than the retention are deleted.
 * An instance that stops cleanly deletes its own heartbeat row after its last ledger flush.
 */
import type pg from 'pg';
import { inTransaction } from './connect.ts';
import { recoverOpenRows } from './ledger.ts';
import { DEAD_AFTER_MS } from './counter.ts';

const HEARTBEAT_MS = 1_000;
const JOBS_MS = 2_000;
const JOBS_LOCK = 0x53726a62; // 'Srjb'

export class Instances {
  readonly #pool: pg.Pool;
  readonly id: string;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #sessionRetentionMs: number;
  readonly #clock: { now(): number };
  /** Interrupted rows recovered by this instance's housekeeping (tests, logs). */
  recovered = 0;

  constructor(pool: pg.Pool, id: string, opts: { sessionRetentionMs: number; clock: { now(): number } }) {
    this.#pool = pool;
    this.#clock = opts.clock;
    this.id = id;
    this.#sessionRetentionMs = opts.sessionRetentionMs;
  }

  /** Registers this instance (before it serves: the shared in-flight count joins on it), then keeps it alive. */
  async start(): Promise<void> {
    await this.beat();
    const beat = setInterval(() => void this.beat().catch((err: Error) => console.error(`[synrouter] store: heartbeat failed: ${err.message}`)), HEARTBEAT_MS);
    const jobs = setInterval(() => void this.housekeeping().catch((err: Error) => console.error(`[synrouter] store: housekeeping failed: ${err.message}`)), JOBS_MS);
    for (const t of [beat, jobs]) t.unref();
    this.#timers.push(beat, jobs);
  }

  async beat(): Promise<void> {
    await this.#pool.query(
      'INSERT INTO instances (id, started_at, seen_at) VALUES ($1, synrouter_now(), synrouter_now()) ON CONFLICT (id) DO UPDATE SET seen_at = synrouter_now()',
      [this.id],
    );
  }

  /** One round of the jobs, if no other instance is running them now; returns whether it ran. */
  async housekeeping(): Promise<boolean> {
    return await inTransaction(this.#pool, async (c) => {
      const { rows } = await c.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [JOBS_LOCK]);
      if (!rows[0]?.locked) return false;
      const dead = (await c.query<{ id: string }>('SELECT id FROM instances WHERE seen_at < synrouter_now() - $1', [DEAD_AFTER_MS])).rows.map((r) => r.id);
      // Open rows of instances with no heartbeat row at all (stopped before their rows were closed) are dead too.
      const orphans = (await c.query<{ instance: string }>('SELECT DISTINCT instance FROM open_turns o WHERE NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = o.instance)')).rows.map((r) => r.instance);
      const gone = [...new Set([...dead, ...orphans])];
      if (gone.length) {
        const n = await recoverOpenRows(c, 'o.instance = ANY($1::text[])', [gone]);
        await c.query('DELETE FROM inflight WHERE instance = ANY($1::text[])', [gone]);
        await c.query('DELETE FROM instances WHERE id = ANY($1::text[])', [gone]);
        if (n) console.error(`[synrouter] ledger: ${n} request(s) were at an upstream when instance(s) ${gone.join(', ')} stopped answering; recorded as interrupted`);
        this.recovered += n;
      }
      // Admissions and session times are on the serving clock (deps.clock: tests move it), not the database's.
      const now = this.#clock.now();
      await c.query('DELETE FROM rate_log WHERE ts < $1', [now - 120_000]);
      if (this.#sessionRetentionMs > 0) await c.query('DELETE FROM sessions WHERE updated_at < $1', [now - this.#sessionRetentionMs]);
      return true;
    });
  }

  /** After the last ledger flush of a clean stop: no longer counted, nothing left to recover. */
  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    await this.#pool.query('DELETE FROM inflight WHERE instance = $1', [this.id]).catch(() => {});
    await this.#pool.query('DELETE FROM instances WHERE id = $1', [this.id]).catch(() => {});
  }
}
