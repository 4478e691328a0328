/**
 * The shape of what the cache engine remembers about a session, and the store part that keeps it.
 * Types only, in a module of their own: session-state.ts (the SQLite store), carried-thinking.ts and
 * store/store.ts all name them, and none of those may import another in a circle.
 */
import type { Ttl } from '../protocols/anthropic/wire.ts';
import type { TrimDecision } from '../rewrite/trim-tool-results.ts';
import type { CarriedTurn } from '../translate/chat-via-anthropic/capture-thinking.ts';
import type { Awaitable } from '../store/awaitable.ts';
import type { Fingerprint } from './fingerprint.ts';

export interface SessionCacheState {
  model: string;
  fingerprint: Fingerprint;
  /** ms epoch of the last turn's start (TTLs count from request start, protocols.md §2.7). */
  lastAt: number;
  /** ms epoch of the last keep-alive ping that refreshed the session's entries, if any. */
  refreshedAt?: number;
  /** Prefix hash (shortened) of every position of the last forwarded request. */
  lastHashes: string[];
  /** First position of the last request's final message. */
  finalMessageFrom: number;
  messageCount: number;
  /** Breakpoints of the last forwarded request (the client's and ours): where it wrote. */
  breakpoints: Array<{ hash: string; ttl: Ttl }>;
  /** The last request's final message did not survive into the next request (OpenClaw-style). */
  tailVolatile: boolean;
  trims: Record<string, TrimDecision>;
  /** Recent gaps between turn starts, ms (newest last). */
  gaps: number[];
  /** The conversation TTL the engine chose last, when the session began, and turns seen. */
  ttl: Ttl;
  startedAt: number;
  turns: number;
  /** Signed thinking kept for a chat.completions client, oldest turn first; bounded (carried-thinking.ts). */
  thinking?: readonly CarriedTurn[];
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
