/**
 * Requests per minute and requests in flight of a key, counted across every instance. Two
 * implementations: PostgreSQL's synrouter_admit (postgres/counter.ts), used when the database is
 * the only shared service, and Redis/Valkey (redis/counter.ts), used when SYNROUTER_REDIS_URL is
 * set: bench:counter measured it cheaper per turn (bench/README.md). Either is exact (tolerance 0)
 * while it answers; postgres/limits.ts falls back to per-instance counts when it does not.
 */
export type Admission =
  | { verdict: 'ok'; slot: string }
  /** detail: ms until an admission leaves the window. */
  | { verdict: 'rpm'; detail: number }
  /** detail: the requests in flight. */
  | { verdict: 'concurrency'; detail: number };

export interface SharedCounter {
  readonly kind: 'postgres' | 'redis';
  /** Admits one request under `rpm` and `conc` (0: no such limit), taking a slot when conc > 0; throws when unreachable. */
  admit(keyId: string, now: number, rpm: number, conc: number): Promise<Admission>;
  /** Gives the slot back; a slot of an instance that died is freed by the counter itself. */
  release(keyId: string, slot: string): Promise<void>;
  close(): Promise<void>;
}
