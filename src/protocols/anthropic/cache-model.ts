// The prompt-cache model: which prefixes a request reads and writes, and the usage it reports.
// Section numbers refer to /work/shared/reference/protocols.md.
//
// * Scope (2.8): entries are isolated per scope; the simulator uses API key + model.
// * Breakpoints (2.1, 2.3): each explicit `cache_control`, plus the automatic one from a top-level
//   `cache_control`, which sits on the last cacheable block (walking back over thinking,
//   redacted_thinking and empty text). A breakpoint at position P stands for the prefix 0..P; its key is
//   the chained hash of that prefix (prompt.ts), which ignores `cache_control`, so a marker that moves
//   does not change the identity of the prefix it used to sit on.
// * Minimum length (2.6): a breakpoint whose prefix is shorter than the model's minimum neither reads
//   nor writes ("not eligible"); no error.
// * Read with lookback (2.4): for each eligible breakpoint, from last to first, look up its prefix; on a
//   miss walk back one position at a time, up to 20 positions counting the breakpoint itself. A run of
//   consecutive tool_use positions counts as one position, and so does a run of consecutive
//   tool_result positions. Only entries that earlier requests wrote at their own breakpoints exist.
//   The hit is the longest prefix found (A).
// * Visibility (2.7): an entry becomes readable when the writing response has begun (headers sent);
//   a request that started before that misses (and writes again).
// * Lifetime (2.7): 5m or 1h from the START of the request that wrote or read the entry; a hit
//   refreshes it without ever shortening it.
// * Usage (2.7 mixed TTLs, 2.9): A = tokens of the hit prefix, B = tokens of the highest eligible 1h
//   breakpoint beyond A, C = tokens of the last eligible breakpoint:
//     cache_read = A, 1h writes = max(0, B - A), 5m writes = C - max(A, B),
//     input_tokens = total - max(A, C).
//   Every eligible breakpoint beyond A writes an entry with its own TTL.

import { minCacheableTokens } from './cache-rules.ts';
import type { Prompt, PromptPosition } from './prompt.ts';
import type { InputUsage, Ttl } from './wire.ts';

import { TTL_MS, LOOKBACK_POSITIONS, automaticTarget, lookback } from './cache-rules.ts';

export { TTL_MS, LOOKBACK_POSITIONS, automaticTarget, lookback };

export interface Breakpoint {
  position: number;
  /** Tokens of the prefix 0..position. */
  tokens: number;
  hash: string;
  /** The longest TTL asked for at this position. */
  ttl: Ttl;
  /** Placed by a top-level `cache_control` (and no explicit marker here). */
  automatic: boolean;
  /** Prefix reaches the model's minimum cacheable length. */
  eligible: boolean;
}

export interface CacheEntry {
  tokens: number;
  ttl: Ttl;
  expiresAt: number;
  /** The writing response has begun. */
  readable: boolean;
  /** Clock time at which the writing response began (Infinity while pending). */
  readableAt: number;
  /** Store tick at which it became readable; orders events that share a clock reading. */
  readableTick: number;
  writtenAt: number;
}

function longer(a: Ttl, b: Ttl): Ttl {
  return a === '1h' || b === '1h' ? '1h' : '5m';
}

/** How often (clock time) the stores sweep out expired entries. */
const PRUNE_EVERY_MS = 1000;

/** Cache entries of all scopes. One store stands for one upstream (one Anthropic). */
export class CacheStore {
  readonly entries = new Map<string, CacheEntry>();
  #tick = 0;
  #prunedAt = -Infinity;

  static key(scope: string, hash: string): string {
    return `${scope}\u0000${hash}`;
  }

  /** A counter that moves each time an entry becomes readable; take it when a request arrives. */
  currentTick(): number {
    return this.#tick;
  }

  nextTick(): number {
    return ++this.#tick;
  }

  /** The entry, if a request that started at (startMs, startTick) can read it. */
  lookup(scope: string, hash: string, startMs: number, startTick: number): CacheEntry | undefined {
    const entry = this.entries.get(CacheStore.key(scope, hash));
    if (entry === undefined || entry.expiresAt <= startMs) return undefined;
    if (!entry.readable || entry.readableAt > startMs || entry.readableTick > startTick) return undefined;
    return entry;
  }

