/**
 * 5m or 1h for a session's breakpoints, from the gaps observed between its turns (coding mode:
 * keep the cache hot for the session's lifetime at the lowest expected cost).
 *
 * Per turn, with prefix P tokens already cached and d new tokens (prices relative to base input,
 * protocols.md §2.11): a 5m entry costs 1.25·d to extend and, when the gap outlives it (probability
 * q5), a re-write of P at 1.25 instead of a read at 0.1; a 1h entry costs 2·d and re-writes at 2 only
 * past an hour (q1h). Choose 1h when its expected cost is lower. Gap probabilities are estimated
 * from the session's own gaps with a weak prior toward short gaps (agents in tool loops answer in
 * seconds), so one long gap in a long session is evidence, not a verdict.
 */
import type { Ttl } from '../protocols/anthropic/wire.ts';

const FIVE_MIN = 5 * 60_000;
const ONE_HOUR = 60 * 60_000;
/** Responses stream for a while and TTLs count from request start (§2.7): a gap near 5m is a miss. */
const SAFETY_MS = 30_000;
const PRIOR_WEIGHT = 8;
const PRIOR_LONG = 0.005;

export function gapProbabilities(gapsMs: readonly number[]): { q5: number; q1h: number } {
  const n = gapsMs.length;
  const long5 = countOver(gapsMs, FIVE_MIN - SAFETY_MS);
  const long1h = countOver(gapsMs, ONE_HOUR - SAFETY_MS);
  return { q5: (long5 + PRIOR_LONG * PRIOR_WEIGHT) / (n + PRIOR_WEIGHT), q1h: (long1h + PRIOR_LONG * PRIOR_WEIGHT * 0.1) / (n + PRIOR_WEIGHT) };
}

/** Gaps longer than `ms`. A loop, not a filter callback: this runs on every turn (json/scan-json.ts, Scanner, on closures). */
function countOver(gapsMs: readonly number[], ms: number): number {
  let n = 0;
  for (const g of gapsMs) if (g > ms) n++;
  return n;
}

/** How long before an entry would expire a keep-alive ping refreshes it (keepalive/). */
export const PING_LEAD_MS = SAFETY_MS;
/** A keep-alive ping refreshes a 5m entry shortly before it would expire (keepalive/). */
export const PING_EVERY_MS = FIVE_MIN - PING_LEAD_MS;

export interface KeepAliveTerms {
  /** Idle time after which pings stop (the session is considered over). */
  maxIdleMs: number;
}

/**
 * Pings stop once those since the last turn would cost more than one 5m write of the prefix
 * (keepalive/ worthPinging): 1.25 / 0.1 = 12 reads, so about 54 minutes of idling at most.
 */
const MAX_PINGS = Math.floor(1.25 / 0.1);

/**
 * Expected cost of the next turn's input, in base-input-token units. With keep-alive, a 5m entry
 * survives a gap for floor(gap / PING_EVERY) pings at 0.1 each, and is lost only past the idle
 * limit (the mode's, or the break-even point of the pings, whichever comes first).
 */
export function expectedTurnCost(ttl: Ttl, prefixTokens: number, newTokens: number, gapsMs: readonly number[], keepAlive?: KeepAliveTerms): number {
  const q = gapProbabilities(gapsMs);
  if (ttl === '1h') return 2 * newTokens + prefixTokens * ((1 - q.q1h) * 0.1 + q.q1h * 2);
  if (!keepAlive) return 1.25 * newTokens + prefixTokens * ((1 - q.q5) * 0.1 + q.q5 * 1.25);
  const n = gapsMs.length;
  const maxIdle = Math.min(keepAlive.maxIdleMs, MAX_PINGS * PING_EVERY_MS);
  let pinged = 0;
  for (const g of gapsMs) pinged += Math.floor(Math.min(g, maxIdle) / PING_EVERY_MS);
  const pings = pinged / (n + PRIOR_WEIGHT);
  const lost = (countOver(gapsMs, maxIdle) + PRIOR_LONG * PRIOR_WEIGHT * 0.1) / (n + PRIOR_WEIGHT);
  return 1.25 * newTokens + prefixTokens * (0.1 + pings * 0.1 + lost * 1.15);
}

/** 5m or 1h for the conversation's breakpoints, whichever costs less in expectation (with keep-alive when it applies). */
export function chooseTtl(gapsMs: readonly number[], prefixTokens: number, newTokens: number, keepAlive?: KeepAliveTerms): Ttl {
  return expectedTurnCost('1h', prefixTokens, newTokens, gapsMs) < expectedTurnCost('5m', prefixTokens, newTokens, gapsMs, keepAlive) ? '1h' : '5m';
}

/**
 * The stable prefix (tools + system) is written once and read every turn, so a 1h entry costs its
 * extra 0.75x once an hour and saves a full re-write after every idle gap. It pays once the session
 * has shown it outlives a 5m entry (it is older than 5 minutes or has idled that long). Measured in
 * the savings benchmark: choosing 1h up front for general mode cost more when sessions of the agent
 * keep arriving within 5 minutes (they refresh the shared 5m entry for free).
 */
export function chooseStableTtl(opts: { sessionAgeMs: number; gapsMs: readonly number[] }): Ttl {
  if (opts.sessionAgeMs > FIVE_MIN - SAFETY_MS || opts.gapsMs.some((g) => g > FIVE_MIN - SAFETY_MS)) return '1h';
  return '5m';
}
