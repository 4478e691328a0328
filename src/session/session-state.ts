/**
 * What the cache engine remembers about a session between turns. Kept in memory (bounded LRU) and
 * persisted in the store, so a restart neither forgets trim decisions (re-trimming an already
 * forwarded block would bust the cached prefix) nor where the last turn wrote.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { TrimDecision } from '../rewrite/trim-tool-results.ts';
import type { SessionCacheState, SessionStoreApi } from './session-cache-state.ts';
import { carriedBytes, mergeCarried } from './carried-thinking.ts';

export type { SessionCacheState, SessionStoreApi };

/**
 * Commits a turn's engine state. A shadow key forwarded the client's bytes untouched, so the session's
 * real state says every block went whole (should shadow be turned off, nothing already sent is trimmed
 * later), while the engine's own state, trims included, lives under a shadow id for the next modelled turn.
 */
export async function commitEngineState(store: SessionStoreApi, key: { id: string; shadow: boolean }, sessionId: string, next: SessionCacheState): Promise<void> {
  if (!key.shadow) return await store.set(key.id, sessionId, next);
  await store.set(key.id, shadowStateId(sessionId), next);
  const keep = Object.fromEntries(Object.keys(next.trims).map((id) => [id, { action: 'keep' } as const]));
  await store.set(key.id, sessionId, { ...next, trims: keep }, { override: true });
}

/** Where a shadow key's engine state is kept (the state the engine would have had). */
export const engineStateId = (key: { shadow: boolean }, sessionId: string) => (key.shadow ? shadowStateId(sessionId) : sessionId);
const shadowStateId = (sessionId: string) => `${sessionId}\u0000shadow`;

/** Enough hash bits to never collide within one session, at a third of the memory. */
export const shortHash = (h: string) => h.slice(0, 24);

const MAX_IN_MEMORY = 5000;

/**
 * All sessions' states in memory, in (estimated) bytes. One state holds a 24-character hash per
 * prompt position and a decision per trimmed tool result; the request caps (protocols/request-limits.ts:
 * 50,000 blocks, 1,000 tools) bound a session's state to about 2 MB, and this bound all of them
 * together, however many sessions are large.
 */
const MAX_BYTES_IN_MEMORY = 256 * 1024 * 1024;

/** Heap of a state: a string and a slot per hash, a small object per trim decision, and the rest. */
export function stateBytes(state: SessionCacheState): number {
  let trims = 0;
  for (const _ in state.trims) trims++;
  return 1024 + state.lastHashes.length * 48 + trims * 128 + state.breakpoints.length * 64 + state.gaps.length * 8 + carriedBytes(state.thinking);
}

/**
 * Whether `next` already has every decision of `prev`, as the same object: the usual case (the engine
 * replays the stored decisions), where merging would copy a session's every decision per turn for
 * nothing.
 */
function holdsAll(next: Readonly<Record<string, TrimDecision>>, prev: Readonly<Record<string, TrimDecision>>): boolean {
  for (const id in prev) if (next[id] !== prev[id]) return false;
  return true;
}

/**
 * The state after `next` is committed over `prev`: trim decisions merge, the first one standing unless
 * `override`; kept thinking merges (carried-thinking.ts mergeCarried: the union, the first standing).
 * The cache engine's next state does not carry the thinking field: the stored one is kept.
 */
export function mergeState(prev: SessionCacheState | undefined, next: SessionCacheState, override = false): SessionCacheState {
  if (!prev) return next;
  const thinking = mergeCarried(prev.thinking, next.thinking);
  const base = thinking === next.thinking ? next : { ...next, thinking: thinking! };
  if (holdsAll(next.trims, prev.trims)) return base;
  return { ...base, trims: override ? { ...prev.trims, ...next.trims } : { ...next.trims, ...prev.trims } };
}

/**
 * Sessions' states in memory, least recently used out first, bounded in count and in estimated
 * bytes (stateBytes). `version` is the store's version of the state, where the store has one.
 */
export class StateLru {
  readonly #mem = new Map<string, { state: SessionCacheState; bytes: number; version: number }>();
  #bytes = 0;
  readonly #maxBytes: number;

  constructor(maxBytes = MAX_BYTES_IN_MEMORY) {
    this.#maxBytes = maxBytes;
  }

  peek(k: string): { state: SessionCacheState; version: number } | undefined {
    return this.#mem.get(k);
  }