  /**
   * Drops entries that expired by `nowMs`, sweeping at most once per PRUNE_EVERY_MS of clock time:
   * the store holds every session's entries (the meter's counterfactual models hold all of a
   * proxy's), and a sweep on each request was O(all of them) per turn. Lookups and writes ignore
   * expired entries anyway, so this only bounds memory.
   */
  prune(nowMs: number): void {
    this.#prunedAt = sweepExpired(this.entries, nowMs, this.#prunedAt);
  }
}

/**
 * Deletes the entries expired by `nowMs` unless the last sweep (at `prunedAt`) was less than
 * PRUNE_EVERY_MS of clock time ago; returns when the last sweep now was. Shared by both simulated
 * caches (openai-cache.ts).
 */
export function sweepExpired(entries: Map<string, { expiresAt: number }>, nowMs: number, prunedAt: number): number {
  if (nowMs >= prunedAt && nowMs - prunedAt < PRUNE_EVERY_MS) return prunedAt;
  for (const [key, entry] of entries) if (entry.expiresAt <= nowMs) entries.delete(key);
  return nowMs;
}

/** The breakpoints of a prompt, in position order, one per position. */
export function resolveBreakpoints(prompt: Prompt, minTokens: number): Breakpoint[] {
  const byPosition = new Map<number, Breakpoint>();
  const put = (position: PromptPosition, ttl: Ttl, automatic: boolean): void => {
    const existing = byPosition.get(position.index);
    if (existing !== undefined) {
      existing.ttl = longer(existing.ttl, ttl);
      existing.automatic &&= automatic;
      return;
    }
    byPosition.set(position.index, {
      position: position.index,
      tokens: position.cumulativeTokens,
      hash: position.hash,
      ttl,
      automatic,
      eligible: position.cumulativeTokens >= minTokens,
    });
  };
  for (const marker of prompt.markers) {
    const position = prompt.positions[marker.position];
    if (position !== undefined) put(position, marker.ttl, false);
  }
  if (prompt.topLevel !== null) {
    const target = automaticTarget(prompt);
    if (target !== undefined) put(target, prompt.topLevel.ttl, true);
  }
  return [...byPosition.values()].sort((a, b) => a.position - b.position);
}

/** Usage from the three billing positions (2.7, 2.9). */
export function computeCacheUsage(totalTokens: number, a: number, b: number, c: number): InputUsage {
  const oneHour = Math.max(0, b - a);
  const fiveMinutes = Math.max(0, c - Math.max(a, b));
  return {
    input_tokens: totalTokens - Math.max(a, c),
    cache_creation_input_tokens: fiveMinutes + oneHour,
    cache_read_input_tokens: a,
    cache_creation: { ephemeral_5m_input_tokens: fiveMinutes, ephemeral_1h_input_tokens: oneHour },
  };
}

export interface CacheRequest {
  /** Isolation scope, e.g. API key + model. */
  scope: string;
  model: string;
  prompt: Prompt;
  /** Clock time at which the request started. */
  startMs: number;
  /** store.currentTick() when the request arrived; defaults to the current tick. */
  startTick?: number;
  /** Overrides the model's minimum cacheable length. */
  minTokens?: number;
}

export interface CacheWrite {
  hash: string;
  position: number;
  tokens: number;
  ttl: Ttl;
}

export interface CachePlan {
  scope: string;
  startMs: number;
  totalTokens: number;
  breakpoints: Breakpoint[];
  /** The longest prefix read, or null on a miss. */
  hit: { position: number; tokens: number } | null;
  /** Billing positions in tokens (2.7). */
  a: number;
  b: number;
  c: number;
  usage: InputUsage;
  /** Entries this request writes (eligible breakpoints beyond the hit). */
  writes: CacheWrite[];
  /** Hashes of readable entries this request refreshes (the hit, and its own breakpoints up to it). */
  refreshes: string[];
}

