/**
 * Keys on PostgreSQL. Found keys are kept in memory, so a turn's authentication costs no round trip;
 * every instance re-reads them when the keys' version counter (a statement trigger on keys,
 * postgres/schema.ts) moved, which it checks every VERSION_POLL_MS in the background: a key revoked
 * through any instance or the CLI is refused everywhere within that plus one query (the issue asks
 * for 1 s). While the database is unreachable the keys already found keep working.
 */
import type pg from 'pg';
import { hashKey, newKey, sameDigest, toRecord, type KeyMode, type KeyRecord, type KeyRow, type NewKeyOptions } from '../keys.ts';
import type { KeyStoreApi } from '../store.ts';

export const VERSION_POLL_MS = 250;
const KNOWN_MAX = 10_000;

export class PgKeyStore implements KeyStoreApi {
  readonly #pool: pg.Pool;
  readonly #known = new Map<string, Readonly<KeyRecord>>();
  #version: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #unreachable = false;

  constructor(pool: pg.Pool, opts: { poll?: boolean } = {}) {
    this.#pool = pool;
    if (opts.poll !== false) {
      this.#timer = setInterval(() => void this.checkVersion(), VERSION_POLL_MS);
      this.#timer.unref();
    }
  }

  /** Forgets the found keys when another connection changed the keys table. */
  async checkVersion(): Promise<void> {
    try {
      const { rows } = await this.#pool.query<{ version: number }>("SELECT version FROM store_versions WHERE name = 'keys'");
      const version = rows[0]?.version;
      if (version !== this.#version) {
        this.#known.clear();
        this.#version = version;
      }
      if (this.#unreachable) console.error('[synrouter] store: reachable again; key changes are followed again');
      this.#unreachable = false;
    } catch (err) {
      if (!this.#unreachable) console.error(`[synrouter] store: cannot check for key changes (keys found so far stay valid): ${(err as Error).message}`);
      this.#unreachable = true;
    }
  }

  find(key: string): Readonly<KeyRecord> | undefined | Promise<Readonly<KeyRecord> | undefined> {
    const digest = hashKey(key);
    return this.#known.get(digest) ?? this.#lookUp(digest);
  }

  async #lookUp(digest: string): Promise<Readonly<KeyRecord> | undefined> {
    const version = this.#version;
    const { rows } = await this.#pool.query<KeyRow>('SELECT * FROM keys WHERE hash = $1', [digest]);
    const row = rows[0];
    if (!row || !sameDigest(row.hash, digest)) return undefined;
    const record = Object.freeze(toRecord(row));
    // Not remembered when the version moved during the read: the record may be older than the change.
    if (version === this.#version) {
      if (this.#known.size >= KNOWN_MAX) this.#known.clear();
      this.#known.set(digest, record);
    }
    return record;
  }

  async #write(sql: string, ...args: Array<string | number | null>): Promise<boolean> {
    const { rowCount } = await this.#pool.query(sql, args);
    this.#known.clear();
    return (rowCount ?? 0) > 0;
  }

  async create(opts: NewKeyOptions): Promise<{ key: string; record: KeyRecord }> {
    const made = newKey(opts);
    const r = made.record;
    await this.#write('INSERT INTO keys (id, name, hash, prefix, role, mode, created_at, shadow) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      r.id, r.name, hashKey(made.key), r.prefix, r.role, r.mode, r.createdAt, r.shadow ? 1 : 0);
    return made;
  }

  async list(): Promise<KeyRecord[]> {
    return (await this.#pool.query<KeyRow>('SELECT * FROM keys ORDER BY created_at, id')).rows.map(toRecord);
  }

  async get(id: string): Promise<KeyRecord | undefined> {
    const row = (await this.#pool.query<KeyRow>('SELECT * FROM keys WHERE id = $1', [id])).rows[0];
    return row ? toRecord(row) : undefined;
  }

  revoke(id: string, now = Date.now()): Promise<boolean> {
    return this.#write('UPDATE keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', now, id);
  }

  setShadow(id: string, shadow: boolean): Promise<boolean> {
    return this.#write('UPDATE keys SET shadow = $1 WHERE id = $2', shadow ? 1 : 0, id);
  }

  setMode(id: string, mode: KeyMode): Promise<boolean> {
    return this.#write('UPDATE keys SET mode = $1 WHERE id = $2', mode, id);
  }

  rename(id: string, name: string): Promise<boolean> {
    return this.#write('UPDATE keys SET name = $1 WHERE id = $2', name, id);
  }

  /** Sets the given limits (null clears one; a limit left undefined is kept), in one statement. */
  setBudget(id: string, budget: { day?: number | null; month?: number | null }): Promise<boolean> {
    const set = [
      ...(budget.day !== undefined ? [['budget_usd_day', budget.day] as const] : []),
      ...(budget.month !== undefined ? [['budget_usd_month', budget.month] as const] : []),
    ];
    if (set.length === 0) return this.get(id).then((k) => k !== undefined);
    return this.#write(`UPDATE keys SET ${set.map(([c], i) => `${c} = $${i + 1}`).join(', ')} WHERE id = $${set.length + 1}`, ...set.map(([, v]) => v), id);
  }

  async count(): Promise<number> {
    return (await this.#pool.query<{ n: number }>('SELECT count(*) AS n FROM keys')).rows[0]!.n;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
