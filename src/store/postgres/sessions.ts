/**
 * Per-session engine state on PostgreSQL, for whichever instance serves a session's next turn. Each
 * instance keeps the states it used in memory with their version; a turn checks its copy with one
 * primary-key read that returns the stored state only when the version moved (scale-out.md). Writes
 * are optimistic: a write based on an old version is refused by its WHERE clause, the stored state is
 * read, merged (the first trim decision stands, as on one instance: session-state.ts) and written
 * again, so two instances serving one session at once never change a decision already sent.
 * The write is awaited before the turn's response is forwarded (handle-request.ts), so the next turn,
 * wherever it lands, reads it; it commits without waiting for the WAL flush (postgres/connect.ts).
 */
import type pg from 'pg';
import { mergeState, sessionKeyOf, StateLru, type SessionCacheState } from '../../session/session-state.ts';
import type { SessionStoreApi } from '../store.ts';

const MAX_WRITE_TRIES = 5;

export class PgSessionStore implements SessionStoreApi {
  readonly #fast: pg.Pool;
  readonly #instance: string;
  readonly #mem: StateLru;
  #unreachable = false;

  constructor(fast: pg.Pool, instance: string, opts: { maxBytes?: number } = {}) {
    this.#fast = fast;
    this.#instance = instance;
    this.#mem = new StateLru(opts.maxBytes);
  }

  async get(keyId: string, sessionId: string): Promise<SessionCacheState | undefined> {
    const k = sessionKeyOf(keyId, sessionId);
    const mine = this.#mem.peek(k);
    try {
      const { rows } = await this.#fast.query<{ version: number; state: string | null }>(
        'SELECT version, CASE WHEN version = $3 THEN NULL ELSE state END AS state FROM sessions WHERE key_id = $1 AND session_id = $2',
        [keyId, sessionId, mine?.version ?? -1],
      );
      this.#reachable();
      const row = rows[0];
      if (!row) {
        this.#mem.forget(k);
        return undefined;
      }
      if (row.state === null && mine) {
        this.#mem.remember(k, mine.state, mine.version);
        return mine.state;
      }
      const state = JSON.parse(row.state!) as SessionCacheState;
      this.#mem.remember(k, state, row.version);
      return state;
    } catch (err) {
      // The store is down: this instance's own copy is the best there is (a cold session starts cold).
      this.#unreachableNow(err);
      return mine?.state;
    }
  }

  async set(keyId: string, sessionId: string, next: SessionCacheState, opts: { override?: boolean } = {}): Promise<void> {
    const k = sessionKeyOf(keyId, sessionId);
    let base = this.#mem.peek(k);
    for (let i = 0; i < MAX_WRITE_TRIES; i++) {
      const state = mergeState(base?.state, next, opts.override);
      try {
        const version = await this.#write(keyId, sessionId, state, base?.version);
        this.#reachable();
        if (version !== undefined) {
          this.#mem.remember(k, state, version);
          return;
        }
      } catch (err) {
        this.#unreachableNow(err);
        this.#mem.remember(k, state, -1); // version -1: re-read from the store at the next turn
        return;
      }
      // Another instance wrote since `base`: merge over what it wrote.
      const stored = await this.get(keyId, sessionId);
      base = stored ? this.#mem.peek(k) : undefined;
    }
    console.error(`[synrouter] session ${sessionId}: state not written after ${MAX_WRITE_TRIES} concurrent updates; the next turn reads the stored one`);
  }

  /** Writes `state` if the stored version is still `base` (or there is none); returns the new version, or undefined when refused. */
  async #write(keyId: string, sessionId: string, state: SessionCacheState, base: number | undefined): Promise<number | undefined> {
    const json = JSON.stringify(state);
    const args = [keyId, sessionId, state.fingerprint.prefix, state.model, state.turns, state.lastAt, json, this.#instance];
    if (base === undefined || base < 0) {
      const { rows } = await this.#fast.query<{ version: number }>(
        `INSERT INTO sessions (key_id, session_id, fingerprint, model, turns, updated_at, state, version, owner)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) ON CONFLICT (key_id, session_id) DO NOTHING RETURNING version`,
        args,
      );
      return rows[0]?.version;
    }
    const { rows } = await this.#fast.query<{ version: number }>(
      `UPDATE sessions SET fingerprint = $3, model = $4, turns = $5, updated_at = $6, state = $7, owner = $8, version = version + 1
       WHERE key_id = $1 AND session_id = $2 AND version = $9 RETURNING version`,
      [...args, base],
    );
    return rows[0]?.version;
  }

  /** Only the instance that wrote the last turn's state, once per due time (postgres/schema.ts: sessions.owner, pinged_for). */
  async claimPing(keyId: string, sessionId: string, lastTurnAt: number, dueAt: number): Promise<boolean> {
    try {
      const { rowCount } = await this.#fast.query(
        `UPDATE sessions SET pinged_for = $5 WHERE key_id = $1 AND session_id = $2 AND owner = $3 AND updated_at = $4
           AND (pinged_for IS NULL OR pinged_for < $5)`,
        [keyId, sessionId, this.#instance, lastTurnAt, dueAt],
      );
      return (rowCount ?? 0) > 0;
    } catch (err) {
      // Unknown who owns it: no ping (a missed ping costs a cache write later; a double ping costs now).
      this.#unreachableNow(err);
      return false;
    }
  }

  /** Written at each turn: nothing waits here. */
  flush(): void {}

  get memory(): { bytes: number; sessions: number } {
    return this.#mem.memory;
  }

  #reachable(): void {
    if (this.#unreachable) console.error('[synrouter] store: session state reachable again');
    this.#unreachable = false;
  }

  #unreachableNow(err: unknown): void {
    if (!this.#unreachable) console.error(`[synrouter] store: session state unreachable (serving from this instance's copies): ${(err as Error).message}`);
    this.#unreachable = true;
  }
}
