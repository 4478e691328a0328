/**
 * Cache keep-alive for Anthropic-direct sessions: after a turn, while the session is likely to
 * continue, a `max_tokens: 0` request with the last turn's exact prefix and breakpoints is sent
 * shortly before the entry would expire (lifetimes count from request start, protocols.md §2.7),
 * which refreshes it for the price of a cache read. The entry's lifetime is that of the deepest
 * breakpoint of the request actually sent (keep-warm.ts): 5m, or 1h when the client or the engine
 * marked the conversation 1h. A session is not kept, or dropped (no more pings), when:
 * - its entry already lives until the session's idle limit (a 1h entry under the coding mode's
 *   60 minutes: it is never pinged), or has already been refreshed that far;
 * - its entry has already expired when the ping falls due (a late tick, a laptop that slept): a ping
 *   then would pay a full write, which the next real turn pays anyway if the session comes back;
 * - a ping writes anything: a correct ping of the exact prefix only reads (the last breakpoint's
 *   entry was written by the turn itself; max_tokens and stream are not part of the cache key), so any
 *   write means the upstream lost the entry;
 * - the upstream errors or the key is revoked;
 * - the model's prices are unknown: pings could not be counted against any dollar budget, so none
 *   are sent (the alternative, a token budget, would be a second budget to configure and explain);
 * - the key is over its ping budget for the UTC day (`budgetUsdPerKeyDay`; seeded from the ledger's
 *   keepalive rows of the day, so a restart does not reset it), or over its own daily or monthly spend
 *   budget (each ping's cost is spend of the key, like a turn's);
 * - pinging stops being worthwhile: see `worthPinging`.
 * Every ping is a ledger row of kind 'keepalive' (and a /metrics observation) whose cost counts
 * against the savings.
 *
 * Time is whatever `tick(now)` is given: a 1-second interval in production, the simulator's manual
 * clock in tests and in the savings benchmark.
 */
import type { Agent } from 'undici';
import type { Queries } from '../store/queries.ts';
import type { Awaitable, KeyStoreApi, LimitsApi } from '../store/store.ts';
import type { RowSink } from '../store/row-sink.ts';
import { pingRow } from '../store/rows.ts';
import { pingBody } from './ping-body.ts';
import type { Spliced } from '../json/splice.ts';
import { fromAnthropicUsage } from '../meter/anthropic-usage.ts';
import { costOf } from '../meter/cost.ts';
import { ZERO_USAGE, type Usage } from '../meter/usage.ts';
import type { Prices } from '../route/registry.ts';
import type { KeyMode } from '../store/keys.ts';
import type { TurnRow } from '../store/ledger.ts';
import type { LedgerErrorCode } from '../errors.ts';
import { PING_LEAD_MS } from '../rewrite/choose-ttl.ts';
import { TTL_MS } from '../protocols/anthropic/cache-rules.ts';
import type { Ttl } from '../protocols/anthropic/wire.ts';
import type { KeepAliveConfig } from './keepalive-config.ts';
import { readBounded, tryParse } from '../upstream/read-bounded.ts';
import { sendUpstream } from '../upstream/send-upstream.ts';

export { DEFAULT_KEEPALIVE, type KeepAliveConfig } from './keepalive-config.ts';

export interface TrackedSession {
  keyId: string;
  mode: KeyMode;
  sessionId: string;
  clientProtocol: string;
  requestedModel: string;
  upstreamModel: string;
  providerName: string;
  baseUrl: string;
  path: string;
  headers: Record<string, string>;
  /** Lifetime of the entry the last turn wrote: its deepest breakpoint's TTL (keep-warm.ts entryTtl). */
  ttl: Ttl;
  /**
   * The last turn's request body as sent upstream (its exact prefix and breakpoints); the ping body
   * (`max_tokens: 0`, no streaming) is built from it only when a ping is due. The caller has checked
   * that `max_tokens: 0` is allowed for it (pingAllowed). Only these bytes are kept: they are what
   * `maxBytes` bounds.
   */
  body: Spliced;
  prices: Prices | null;
  /** All input tokens of the last turn: what one re-write of the entry would cost at its TTL's write price. */
  prefixTokens: number;
  /** Start of the last request (turn or ping) that refreshed the entry. */
  lastRefreshAt: number;
  lastTurnAt: number;
}

