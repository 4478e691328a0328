/**
 * Cache keep-alive for Anthropic-direct sessions: after a turn, while the session is likely to
 * continue, a `max_tokens: 0` request with the last turn's exact prefix and breakpoints is sent
 * shortly before the 5m entry would expire (lifetimes count from request start, protocols.md §2.7),
 * which refreshes it for the price of a cache read. Guards: stop as soon as a ping writes instead of
 * reading (the entry was already gone or the prefix changed), when the upstream errors, when the key
 * is revoked, past the mode's maximum idle time, and over the key's daily ping budget. Every ping is a
 * ledger row of kind 'keepalive' whose cost counts against the savings.
 *
 * Time is whatever `tick(now)` is given: a 1-second interval in production, the simulator's manual
 * clock in tests and in the savings benchmark.
 */
import type { Agent } from 'undici';
import { fromAnthropicUsage } from '../meter/anthropic-usage.ts';
import { costOf, directCostOf } from '../meter/cost.ts';
import { ZERO_USAGE, type Usage } from '../meter/usage.ts';
import type { Prices } from '../route/registry.ts';
import type { KeyMode, KeyStore } from '../store/keys.ts';
import type { Ledger } from '../store/ledger.ts';
import { PING_EVERY_MS } from '../rewrite/choose-ttl.ts';
import { readBounded, tryParse } from '../upstream/read-bounded.ts';
import { sendUpstream } from '../upstream/send-upstream.ts';

export interface KeepAliveConfig {
  enabled: boolean;
  /** Stop pinging a session idle for longer than this, per key mode. */
  maxIdleMs: Readonly<Record<KeyMode, number>>;
  /** Prefixes smaller than this are cheap to re-write: not worth a ping. */
  minPrefixTokens: number;
  /** Spend on pings per key per UTC day, USD. */
  budgetUsdPerKeyDay: number;
  /** A ping that writes more than this share of the prefix has found the entry gone: stop. */
  maxWriteShare: number;
  /** Memory for the kept request bodies; past it, the least recently active sessions stop being pinged. */
  maxBytes: number;
}

export const DEFAULT_KEEPALIVE: KeepAliveConfig = {
  enabled: true,
  maxIdleMs: { coding: 60 * 60_000, general: 15 * 60_000 },
  minPrefixTokens: 4096,
  budgetUsdPerKeyDay: 5,
  maxWriteShare: 0.05,
  maxBytes: 24 * 1024 * 1024,
};

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
  body: Buffer;
  prices: Prices | null;
  prefixTokens: number;
  /** Start of the last request (turn or ping) that refreshed the entry. */
  lastRefreshAt: number;
  lastTurnAt: number;
}

export class KeepAlive {
  readonly #sessions = new Map<string, TrackedSession>();
  readonly #spent = new Map<string, { day: number; usd: number }>();
  readonly #busy = new Set<string>();
  #bytes = 0;
  readonly #deps: { agent: Agent; keys: KeyStore; ledger: Ledger; config: KeepAliveConfig; onRefresh?: (keyId: string, sessionId: string, at: number) => void };

  constructor(deps: { agent: Agent; keys: KeyStore; ledger: Ledger; config: KeepAliveConfig; onRefresh?: (keyId: string, sessionId: string, at: number) => void }) {
    this.#deps = deps;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** After a successful Anthropic-direct turn whose conversation entries are 5m: keep them warm. */
  track(s: TrackedSession): void {
    if (!this.#deps.config.enabled || s.prefixTokens < this.#deps.config.minPrefixTokens) {
      this.forget(s.keyId, s.sessionId);
      return;
    }
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

  #drop(k: string, s: TrackedSession): void {
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
    const due = [...this.#sessions.entries()].filter(([k, s]) => !this.#busy.has(k) && now >= s.lastRefreshAt + PING_EVERY_MS);
    await Promise.all(due.map(([k, s]) => this.#ping(k, s, now)));
  }

  async #ping(k: string, s: TrackedSession, now: number): Promise<void> {
    const cfg = this.#deps.config;
    const key = this.#deps.keys.get(s.keyId);
    if (now - s.lastTurnAt > cfg.maxIdleMs[s.mode] || !key || key.revokedAt !== null || this.#spentToday(s.keyId, now) >= cfg.budgetUsdPerKeyDay) {
      this.#drop(k, s);
      return;
    }
    this.#busy.add(k);
    const started = performance.now();
    let status = 0;
    let usage: Usage = ZERO_USAGE;
    let model: string | null = null;
    let errorCode: string | null = null;
    try {
      const res = await sendUpstream(this.#deps.agent, { baseUrl: s.baseUrl, path: s.path, method: 'POST', headers: s.headers, body: s.body, signal: AbortSignal.timeout(60_000) });
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
    this.#spend(s.keyId, now, cost ?? 0);
    this.#deps.ledger.record({
      ts: now, requestId: `ka_${now}_${s.sessionId}`.slice(0, 64), kind: 'keepalive', keyId: s.keyId, sessionId: s.sessionId,
      clientProtocol: s.clientProtocol, endpoint: 'keepalive', requestedModel: s.requestedModel, responseModel: model, provider: s.providerName,
      status, errorCode, streamed: false, aborted: false, inputTokens: usage.input, cacheReadTokens: usage.cacheRead,
      cacheWrite5mTokens: usage.cacheWrite5m, cacheWrite1hTokens: usage.cacheWrite1h, outputTokens: usage.output,
      // A ping has no "direct" counterpart: without Synrouter it would not exist. Its cost is pure spend.
      costUsd: cost, costDirectUsd: 0, costClientUsd: 0, missReason: null, engine: null,
      latencyMs: Math.round((performance.now() - started) * 100) / 100, ttfbMs: null,
    });
    const wrote = usage.cacheWrite5m + usage.cacheWrite1h;
    if (status !== 200 || wrote > s.prefixTokens * this.#deps.config.maxWriteShare) {
      this.#drop(k, s); // the entry was gone (or the upstream failed): pinging further only pays for writes
      return;
    }
    s.lastRefreshAt = now;
    this.#deps.onRefresh?.(s.keyId, s.sessionId, now);
  }

  #spentToday(keyId: string, now: number): number {
    const day = Math.floor(now / 86_400_000);
    const e = this.#spent.get(keyId);
    return e && e.day === day ? e.usd : 0;
  }

  #spend(keyId: string, now: number, usd: number): void {
    const day = Math.floor(now / 86_400_000);
    const e = this.#spent.get(keyId);
    this.#spent.set(keyId, { day, usd: (e && e.day === day ? e.usd : 0) + usd });
  }
}

function sessionKey(s: { keyId: string; sessionId: string }): string {
  return `${s.keyId}\u0000${s.sessionId}`;
}
