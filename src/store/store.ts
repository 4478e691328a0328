/**
 * The store: keys, the ledger, per-session engine state, shared limits and the read side, behind one
 * interface with two implementations. SQLite (node:sqlite, the embedded default: one process on one
 * file) answers synchronously; PostgreSQL (store/postgres/, several instances on one database) answers
 * through the network. So the methods a turn calls return `Awaitable`: callers `await` them, which
 * costs the SQLite path a microtask and lets the PostgreSQL path do its round trip.
 */
import type { KeyMode, KeyRecord, KeyRole } from './keys.ts';
import type { OpenRow, OpenTurn, Progress, TurnRow } from './ledger.ts';
import type { SessionCacheState } from '../session/session-state.ts';
import type { Queries } from './queries.ts';
import type { LimitsConfig } from '../auth/limits.ts';

export type Awaitable<T> = T | Promise<T>;

export interface KeyStoreApi {
  /** The record for a presented key, or undefined (revoked keys are returned: the caller says why it refuses). */
  find(key: string): Awaitable<Readonly<KeyRecord> | undefined>;
  create(opts: { name: string; mode?: KeyMode; role?: KeyRole; now?: number; shadow?: boolean }): Awaitable<{ key: string; record: KeyRecord }>;
  list(): Awaitable<KeyRecord[]>;
  get(id: string): Awaitable<KeyRecord | undefined>;
  revoke(id: string, now?: number): Awaitable<boolean>;
  setShadow(id: string, shadow: boolean): Awaitable<boolean>;
  setMode(id: string, mode: KeyMode): Awaitable<boolean>;
  rename(id: string, name: string): Awaitable<boolean>;
  setBudget(id: string, budget: { day?: number | null; month?: number | null }): Awaitable<boolean>;
  count(): Awaitable<number>;
}

export interface LedgerApi {
  /** This process's id in the store (open rows, shared counters and keep-alive ownership carry it). */
  readonly instance: string;
  open(row: OpenRow, progress?: () => Progress): Promise<OpenTurn>;
  record(row: TurnRow, open?: OpenTurn): void;
  /** Writes what is queued now; resolves when it is committed (or kept for the next try). */
  flush(): Awaitable<void>;
  close(): Awaitable<void>;
  readonly pending: number;
  readonly running: number;
  readonly failures: number;
  /** Rows dropped because the queue overflowed while the store could not be written (never otherwise). */
  readonly dropped: number;
  /** Rows the store refused for their values (PostgreSQL: a data error), logged whole and set aside. */
  readonly rejected: number;
}

export interface SessionStoreApi {
  get(keyId: string, sessionId: string): Awaitable<SessionCacheState | undefined>;
  /** Trim decisions merge and the first one stands (session-state.ts); `override` for what was really sent. */
  set(keyId: string, sessionId: string, next: SessionCacheState, opts?: { override?: boolean }): Awaitable<void>;
  flush(): Awaitable<void>;
  /**
   * Whether this instance sends the keep-alive ping due at `dueAt` for the session whose last turn
   * started at `lastTurnAt`: true exactly once per due time, and only on the instance that served
   * that turn (a later turn elsewhere moves the ownership).
   */
  claimPing(keyId: string, sessionId: string, lastTurnAt: number, dueAt: number): Awaitable<boolean>;
  readonly memory: { bytes: number; sessions: number };
}

export interface LimitsApi {
  /** Admits a request or throws a 429 ProxyError; the returned function releases its concurrency slot. */
  admit(key: KeyRecord, now: number): Awaitable<() => void>;
  overBudget(key: KeyRecord, now: number): Awaitable<boolean>;
  spend(keyId: string, ts: number, usd: number | null): void;
  /** 'shared' while the counters hold across instances; 'local' when they are per instance (SQLite, or the shared counter unreachable). */
  readonly scope: 'shared' | 'local';
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Where it is, for logs: the file path, or the database URL without its password. */
  readonly where: string;
  readonly keys: KeyStoreApi;
  readonly ledger: LedgerApi;
  readonly sessions: SessionStoreApi;
  readonly queries: Queries;
  limits(config: LimitsConfig): LimitsApi;
  /** For GET /ready: the schema is at this version's migrations (a store down after start is degraded, still ready: postgres/store.ts). */
  ready(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}