/** A ping must reach the upstream while the entry lives: one due this close to expiry is not sent (transit, clock skew). */
const ARRIVAL_MARGIN_MS = 5_000;
const DAY_MS = 86_400_000;
/** How stale the day's ping spend read from the ledger may be (other instances' pings are in it). */
const SPENT_READ_MS = 5_000;

/** A session kept: only priced ones are (see `track`). */
interface Tracked extends TrackedSession {
  prices: Prices;
  /** USD spent on this session's pings since its last real turn. */
  pingUsd: number;
  /** What the last ping cost (the same request each time, so the next one's price); null before the first. */
  lastPingUsd: number | null;
}

export interface KeepAliveDeps {
  agent: Agent;
  keys: KeyStoreApi;
  /** Each ping is a ledger row (kind 'keepalive'), observed in /metrics like any row, its cost the key's spend. */
  rows: RowSink;
  /** The read side: a key's ping spend of the day, which every instance on one store shares. */
  queries: Queries;
  config: KeepAliveConfig;
  /** A key over its daily or monthly budget is not pinged for. */
  limits: Pick<LimitsApi, 'overBudget'>;
  /**
   * Whether this instance sends the ping due at `dueAt` (store.ts SessionStoreApi.claimPing): with
   * several instances on one store, only the one that served the session's last turn, once per due
   * time. Absent: always (one process).
   */
  claim?: (keyId: string, sessionId: string, lastTurnAt: number, dueAt: number) => Awaitable<boolean>;
  onRefresh?: (keyId: string, sessionId: string, at: number) => Awaitable<void>;
}

/**
 * "Repeat while worthwhile", made explicit (the break-even rule of renting against buying): a session
 * is pinged only while its pings since its last real turn, the next one included, cost no more than
 * one write of its prefix at its entry's write price (5m: 1.25x, 1h: 2x). Past that point, whenever
 * the session returns, letting the entry expire and re-writing it once would have been cheaper than
 * the pings, so the pings of one idle spell never cost more than the miss they are meant to avoid (at
 * Sonnet prices, 12 pings of a 5m entry: 54 minutes).
 * The next ping is priced as the previous one (the same request, the same usage), the first as a read
 * of the whole prefix.
 */
export function worthPinging(s: { ttl?: Ttl; prefixTokens: number; prices: Prices; pingUsd: number; lastPingUsd: number | null }): boolean {
  const write = costOf({ ...ZERO_USAGE, ...(s.ttl === '1h' ? { cacheWrite1h: s.prefixTokens } : { cacheWrite5m: s.prefixTokens }) }, s.prices)!;
  return s.pingUsd + nextPingUsd(s) <= write * (1 + 1e-9);
}

/**
 * Whether the entry the last refresh left lives until the session's idle limit: then a ping would
 * only keep it for a session that is over by then. (5m entries: pings go on while the session has
 * idled less than its limit; a 1h entry under a 60-minute limit is never pinged.)
 */
function outlivesIdle(s: { ttl: Ttl; mode: KeyMode; lastRefreshAt: number; lastTurnAt: number }, maxIdleMs: Readonly<Record<KeyMode, number>>): boolean {
  return s.lastRefreshAt + TTL_MS[s.ttl] >= s.lastTurnAt + maxIdleMs[s.mode];
}

/** When the entry is refreshed: shortly before it would expire. */
const pingDueAt = (s: { ttl: Ttl; lastRefreshAt: number }) => s.lastRefreshAt + TTL_MS[s.ttl] - PING_LEAD_MS;

/** What the next ping should cost: what the last one did, the first a read of the whole prefix. */
function nextPingUsd(s: { prefixTokens: number; prices: Prices; lastPingUsd: number | null }): number {
  return s.lastPingUsd ?? costOf({ ...ZERO_USAGE, cacheRead: s.prefixTokens }, s.prices)!;
}

export class KeepAlive {
  readonly #sessions = new Map<string, Tracked>();
  /** Per key: its ping spend of the UTC day as last read from the ledger, and what this instance added since. */
  readonly #spent = new Map<string, { day: number; readUsd: number; addedUsd: number; readAt: number }>();
  readonly #busy = new Set<string>();
  /** Estimates of this instance's pings at the upstream now, per key: in the day's spend, in no ledger row yet. */
  readonly #reserved = new Map<string, number>();
  #bytes = 0;
  readonly #deps: KeepAliveDeps;

