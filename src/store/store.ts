/**
 * The store: keys, the ledger, per-session engine state, shared limits and the read side, behind one
 * interface with two implementations. SQLite (node:sqlite, the embedded default: one process on one
 * file) answers synchronously; PostgreSQL (store/postgres/, several instances on one database) answers
 * through the network. So the methods a turn calls return `Awaitable`: callers `await` them, which
 * costs the SQLite path a microtask and lets the PostgreSQL path do its round trip.
 */
import type { KeyMode, KeyRecord, KeyRole } from './keys.ts';
import type { OpenRow, OpenTurn, Progress, TurnRow } from './ledger.ts';
import type { SessionStoreApi } from '../session/session-cache-state.ts';
import type { Queries } from './queries.ts';
import type { LimitsApi, LimitsConfig } from '../auth/limits.ts';
import type { Awaitable } from './awaitable.ts';

// The parts' interfaces live beside what they describe (so those modules need not import this one);
// named here too, for the stages that take the store's parts.
export type { Awaitable, LimitsApi, SessionStoreApi };


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