  remember(k: string, state: SessionCacheState, version = 0): void {
    const had = this.#mem.get(k);
    if (had) {
      this.#mem.delete(k);
      this.#bytes -= had.bytes;
    }
    // A hit on the same state keeps its size; only a new state is measured.
    const bytes = had?.state === state ? had.bytes : stateBytes(state);
    this.#mem.set(k, { state, bytes, version });
    this.#bytes += bytes;
    // Map order is insertion order: the first entries are the least recently used. The newest stays.
    for (const [oldest, entry] of this.#mem) {
      if ((this.#mem.size <= MAX_IN_MEMORY && this.#bytes <= this.#maxBytes) || oldest === k) break;
      this.#mem.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  forget(k: string): void {
    const had = this.#mem.get(k);
    if (!had) return;
    this.#mem.delete(k);
    this.#bytes -= had.bytes;
  }

  get memory(): { bytes: number; sessions: number } {
    return { bytes: this.#bytes, sessions: this.#mem.size };
  }
}

export const sessionKeyOf = (keyId: string, sessionId: string) => `${keyId}\u0000${sessionId}`;

export class SessionStore implements SessionStoreApi {
  readonly #mem: StateLru;
  readonly #dirty = new Map<string, { keyId: string; sessionId: string; state: SessionCacheState }>();
  readonly #get: StatementSync;
  readonly #put: StatementSync;
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync, opts: { maxBytes?: number } = {}) {
    this.#db = db;
    this.#mem = new StateLru(opts.maxBytes);
    this.#get = db.prepare('SELECT state FROM sessions WHERE key_id = ? AND session_id = ?');
    this.#put = db.prepare(`INSERT INTO sessions (key_id, session_id, fingerprint, model, turns, updated_at, state)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key_id, session_id) DO UPDATE SET
      fingerprint = excluded.fingerprint, model = excluded.model, turns = excluded.turns, updated_at = excluded.updated_at, state = excluded.state`);
  }

  get(keyId: string, sessionId: string): SessionCacheState | undefined {
    const k = sessionKeyOf(keyId, sessionId);
    const hit = this.#mem.peek(k)?.state ?? this.#dirty.get(k)?.state; // evicted from memory, not yet written
    if (hit) {
      this.#mem.remember(k, hit);
      return hit;
    }
    const row = this.#get.get(keyId, sessionId) as { state: string } | undefined;
    if (!row) return undefined;
    const state = JSON.parse(row.state) as SessionCacheState;
    this.#mem.remember(k, state);
    return state;
  }

  /**
   * Trim decisions are merged and the first one stands: two requests of one session in flight at once
   * (or a side call such as Claude Code's title request under the same session id) must not make the
   * session forget or change a decision, or a block forwarded trimmed could later be forwarded whole.
   * `override` is for what was really forwarded contradicting the record (shadow keys: every block whole).
   */
  set(keyId: string, sessionId: string, next: SessionCacheState, opts: { override?: boolean } = {}): void {
    const k = sessionKeyOf(keyId, sessionId);
    const state = mergeState(this.get(keyId, sessionId), next, opts.override);
    this.#mem.remember(k, state);
    this.#dirty.set(k, { keyId, sessionId, state });
  }

  /** One process on its file: every ping is this process's to send. */
  claimPing(): boolean {
    return true;
  }

  /** Estimated bytes of the states held in memory, and how many (for tests and metrics). */
  get memory(): { bytes: number; sessions: number } {
    return this.#mem.memory;
  }

  /** Persists changed sessions; called with the ledger's batches, off the hot path. */
  flush(): void {
    if (this.#dirty.size === 0) return;
    const rows = [...this.#dirty.values()];
    this.#dirty.clear();
    this.#db.exec('BEGIN');
    try {
      for (const { keyId, sessionId, state } of rows) {
        this.#put.run(keyId, sessionId, state.fingerprint.prefix, state.model, state.turns, state.lastAt, JSON.stringify(state));
      }
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#db.exec('ROLLBACK');
      for (const r of rows) if (!this.#dirty.has(`${r.keyId}\u0000${r.sessionId}`)) this.#dirty.set(`${r.keyId}\u0000${r.sessionId}`, r);
      console.error(`[synrouter] session state write failed: ${(err as Error).message}`);
    }
  }
}