  constructor(deps: KeepAliveDeps) {
    this.#deps = deps;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** After a successful Anthropic-direct turn that cached its prefix: keep it warm. */
  track(session: TrackedSession): void {
    const cfg = this.#deps.config;
    // Unknown prices: a ping's cost could not be counted against any budget, so there are no pings.
    // An entry that outlives the idle limit needs none: its bytes are not kept either.
    if (!cfg.enabled || session.prefixTokens < cfg.minPrefixTokens || !session.prices || outlivesIdle(session, cfg.maxIdleMs)) {
      this.forget(session.keyId, session.sessionId);
      return;
    }
    const s: Tracked = { ...session, prices: session.prices, pingUsd: 0, lastPingUsd: null };
    const k = sessionKey(s);
    const old = this.#sessions.get(k);
    this.#bytes += s.body.length - (old?.body.length ?? 0);
    this.#sessions.delete(k); // re-insert: the map's order is least recently active first
    this.#sessions.set(k, s);
    for (const [oldest, o] of this.#sessions) {
      if (this.#bytes <= this.#deps.config.maxBytes || oldest === k) break;
      this.#drop(oldest, o);
    }
  }

  #drop(k: string, s: Tracked): void {
    if (this.#sessions.get(k) === s) {
      this.#sessions.delete(k);
      this.#bytes -= s.body.length;
    }
  }

  /** Bytes of request bodies held for pings (bounded by maxBytes). */
  get bytes(): number {
    return this.#bytes;
  }

  forget(keyId: string, sessionId: string): void {
    const k = `${keyId}\u0000${sessionId}`;
    const s = this.#sessions.get(k);
    if (s) this.#drop(k, s);
  }

  /** Sends every ping that is due at `now`. */
  async tick(now: number): Promise<void> {
    const due = [...this.#sessions.entries()].filter(([k, s]) => !this.#busy.has(k) && now >= pingDueAt(s));
    await Promise.all(due.map(([k, s]) => this.#ping(k, s, now)));
  }

  /** Why a due ping is not sent (the session is dropped), or null to send it. */
  async #stopReason(s: Tracked, now: number): Promise<string | null> {
    const cfg = this.#deps.config;
    // A late tick (timer starved, laptop asleep): the entry is gone and a ping would pay a full write.
    // An entry lives its TTL from the start of the request that last wrote or read it (protocols.md §2.7).
    if (now + ARRIVAL_MARGIN_MS >= s.lastRefreshAt + TTL_MS[s.ttl]) return 'expired';
    if (outlivesIdle(s, cfg.maxIdleMs)) return 'idle';
    const key = await this.#deps.keys.get(s.keyId);
    if (!key || key.revokedAt !== null) return 'revoked';
    if (!worthPinging(s)) return 'not_worth_it';
    if ((await this.#spentToday(s.keyId, now)) >= cfg.budgetUsdPerKeyDay) return 'ping_budget';
    if (await this.#deps.limits.overBudget(key, now)) return 'key_budget';
    // Another instance served a later turn (it pings now), or already claimed this due time.
    if (this.#deps.claim && !(await this.#deps.claim(s.keyId, s.sessionId, s.lastTurnAt, pingDueAt(s)))) return 'not_owner';
    return null;
  }

  async #ping(k: string, s: Tracked, now: number): Promise<void> {
    this.#busy.add(k);
    let stop: string | null;
    try {
      stop = await this.#stopReason(s, now);
    } finally {
      this.#busy.delete(k);
    }
    // Pings of one tick check concurrently: the ones that reserved while this one awaited the store count
    // (checked again here, with no await before the reservation below).
    if (stop === null && this.#spentNow(s.keyId, now) >= this.#deps.config.budgetUsdPerKeyDay) stop = 'ping_budget';
    if (stop !== null) {
      this.#drop(k, s);
      return;
    }
    // Built now, not on every turn: scanning a large body costs CPU, and most turns are never pinged.
    let body: Buffer | undefined;
    try {
      body = pingBody(s.body.bytes());
    } catch {
      body = undefined;
    }
    if (!body) {
      this.#drop(k, s);
      return;
    }
    this.#busy.add(k);
    // Reserved before the first await: pings of one tick run concurrently, and each must see the others'
    // cost in the budgets, or a key with many idle sessions overshoots them by a ping per session.
    const estimate = nextPingUsd(s);
    this.#spend(s.keyId, now, estimate);
    this.#reserved.set(s.keyId, (this.#reserved.get(s.keyId) ?? 0) + estimate);
    this.#deps.rows.reserve(s.keyId, now, estimate);
    const started = performance.now();
    let status = 0;
    let usage: Usage = ZERO_USAGE;
    let model: string | null = null;
    let errorCode: LedgerErrorCode | null = null;
    const row = (): TurnRow => pingRow({
      ts: now, requestId: `ka_${now}_${s.sessionId}`.slice(0, 64), keyId: s.keyId, sessionId: s.sessionId, clientProtocol: s.clientProtocol,
      requestedModel: s.requestedModel, provider: s.providerName, prices: s.prices, status, errorCode, usage, responseModel: model,
      latencyMs: status === 0 ? null : performance.now() - started,
    });
    // In the ledger before it goes out: a crash during the ping leaves it recorded as interrupted.
    const open = await this.#deps.rows.open(row());
    try {
      const res = await sendUpstream(this.#deps.agent, { baseUrl: s.baseUrl, path: s.path, method: 'POST', headers: s.headers, body, signal: AbortSignal.timeout(60_000) });
      status = res.status;
      const json = tryParse(await readBounded(res.body)) as { model?: string; usage?: never } | undefined;
      if (status === 200) {
        usage = fromAnthropicUsage(json?.usage);
        model = json?.model ?? null;
      } else errorCode = 'UPSTREAM_ERROR';
    } catch (err) {
      status = 502;
      errorCode = 'UPSTREAM_UNREACHABLE';
      void err;
    } finally {
      this.#busy.delete(k);
    }
    const cost = costOf(usage, s.prices);
    this.#reserved.set(s.keyId, (this.#reserved.get(s.keyId) ?? 0) - estimate);
    this.#spend(s.keyId, now, (cost ?? 0) - estimate);
    s.pingUsd += cost ?? 0;
    s.lastPingUsd = cost ?? 0;
    this.#deps.rows.write(row(), { open, reserved: estimate });
    // A correct ping of the exact prefix writes nothing (the turn wrote every breakpoint's entry, and
    // max_tokens / stream are not part of the cache key): any write means the entry was gone.
    const wrote = usage.cacheWrite5m + usage.cacheWrite1h;
    if (status !== 200 || wrote > 0) {
      this.#drop(k, s); // the entry was gone (or the upstream failed): pinging further only pays for writes
      return;
    }
    s.lastRefreshAt = now;
    await this.#deps.onRefresh?.(s.keyId, s.sessionId, now);
  }

  /**
   * The key's ping spend of the UTC day: the ledger's keepalive rows (every instance's, and those from
   * before a restart), read at most every SPENT_READ_MS after this instance's own rows are flushed,
   * plus what this instance reserved since that read.
   */
  async #spentToday(keyId: string, now: number): Promise<number> {
    const day = Math.floor(now / DAY_MS);
    let e = this.#spent.get(keyId);
    if (!e || e.day !== day || Date.now() - e.readAt >= SPENT_READ_MS) {
      await this.#deps.rows.flush();
      const read = (await this.#deps.queries.totals({ since: day * DAY_MS, until: (day + 1) * DAY_MS, keyId })).keepaliveCostUsd;
      // Reservations of pings still at the upstream are in no row yet: they stay added.
      const inFlight = e && e.day === day ? this.#reserved.get(keyId) ?? 0 : 0;
      // A ping that ended during the read (a PostgreSQL store awaits it) may be in neither the read nor
      // the reservations; what this instance knew before the read is still a lower bound of the day's
      // spend, which only grows.
      const known = this.#spentNow(keyId, now);
      e = { day, readUsd: Math.max(read + inFlight, known), addedUsd: 0, readAt: Date.now() };
      this.#spent.set(keyId, e);
    }
    return e.readUsd + e.addedUsd;
  }

  /** The key's ping spend of the UTC day as this instance knows it now: the last read plus what it added since. */
  #spentNow(keyId: string, now: number): number {
    const e = this.#spent.get(keyId);
    return e && e.day === Math.floor(now / DAY_MS) ? e.readUsd + e.addedUsd : 0;
  }

  #spend(keyId: string, now: number, usd: number): void {
    const day = Math.floor(now / DAY_MS);
    const e = this.#spent.get(keyId);
    if (e && e.day === day) e.addedUsd += usd;
    else this.#spent.set(keyId, { day, readUsd: 0, addedUsd: usd, readAt: -Infinity });
  }
}

function sessionKey(s: { keyId: string; sessionId: string }): string {
  return `${s.keyId}\u0000${s.sessionId}`;
}