/** Decides reads, writes and usage without changing the store. */
export function planCache(store: CacheStore, request: CacheRequest): CachePlan {
  const { scope, prompt, startMs } = request;
  const startTick = request.startTick ?? store.currentTick();
  const minTokens = request.minTokens ?? minCacheableTokens(request.model);
  const breakpoints = resolveBreakpoints(prompt, minTokens);
  const eligible = breakpoints.filter((bp) => bp.eligible);
  const readable = (index: number): boolean => {
    const position = prompt.positions[index];
    return position !== undefined && store.lookup(scope, position.hash, startMs, startTick) !== undefined;
  };

  let hitPosition = -1;
  for (let k = eligible.length - 1; k >= 0; k--) {
    const bp = eligible[k];
    if (bp === undefined || bp.position <= hitPosition) break;
    hitPosition = Math.max(hitPosition, lookback(prompt.positions, bp.position, readable));
  }
  const hitPrefix = hitPosition >= 0 ? prompt.positions[hitPosition] : undefined;
  const a = hitPrefix?.cumulativeTokens ?? 0;
  const beyond = eligible.filter((bp) => bp.position > hitPosition);
  const b = Math.max(0, ...beyond.filter((bp) => bp.ttl === '1h').map((bp) => bp.tokens));
  const c = eligible.at(-1)?.tokens ?? 0;

  const refreshes: string[] = [];
  if (hitPrefix !== undefined) {
    refreshes.push(hitPrefix.hash);
    for (const bp of eligible) {
      if (bp.position < hitPosition && readable(bp.position)) refreshes.push(bp.hash);
    }
  }

  return {
    scope,
    startMs,
    totalTokens: prompt.totalTokens,
    breakpoints,
    hit: hitPrefix === undefined ? null : { position: hitPosition, tokens: a },
    a,
    b,
    c,
    usage: computeCacheUsage(prompt.totalTokens, a, b, c),
    writes: beyond.map((bp) => ({ hash: bp.hash, position: bp.position, tokens: bp.tokens, ttl: bp.ttl })),
    refreshes,
  };
}

/** Applies a plan: refreshes what it read and records its writes as pending (not yet readable). */
export function applyCachePlan(store: CacheStore, plan: CachePlan): void {
  store.prune(plan.startMs);
  for (const hash of plan.refreshes) {
    const entry = store.entries.get(CacheStore.key(plan.scope, hash));
    if (entry !== undefined) entry.expiresAt = Math.max(entry.expiresAt, plan.startMs + TTL_MS[entry.ttl]);
  }
  for (const write of plan.writes) {
    const key = CacheStore.key(plan.scope, write.hash);
    const expiresAt = plan.startMs + TTL_MS[write.ttl];
    const existing = store.entries.get(key);
    if (existing !== undefined && existing.expiresAt > plan.startMs) {
      // A concurrent writer of the same prefix (or one this request could not see yet): keep its
      // visibility, never shorten its life.
      existing.ttl = longer(existing.ttl, write.ttl);
      existing.expiresAt = Math.max(existing.expiresAt, expiresAt);
      continue;
    }
    store.entries.set(key, {
      tokens: write.tokens,
      ttl: write.ttl,
      expiresAt,
      readable: false,
      readableAt: Number.POSITIVE_INFINITY,
      readableTick: Number.POSITIVE_INFINITY,
      writtenAt: plan.startMs,
    });
  }
}

/** planCache + applyCachePlan: what one request does to the cache when it arrives. */
export function evaluateCache(store: CacheStore, request: CacheRequest): CachePlan {
  const plan = planCache(store, request);
  applyCachePlan(store, plan);
  return plan;
}

/** The writing response has begun (headers sent): its entries become readable from now on. */
export function markResponseBegun(store: CacheStore, plan: CachePlan, nowMs: number): void {
  const tick = store.nextTick();
  for (const write of plan.writes) {
    const key = CacheStore.key(plan.scope, write.hash);
    let entry = store.entries.get(key);
    if (entry === undefined) {
      // Dropped by an abandoned concurrent writer: this writer still wrote it.
      entry = {
        tokens: write.tokens,
        ttl: write.ttl,
        expiresAt: plan.startMs + TTL_MS[write.ttl],
        readable: false,
        readableAt: Number.POSITIVE_INFINITY,
        readableTick: Number.POSITIVE_INFINITY,
        writtenAt: plan.startMs,
      };
      store.entries.set(key, entry);
    }
    if (!entry.readable) {
      entry.readable = true;
      entry.readableAt = nowMs;
      entry.readableTick = tick;
    }
  }
}

/** The response never began (client left first): its pending writes never happened. */
export function abandonCachePlan(store: CacheStore, plan: CachePlan): void {
  for (const write of plan.writes) {
    const key = CacheStore.key(plan.scope, write.hash);
    if (store.entries.get(key)?.readable === false) store.entries.delete(key);
  }
}
