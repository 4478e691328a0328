/**
 * Per-key limits shared by every instance on one PostgreSQL (auth/limits.ts has the rules).
 * - Requests per minute and requests in flight: one admission per request on the shared counter
 *   (store/shared-counter.ts: Redis when configured, else PostgreSQL), serialized per key: exact
 *   across instances (tolerance 0) while the counter answers.
 * - Spend budgets: the ledger's sum for the key and period, read at most every SPEND_READ_MS, plus
 *   what this instance spent since. Tolerance: other instances' spend of the last SPEND_READ_MS plus
 *   their ledger flush interval (about 1.2 s by default) may be missing when a request is admitted.
 * When the counter or the database cannot be reached the limits fall back to this instance's own
 * (auth/limits.ts), said once in the log and by synrouter_limits_shared 0 in /metrics, until it
 * answers again.
 */
import type pg from 'pg';
import { checkBudgets, Limits, limited, type LimitsConfig } from '../../auth/limits.ts';
import type { KeyRecord } from '../keys.ts';
import type { Admission, SharedCounter } from '../shared-counter.ts';
import type { LimitsApi } from '../store.ts';

const SPEND_READ_MS = 1_000;

interface Spend { since: number; dbUsd: number; localUsd: number; readAt: number }

export class PgLimits implements LimitsApi {
  readonly #pool: pg.Pool;
  readonly #counter: SharedCounter;
  readonly #config: LimitsConfig;
  readonly #local: Limits;
  readonly #spend = new Map<string, Spend>();
  #shared = true;

  constructor(pool: pg.Pool, counter: SharedCounter, config: LimitsConfig) {
    this.#pool = pool;
    this.#counter = counter;
    this.#config = config;
    // The fallback counts this instance's requests; its budgets read the last shared spend seen.
    this.#local = new Limits(config, (keyId, since) => this.#known(keyId, since));
  }

  get scope(): 'shared' | 'local' {
    return this.#shared ? 'shared' : 'local';
  }

  async admit(key: KeyRecord, now: number): Promise<() => void> {
    if (key.budgetUsdDay !== null || key.budgetUsdMonth !== null) {
      await this.#readSpend(key.id, now);
      checkBudgets(key, now, (since) => this.#known(key.id, since), (since) => this.#known(key.id, since));
    }
    const { requestsPerMinute: rpm, concurrentRequests: conc } = this.#config;
    if (rpm <= 0 && conc <= 0) return () => {};
    let admission: Admission;
    try {
      admission = await this.#counter.admit(key.id, now, rpm, conc);
      this.#sharedAgain();
    } catch (err) {
      this.#fallBack(err);
      return this.#local.admit(key, now);
    }
    if (admission.verdict === 'rpm') throw limited('RATE_LIMITED', `Key ${key.prefix}... is over its limit of ${rpm} requests per minute.`, Math.ceil(admission.detail / 1000));
    if (admission.verdict === 'concurrency') throw limited('CONCURRENCY_LIMITED', `Key ${key.prefix}... already has ${admission.detail} requests in flight (limit ${conc}).`, 1);
    if (conc <= 0) return () => {};
    const { slot } = admission;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#counter.release(key.id, slot)
        .catch((err: Error) => console.error(`[synrouter] limits: could not release a slot of ${key.prefix}... (${err.message}); it is freed when this instance stops`));
    };
  }

  async overBudget(key: KeyRecord, now: number): Promise<boolean> {
    if (key.budgetUsdDay === null && key.budgetUsdMonth === null) return false;
    await this.#readSpend(key.id, now);
    try {
      checkBudgets(key, now, (since) => this.#known(key.id, since), (since) => this.#known(key.id, since));
      return false;
    } catch {
      return true;
    }
  }

  spend(keyId: string, ts: number, usd: number | null): void {
    if (!usd) return;
    for (const [k, s] of this.#spend) if (k.startsWith(`${keyId}\u0000`) && ts >= s.since) s.localUsd += usd;
    this.#local.spend(keyId, ts, usd);
  }

  /** The key's spend since the start of its day and month, refreshed from the ledger when older than SPEND_READ_MS. */
  async #readSpend(keyId: string, now: number): Promise<void> {
    const d = new Date(now);
    const periods = [Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()), Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)];
    await Promise.all(periods.map(async (since) => {
      const k = `${keyId}\u0000${since}`;
      const had = this.#spend.get(k);
      const wall = Date.now();
      if (had && wall - had.readAt < SPEND_READ_MS) return;
      try {
        const { rows } = await this.#pool.query<{ usd: number }>('SELECT coalesce(sum(cost_usd), 0) AS usd FROM turns WHERE key_id = $1 AND ts >= $2', [keyId, since]);
        this.#spend.set(k, { since, dbUsd: rows[0]!.usd, localUsd: 0, readAt: wall });
      } catch (err) {
        this.#fallBack(err);
        if (!had) this.#spend.set(k, { since, dbUsd: 0, localUsd: 0, readAt: wall });
      }
    }));
  }

  #known(keyId: string, since: number): number {
    const s = this.#spend.get(`${keyId}\u0000${since}`);
    return s ? s.dbUsd + s.localUsd : 0;
  }

  #fallBack(err: unknown): void {
    if (this.#shared) console.error(`[synrouter] limits: the shared counters are unreachable (${(err as Error).message}); limits now count this instance's requests only`);
    this.#shared = false;
  }

  #sharedAgain(): void {
    if (!this.#shared) console.error('[synrouter] limits: the shared counters answer again; limits hold across instances');
    this.#shared = true;
  }
}
