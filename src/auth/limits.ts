/**
 * Per-key limits, checked right after authentication: requests per minute (sliding window),
 * concurrent requests, and spend budgets per UTC day and month (the key's budget columns). Over a
 * limit the client gets 429 with retry-after, in its own protocol; the refused turn is still a
 * ledger row. Spend is kept as running totals seeded from the ledger once per key and period.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { ProxyError } from '../errors.ts';
import type { KeyRecord } from '../store/keys.ts';

export interface LimitsConfig {
  /** Requests per minute per key; 0 = no limit. */
  requestsPerMinute: number;
  /** Requests in flight per key (agents stream every turn: this bounds concurrent streams); 0 = no limit. */
  concurrentRequests: number;
}

export const DEFAULT_LIMITS: LimitsConfig = { requestsPerMinute: 600, concurrentRequests: 32 };

const MINUTE = 60_000;

function utcDayStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}
function utcMonthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}
function nextMonthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

interface Spend { since: number; usd: number }

export class Limits {
  readonly #config: LimitsConfig;
  readonly #sumSince: StatementSync;
  readonly #recent = new Map<string, number[]>();
  readonly #inflight = new Map<string, number>();
  readonly #day = new Map<string, Spend>();
  readonly #month = new Map<string, Spend>();

  constructor(db: DatabaseSync, config: LimitsConfig) {
    this.#config = config;
    this.#sumSince = db.prepare('SELECT coalesce(sum(cost_usd), 0) AS usd FROM turns WHERE key_id = ? AND ts >= ?');
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
    if (key.budgetUsdDay !== null && this.#spent(this.#day, key.id, utcDayStart(now)) >= key.budgetUsdDay) {
      throw limited('BUDGET_EXCEEDED', `Key ${key.prefix}... has spent its daily budget of $${key.budgetUsdDay}.`, Math.ceil((utcDayStart(now) + 86_400_000 - now) / 1000));
    }
    if (key.budgetUsdMonth !== null && this.#spent(this.#month, key.id, utcMonthStart(now)) >= key.budgetUsdMonth) {
      throw limited('BUDGET_EXCEEDED', `Key ${key.prefix}... has spent its monthly budget of $${key.budgetUsdMonth}.`, Math.ceil((nextMonthStart(now) - now) / 1000));
    }
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
      s = { since, usd: (this.#sumSince.get(keyId, since) as { usd: number }).usd };
      m.set(keyId, s);
    }
    return s.usd;
  }
}

function limited(code: 'RATE_LIMITED' | 'BUDGET_EXCEEDED' | 'CONCURRENCY_LIMITED', message: string, retryAfterSec: number): ProxyError {
  return new ProxyError(code, message, { headers: { 'retry-after': String(Math.max(1, retryAfterSec)) } });
}
