/**
 * The PostgreSQL connection pool (`pg`). Counts come back as numbers: BIGINT (ms timestamps, token
 * sums) and NUMERIC (sums of BIGINT) fit a double for every value a ledger holds, and every reader of
 * the store works in numbers, as node:sqlite gives them.
 */
import pg from 'pg';

const BIGINT = 20;
const NUMERIC = 1700;

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === BIGINT || oid === NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * `asyncCommit`: the connections commit without waiting for the WAL flush. For rows that only guard
 * against our own process dying (open rows, session state, admissions): they are safe once PostgreSQL
 * has them, and only PostgreSQL's own crash could lose the last fraction of a second of them.
 */
export function createPool(url: string, opts: { max?: number; asyncCommit?: boolean } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    types: types as pg.CustomTypesConfig,
    // A store that is down must fail a request's store calls quickly (they have local fallbacks), not hang them.
    connectionTimeoutMillis: 2_000,
    query_timeout: 10_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'synrouter',
    ...(opts.asyncCommit ? { options: '-c synchronous_commit=off' } : {}),
  });
  // An idle client whose server went away: the pool drops it; the next query connects anew.
  pool.on('error', (err) => console.error(`[synrouter] store: idle connection lost: ${err.message}`));
  return pool;
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** Runs `fn` in a transaction on one client of the pool. */
export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}
