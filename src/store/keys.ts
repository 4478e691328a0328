/** Synrouter's own API keys (`sk-sr-…`). Only a sha256 of each key is stored. */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export type KeyMode = 'coding' | 'general';
export type KeyRole = 'admin' | 'client';

export interface KeyRecord {
  id: string;
  name: string;
  prefix: string;
  role: KeyRole;
  mode: KeyMode;
  createdAt: number;
  revokedAt: number | null;
  /** Spend limits in USD per UTC day / month; null = none. */
  budgetUsdDay: number | null;
  budgetUsdMonth: number | null;
  /** Shadow mode: the client's bytes go upstream untouched; the engine's work is only modelled. */
  shadow: boolean;
}

export const KEY_PREFIX = 'sk-sr-';

export function hashKey(key: string): string {
  // One-shot hash(): a Hash object per call cost ~10 us per request in the server.
  return hash('sha256', key, 'hex');
}

/** Another process's change to a key (the CLI's revoke, mode) is seen by a running server within this. */
export const VERSION_CHECK_MS = 200;

/** Found keys remembered, at most this many (the map is cleared when full). */
const KNOWN_MAX = 10_000;

export interface KeyRow {
  id: string; name: string; hash: string; prefix: string; role: KeyRole; mode: KeyMode; created_at: number; revoked_at: number | null;
  budget_usd_day: number | null; budget_usd_month: number | null; shadow?: number;
}

export const toRecord = (r: KeyRow): KeyRecord => ({
  id: r.id, name: r.name, prefix: r.prefix, role: r.role, mode: r.mode, createdAt: r.created_at, revokedAt: r.revoked_at,
  budgetUsdDay: r.budget_usd_day ?? null, budgetUsdMonth: r.budget_usd_month ?? null, shadow: r.shadow === 1,
});

export interface NewKeyOptions { name: string; mode?: KeyMode; role?: KeyRole; now?: number; shadow?: boolean }

/** A new key and its record: the key in full is visible only here, once. */
export function newKey(opts: NewKeyOptions): { key: string; record: KeyRecord } {
  const key = KEY_PREFIX + randomBytes(24).toString('base64url');
  const record: KeyRecord = {
    id: 'key_' + randomBytes(6).toString('hex'), name: opts.name, prefix: key.slice(0, 12), role: opts.role ?? 'client', mode: opts.mode ?? 'coding',
    createdAt: opts.now ?? Date.now(), revokedAt: null, budgetUsdDay: null, budgetUsdMonth: null, shadow: opts.shadow === true,
  };
  return { key, record };
}

/**
 * The stored and the computed digest, compared in constant time (the lookup was by hash), so that
 * nothing about the stored hash leaks by timing.
 */
export function sameDigest(stored: string, digest: string): boolean {
  const a = Buffer.from(stored, 'hex');
  const b = Buffer.from(digest, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export class KeyStore {
  readonly #byHash: StatementSync;
  readonly #insert: StatementSync;
  readonly #dataVersion: StatementSync;
  readonly #db: DatabaseSync;
  /**
   * Found records by key digest, valid while no write went through this store and no other
   * connection committed (PRAGMA data_version changes when one did). Measured in the server under
   * load (WAL busy with ledger writes): the SELECT ~42 us per request; the PRAGMA ~10 us at c=20 and
   * ~20 us at c=1 (it begins a read transaction: two fcntl locks), so it runs at most once per
   * VERSION_CHECK_MS: a `synrouter keys revoke` in another process takes effect within that, one
   * through this store (the admin API) at once.
   */
  readonly #known = new Map<string, Readonly<KeyRecord>>();
  #version: unknown;
  #checkedAt = -Infinity;
  readonly #clock: { now(): number };

  /** `clock`: monotonic milliseconds, for the version check's spacing. */
  constructor(db: DatabaseSync, clock: { now(): number } = performance) {
    this.#db = db;
    this.#clock = clock;
    this.#byHash = db.prepare('SELECT * FROM keys WHERE hash = ?');
    this.#dataVersion = db.prepare('PRAGMA data_version');
    this.#insert = db.prepare('INSERT INTO keys (id, name, hash, prefix, role, mode, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  /** Creates a key and returns it in full: the only time it is ever visible. */
  create(opts: NewKeyOptions): { key: string; record: KeyRecord } {
    const made = newKey(opts);
    const r = made.record;
    this.#insert.run(r.id, r.name, hashKey(made.key), r.prefix, r.role, r.mode, r.createdAt);
    if (r.shadow) this.setShadow(r.id, true);
    return made;
  }

  /**
   * The record for a presented key, or undefined. The lookup is by hash; the stored and computed
   * digests are then compared in constant time so that nothing about the stored hash leaks by timing.
   */
  find(key: string): Readonly<KeyRecord> | undefined {
    const digest = hashKey(key);
    const now = this.#clock.now();
    if (now - this.#checkedAt >= VERSION_CHECK_MS) {
      this.#checkedAt = now;
      const version = (this.#dataVersion.get() as { data_version: number }).data_version;
      if (version !== this.#version) {
        this.#known.clear();
        this.#version = version;
      }
    }
    const known = this.#known.get(digest);
    if (known) return known;
    const row = this.#byHash.get(digest) as KeyRow | undefined;
    if (!row) return undefined;
    if (!sameDigest(row.hash, digest)) return undefined;
    const record = Object.freeze(toRecord(row));
    if (this.#known.size >= KNOWN_MAX) this.#known.clear();
    this.#known.set(digest, record);
    return record;
  }

  /** A write to the keys table: what find() remembers is stale from here on. */
  #write(sql: string, ...args: Array<string | number | null>): boolean {
    this.#known.clear();
    return Number(this.#db.prepare(sql).run(...args).changes) > 0;
  }

  list(): KeyRecord[] {
    return (this.#db.prepare('SELECT * FROM keys ORDER BY created_at, id').all() as unknown as KeyRow[]).map(toRecord);
  }

  get(id: string): KeyRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM keys WHERE id = ?').get(id) as KeyRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  revoke(id: string, now = Date.now()): boolean {
    return this.#write('UPDATE keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', now, id);
  }

  setShadow(id: string, shadow: boolean): boolean {
    return this.#write('UPDATE keys SET shadow = ? WHERE id = ?', shadow ? 1 : 0, id);
  }

  setMode(id: string, mode: KeyMode): boolean {
    return this.#write('UPDATE keys SET mode = ? WHERE id = ?', mode, id);
  }

  rename(id: string, name: string): boolean {
    return this.#write('UPDATE keys SET name = ? WHERE id = ?', name, id);
  }

  /** Sets the given limits (null clears one; a limit left undefined is kept). */
  setBudget(id: string, budget: { day?: number | null; month?: number | null }): boolean {
    const current = this.get(id);
    if (!current) return false;
    const day = budget.day === undefined ? current.budgetUsdDay : budget.day;
    const month = budget.month === undefined ? current.budgetUsdMonth : budget.month;
    return this.#write('UPDATE keys SET budget_usd_day = ?, budget_usd_month = ? WHERE id = ?', day, month, id);
  }

  /** The store's connection, for the read-side queries of the admin API (store/queries.ts). */
  get connection(): DatabaseSync {
    return this.#db;
  }

  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM keys').get() as { n: number }).n;
  }
}
