/**
 * The PostgreSQL connection pool (`pg`). Counts come back as numbers: BIGINT (ms timestamps, token
 * sums) and NUMERIC (sums of BIGINT) fit a double for every value a ledger holds, and every reader of
 * the store works in numbers, as node:sqlite gives them.
 *
 * Text is stored as sent, NUL included. PostgreSQL's TEXT cannot hold U+0000 (SQLSTATE 22021), and
 * clients do send it: in a model name, a session id in metadata, a key name through the admin API.
 * Rejecting those rows would lose a turn (and one bad row would fail its whole batch), replacing the
 * NUL would merge two distinct session ids. So every string parameter is escaped character by
 * character and every TEXT result unescaped: NUL becomes ESC "0" and ESC itself ESC ESC, with ESC =
 * U+E0000 (an unassigned tag character nobody sends). The mapping is per character, so it keeps
 * equality and prefixes: `=`, `LIKE 'p%'` and unique keys behave as on the original strings.
 */
import pg from 'pg';

const BIGINT = 20;
const NUMERIC = 1700;
const TEXT = 25;
const VARCHAR = 1043;

const ESC = '\u{E0000}';
const ESCAPED = /[\0\u{E0000}]/u;

/** A string PostgreSQL's TEXT can hold, mapping back with `fromPgText`. */
export function toPgText(s: string): string {
  return ESCAPED.test(s) ? s.replace(/[\0\u{E0000}]/gu, (c) => (c === '\0' ? `${ESC}0` : `${ESC}${ESC}`)) : s;
}

/** The string `toPgText` was given. */
export function fromPgText(s: string): string {
  return s.includes(ESC) ? s.replace(/\u{E0000}([0\u{E0000}])/gu, (_, c: string) => (c === '0' ? '\0' : ESC)) : s;
}

function toPgParam(v: unknown): unknown {
  if (typeof v === 'string') return toPgText(v);
  if (Array.isArray(v)) return v.map(toPgParam);
  return v;
}

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === BIGINT || oid === NUMERIC) return (v: string) => Number(v);
    if (oid === TEXT || oid === VARCHAR) return fromPgText;
    return pg.types.getTypeParser(oid, format);
  },
};

/** pg's client with string parameters escaped (above); the pool and transactions all query through it. */
class Client extends pg.Client {
  override query(...args: unknown[]): never {
    const [config, values] = args;
    if (Array.isArray(values)) args[1] = values.map(toPgParam);
    else if (config && typeof config === 'object' && Array.isArray((config as pg.QueryConfig).values)) {
      args[0] = { ...(config as pg.QueryConfig), values: (config as pg.QueryConfig).values!.map(toPgParam) };
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

/**
 * `asyncCommit`: the connections commit without waiting for the WAL flush. For rows that only guard
 * against our own process dying (open rows, session state, admissions): they are safe once PostgreSQL
 * has them, and only PostgreSQL's own crash could lose the last fraction of a second of them.
 */
export function createPool(url: string, opts: { max?: number; asyncCommit?: boolean } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    Client,
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

/**
 * Runs `fn` with one client of the pool. A checked-out client whose connection breaks emits 'error'
 * (the pool listens only on idle ones), and an 'error' nobody listens to ends the process: every
 * instance would go down with its database. Here it is heard (the query in flight rejects with it
 * anyway) and the broken client is destroyed on release instead of going back to the pool.
 */
export async function withClient<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => { broken = err; };
  c.on('error', onError);
  try {
    return await fn(c);
  } finally {
    c.off('error', onError);
    c.release(broken);
  }
}

/** Runs `fn` in a transaction on one client of the pool. */
export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  return await withClient(pool, async (c) => {
    await c.query('BEGIN');
    try {
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    }
  });
}
