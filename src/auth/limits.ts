/**
 * Per-key limits, checked right after authentication: requests per minute (sliding window),
 * concurrent requests, and spend budgets per UTC day and month (the key's budget columns). Over a
 * limit the client gets 429 with retry-after, in its own protocol; the refused turn is still a
 * ledger row. Spend is kept as running totals seeded from the ledger once per key and period.
 */
import { ProxyError } from '../errors.ts';
import type { KeyRecord } from '../store/keys.ts';
import type { Awaitable } from '../store/awaitable.ts';

/** What a turn asks of the limits (this module for one instance; store/postgres/ across instances). */
export interface LimitsApi {
  /** Admits a request or throws a 429 ProxyError; the returned function releases its concurrency slot. */
  admit(key: KeyRecord, now: number): Awaitable<() => void>;
  overBudget(key: KeyRecord, now: number): Awaitable<boolean>;
  spend(keyId: string, ts: number, usd: number | null): void;
  /** 'shared' while the counters hold across instances; 'local' when they are per instance (SQLite, or the shared counter unreachable). */
  readonly scope: 'shared' | 'local';
}

export interface LimitsConfig {
  /** Requests per minute per key; 0 = no limit. */
  requestsPerMinute: number;
  /** Requests in flight per key (agents stream every turn: this bounds concurrent streams); 0 = no limit. */
  concurrentRequests: number;
}

export const DEFAULT_LIMITS: LimitsConfig = { requestsPerMinute: 600, concurrentRequests: 32 };

const MINUTE = 60_000;

export function utcDayStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}
export function utcMonthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}
export function nextMonthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

interface Spend { since: number; usd: number }

/** A key's recorded spend since a time (ms epoch), in USD: the ledger's sum, read once per key and period. */
export type SpentSince = (keyId: string, since: number) => number;

/** The limits of one process: exact for one instance (SQLite), and the fallback of the shared ones (postgres/limits.ts). */
export class Limits implements LimitsApi {
  readonly scope = 'local';
  readonly #config: LimitsConfig;
  readonly #sumSince: SpentSince;
  readonly #recent = new Map<string, number[]>();
  readonly #inflight = new Map<string, number>();
  readonly #day = new Map<string, Spend>();
  readonly #month = new Map<string, Spend>();

  constructor(config: LimitsConfig, spentSince: SpentSince) {
    this.#config = config;
    this.#sumSince = spentSince;
  }

  /** Admits a request or throws a 429 ProxyError; the returned function releases its concurrency slot. */
  admit(key: KeyRecord, now: number): () => void {
    const { requestsPerMinute: rpm, concurrentRequests: conc } = this.#config;
    if (rpm > 0) {
      const times = (this.#recent.get(key.id) ?? []).filter((t) => t > now - MINUTE);
      if (times.length >= rpm) throw limited('RATE_LIMITED', `Key ${key.prefix}... is over its limit of ${rpm} requests per minute.`, Math.ceil((times[0]! + MINUTE - now) / 1000));
      times.push(now);
      this.#recent.set(key.id, times);
    }
    checkBudgets(key, now, (since) => this.#spent(this.#day, key.id, since), (since) => this.#spent(this.#month, key.id, since));
    const n = this.#inflight.get(key.id) ?? 0;
    if (conc > 0 && n >= conc) throw limited('CONCURRENCY_LIMITED', `Key ${key.prefix}... already has ${n} requests in flight (limit ${conc}).`, 1);
    this.#inflight.set(key.id, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inflight.set(key.id, (this.#inflight.get(key.id) ?? 1) - 1);
    };
  }

  /** Whether the key has spent its daily or monthly budget (the keep-alive sends no pings for it then). */
  overBudget(key: KeyRecord, now: number): boolean {
    return (key.budgetUsdDay !== null && this.#spent(this.#day, key.id, utcDayStart(now)) >= key.budgetUsdDay)
      || (key.budgetUsdMonth !== null && this.#spent(this.#month, key.id, utcMonthStart(now)) >= key.budgetUsdMonth);
  }

  /** Adds a recorded turn's (or keep-alive ping's) cost to the running totals. */
  spend(keyId: string, ts: number, usd: number | null): void {
    if (!usd) return;
    for (const m of [this.#day, this.#month]) {
      const s = m.get(keyId);
      if (s && ts >= s.since) s.usd += usd;
    }
  }

  #spent(m: Map<string, Spend>, keyId: string, since: number): number {
    let s = m.get(keyId);
    if (!s || s.since !== since) {
      s = { since, usd: this.#sumSince(keyId, since) };
      m.set(keyId, s);
    }
    return s.usd;
  }
}

/** Throws the 429 of a key over its daily or monthly budget; `spent*` give its spend since the period's start. */
export function checkBudgets(key: KeyRecord, now: number, spentDay: (since: number) => number, spentMonth: (since: number) => number): void {
  if (key.budgetUsdDay !== null && spentDay(utcDayStart(now)) >= key.budgetUsdDay) {
    throw limited('BUDGET_EXCEEDED', `Key ${key.prefix}... has spent its daily budget of $${key.budgetUsdDay}.`, Math.ceil((utcDayStart(now) + 86_400_000 - now) / 1000));
  }
  if (key.budgetUsdMonth !== null && spentMonth(utcMonthStart(now)) >= key.budgetUsdMonth) {
    throw limited('BUDGET_EXCEEDED', `Key ${key.prefix}... has spent its monthly budget of $${key.budgetUsdMonth}.`, Math.ceil((nextMonthStart(now) - now) / 1000));
  }
}

export function limited(code: 'RATE_LIMITED' | 'BUDGET_EXCEEDED' | 'CONCURRENCY_LIMITED', message: string, retryAfterSec: number): ProxyError {
  return new ProxyError(code, message, { headers: { 'retry-after': String(Math.max(1, retryAfterSec)) } });
}
