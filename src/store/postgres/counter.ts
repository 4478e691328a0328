/**
 * The shared counter on PostgreSQL: one call of synrouter_admit (postgres/schema.ts) per request,
 * serialized per key by an advisory lock. In-flight counts are per (key, instance) rows; those of an
 * instance whose heartbeat stopped do not count, and its housekeeping deletes them.
 */
import type pg from 'pg';
import type { Admission, SharedCounter } from '../shared-counter.ts';

/** An instance silent this long is dead (its heartbeat is every second: postgres/instances.ts). */
export const DEAD_AFTER_MS = 10_000;

export class PgCounter implements SharedCounter {
  readonly kind = 'postgres';
  readonly #pool: pg.Pool;
  readonly #instance: string;

  constructor(pool: pg.Pool, instance: string) {
    this.#pool = pool;
    this.#instance = instance;
  }

  async admit(keyId: string, now: number, rpm: number, conc: number): Promise<Admission> {
    const { rows } = await this.#pool.query<{ verdict: 'ok' | 'rpm' | 'concurrency'; detail: number }>(
      'SELECT verdict, detail FROM synrouter_admit($1, $2, $3, $4, $5, $6)', [keyId, this.#instance, now, rpm, conc, DEAD_AFTER_MS],
    );
    const r = rows[0]!;
    return r.verdict === 'ok' ? { verdict: 'ok', slot: this.#instance } : { verdict: r.verdict, detail: r.detail } as Admission;
  }

  async release(keyId: string): Promise<void> {
    await this.#pool.query('UPDATE inflight SET n = greatest(n - 1, 0) WHERE key_id = $1 AND instance = $2', [keyId, this.#instance]);
  }

  async close(): Promise<void> {}
}
