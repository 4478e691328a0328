/**
 * The embedded store: one SQLite file through node:sqlite, in WAL mode so readers (CLI, dashboard)
 * never block the proxy's writer and a kill -9 leaves a consistent file (runtime.md §1).
 */
import { DatabaseSync } from 'node:sqlite';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/** Schema steps, applied in order; PRAGMA user_version records how many ran. Append, never edit. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE keys (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     hash TEXT NOT NULL UNIQUE,          -- sha256 hex of the full key; the key itself is never stored
     prefix TEXT NOT NULL,               -- first characters, to recognise a key in listings
     role TEXT NOT NULL CHECK (role IN ('admin', 'client')),
     mode TEXT NOT NULL CHECK (mode IN ('coding', 'general')),
     created_at INTEGER NOT NULL,
     revoked_at INTEGER
   );
   CREATE TABLE turns (
     id INTEGER PRIMARY KEY,
     ts INTEGER NOT NULL,                -- ms epoch at request start
     request_id TEXT NOT NULL,
     kind TEXT NOT NULL DEFAULT 'turn',  -- 'turn'; later kinds (keep-alive pings) get their own rows
     key_id TEXT NOT NULL,
     session_id TEXT,
     client_protocol TEXT NOT NULL,
     endpoint TEXT NOT NULL,
     requested_model TEXT,
     response_model TEXT,
     provider TEXT,
     status INTEGER NOT NULL,
     error_code TEXT,
     streamed INTEGER NOT NULL,
     aborted INTEGER NOT NULL DEFAULT 0,
     input_tokens INTEGER NOT NULL DEFAULT 0,
     cache_read_tokens INTEGER NOT NULL DEFAULT 0,
     cache_write_5m_tokens INTEGER NOT NULL DEFAULT 0,
     cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0,
     output_tokens INTEGER NOT NULL DEFAULT 0,
     cost_usd REAL,                      -- NULL when the model's prices are unknown
     cost_direct_usd REAL,               -- the same tokens with no caching
     latency_ms REAL,
     ttfb_ms REAL
   );
   CREATE INDEX turns_ts ON turns (ts);
   CREATE INDEX turns_session ON turns (session_id, ts);
   CREATE INDEX turns_key ON turns (key_id, ts);`,
  `CREATE TABLE sessions (
     key_id TEXT NOT NULL,
     session_id TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     model TEXT NOT NULL,
     turns INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     state TEXT NOT NULL,               -- the cache engine's SessionCacheState as JSON
     PRIMARY KEY (key_id, session_id)
   );
   ALTER TABLE turns ADD COLUMN miss_reason TEXT;     -- why the cache missed, from the cache engine
   ALTER TABLE turns ADD COLUMN engine TEXT;          -- what the engine did (JSON list of changes)
   ALTER TABLE turns ADD COLUMN cost_client_usd REAL; -- the turn billed with the client's own markers only`,
  `ALTER TABLE keys ADD COLUMN budget_usd_day REAL;    -- spend limit per UTC day, NULL = none
   ALTER TABLE keys ADD COLUMN budget_usd_month REAL;  -- spend limit per UTC month, NULL = none
   -- Read side (admin API, dashboard, CLI): ledger sums per UTC hour, key, session and model, kept by
   -- triggers so that totals, charts and session lists read a few thousand rows instead of every turn
   -- (store/queries.ts adds the raw rows of partial hours at the edges of a time range). The split by
   -- kind is the accounting of store/queries.ts: tokens are turns only; spend is every row with a cost;
   -- direct and client-only cost are priced turns only.
   CREATE TABLE turn_hours (
     hour INTEGER NOT NULL,               -- ms epoch of the UTC hour
     key_id TEXT NOT NULL,
     session_id TEXT NOT NULL,            -- '' for rows without a session
     model TEXT NOT NULL,                 -- response model, else requested model, else ''
     client_protocol TEXT NOT NULL,
     rows_n INTEGER NOT NULL, turns INTEGER NOT NULL, errors INTEGER NOT NULL, keepalives INTEGER NOT NULL, retries INTEGER NOT NULL,
     unpriced INTEGER NOT NULL, priced INTEGER NOT NULL,
     input_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL, cache_write_5m_tokens INTEGER NOT NULL,
     cache_write_1h_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
     cost_usd REAL NOT NULL, keepalive_cost_usd REAL NOT NULL, cost_direct_usd REAL NOT NULL, cost_client_usd REAL NOT NULL,
     first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,
     PRIMARY KEY (hour, key_id, session_id, model)
   ) WITHOUT ROWID;
   CREATE INDEX turn_hours_session ON turn_hours (key_id, session_id);
   CREATE VIEW turn_facts AS SELECT
     id, ts, CAST(ts / 3600000 AS INTEGER) * 3600000 AS hour, key_id, coalesce(session_id, '') AS session_id,
     coalesce(response_model, requested_model, '') AS model, client_protocol,
     1 AS rows_n, kind = 'turn' AS turns, kind = 'turn' AND status <> 200 AS errors, kind = 'keepalive' AS keepalives, kind = 'retry' AS retries,
     kind = 'turn' AND cost_usd IS NULL AND input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens + output_tokens > 0 AS unpriced,
     kind = 'turn' AND cost_usd IS NOT NULL AS priced,
     CASE WHEN kind = 'turn' THEN input_tokens ELSE 0 END AS input_tokens,
     CASE WHEN kind = 'turn' THEN cache_read_tokens ELSE 0 END AS cache_read_tokens,
     CASE WHEN kind = 'turn' THEN cache_write_5m_tokens ELSE 0 END AS cache_write_5m_tokens,
     CASE WHEN kind = 'turn' THEN cache_write_1h_tokens ELSE 0 END AS cache_write_1h_tokens,
     CASE WHEN kind = 'turn' THEN output_tokens ELSE 0 END AS output_tokens,
     coalesce(cost_usd, 0) AS cost_usd,
     CASE WHEN kind = 'keepalive' THEN coalesce(cost_usd, 0) ELSE 0 END AS keepalive_cost_usd,
     CASE WHEN kind = 'turn' AND cost_usd IS NOT NULL THEN coalesce(cost_direct_usd, cost_usd) ELSE 0 END AS cost_direct_usd,
     CASE WHEN kind = 'turn' AND cost_usd IS NOT NULL THEN coalesce(cost_client_usd, cost_usd) ELSE 0 END AS cost_client_usd,
     ts AS first_ts, ts AS last_ts
   FROM turns;
   CREATE TRIGGER turn_hours_insert AFTER INSERT ON turns BEGIN
     INSERT INTO turn_hours SELECT hour, key_id, session_id, model, client_protocol, rows_n, turns, errors, keepalives, retries, unpriced, priced,
       input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,
       cost_usd, keepalive_cost_usd, cost_direct_usd, cost_client_usd, first_ts, last_ts
     FROM turn_facts WHERE id = NEW.id
     ON CONFLICT (hour, key_id, session_id, model) DO UPDATE SET
       rows_n = rows_n + excluded.rows_n, turns = turns + excluded.turns, errors = errors + excluded.errors,
       keepalives = keepalives + excluded.keepalives, retries = retries + excluded.retries,
       unpriced = unpriced + excluded.unpriced, priced = priced + excluded.priced,
       input_tokens = input_tokens + excluded.input_tokens, cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
       cache_write_5m_tokens = cache_write_5m_tokens + excluded.cache_write_5m_tokens,
       cache_write_1h_tokens = cache_write_1h_tokens + excluded.cache_write_1h_tokens, output_tokens = output_tokens + excluded.output_tokens,
       cost_usd = cost_usd + excluded.cost_usd, keepalive_cost_usd = keepalive_cost_usd + excluded.keepalive_cost_usd,
       cost_direct_usd = cost_direct_usd + excluded.cost_direct_usd, cost_client_usd = cost_client_usd + excluded.cost_client_usd,
       first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts),
       client_protocol = excluded.client_protocol;
   END;
   -- Deleting ledger rows (retention) takes them out of the sums; first/last times are kept as they were.
   CREATE TRIGGER turn_hours_delete AFTER DELETE ON turns BEGIN
     UPDATE turn_hours SET
       rows_n = rows_n - 1, turns = turns - (OLD.kind = 'turn'), errors = errors - (OLD.kind = 'turn' AND OLD.status <> 200),
       keepalives = keepalives - (OLD.kind = 'keepalive'), retries = retries - (OLD.kind = 'retry'),
       unpriced = unpriced - (OLD.kind = 'turn' AND OLD.cost_usd IS NULL AND OLD.input_tokens + OLD.cache_read_tokens + OLD.cache_write_5m_tokens + OLD.cache_write_1h_tokens + OLD.output_tokens > 0),
       priced = priced - (OLD.kind = 'turn' AND OLD.cost_usd IS NOT NULL),
       input_tokens = input_tokens - (CASE WHEN OLD.kind = 'turn' THEN OLD.input_tokens ELSE 0 END),
       cache_read_tokens = cache_read_tokens - (CASE WHEN OLD.kind = 'turn' THEN OLD.cache_read_tokens ELSE 0 END),
       cache_write_5m_tokens = cache_write_5m_tokens - (CASE WHEN OLD.kind = 'turn' THEN OLD.cache_write_5m_tokens ELSE 0 END),
       cache_write_1h_tokens = cache_write_1h_tokens - (CASE WHEN OLD.kind = 'turn' THEN OLD.cache_write_1h_tokens ELSE 0 END),
       output_tokens = output_tokens - (CASE WHEN OLD.kind = 'turn' THEN OLD.output_tokens ELSE 0 END),
       cost_usd = cost_usd - coalesce(OLD.cost_usd, 0),
       keepalive_cost_usd = keepalive_cost_usd - (CASE WHEN OLD.kind = 'keepalive' THEN coalesce(OLD.cost_usd, 0) ELSE 0 END),
       cost_direct_usd = cost_direct_usd - (CASE WHEN OLD.kind = 'turn' AND OLD.cost_usd IS NOT NULL THEN coalesce(OLD.cost_direct_usd, OLD.cost_usd) ELSE 0 END),
       cost_client_usd = cost_client_usd - (CASE WHEN OLD.kind = 'turn' AND OLD.cost_usd IS NOT NULL THEN coalesce(OLD.cost_client_usd, OLD.cost_usd) ELSE 0 END)
     WHERE hour = CAST(OLD.ts / 3600000 AS INTEGER) * 3600000 AND key_id = OLD.key_id AND session_id = coalesce(OLD.session_id, '')
       AND model = coalesce(OLD.response_model, OLD.requested_model, '');
     DELETE FROM turn_hours WHERE rows_n <= 0 AND hour = CAST(OLD.ts / 3600000 AS INTEGER) * 3600000 AND key_id = OLD.key_id;
   END;
   INSERT INTO turn_hours SELECT hour, key_id, session_id, model, max(client_protocol), sum(rows_n), sum(turns), sum(errors), sum(keepalives), sum(retries),
     sum(unpriced), sum(priced), sum(input_tokens), sum(cache_read_tokens), sum(cache_write_5m_tokens), sum(cache_write_1h_tokens), sum(output_tokens),
     total(cost_usd), total(keepalive_cost_usd), total(cost_direct_usd), total(cost_client_usd), min(first_ts), max(last_ts)
   FROM turn_facts GROUP BY hour, key_id, session_id, model;`,
  `ALTER TABLE keys ADD COLUMN shadow INTEGER NOT NULL DEFAULT 0;   -- forward client bytes untouched, record what the engine would do
   ALTER TABLE turns ADD COLUMN cost_shadow_usd REAL;                -- shadow keys: the turn as the cache engine would have sent it`,
  // Requests at an upstream now (store/ledger.ts): a row is committed before each request goes out and
  // deleted in the transaction that writes its finished row to turns, so turns stays insert-only.
  // Rows a dead process left here are moved to turns as interrupted on the next start.
  `CREATE TABLE open_turns (
     instance TEXT NOT NULL,             -- the Ledger (process) that opened it: a random id per start
     seq INTEGER NOT NULL,               -- its order in that Ledger
     -- known at dispatch
     ts INTEGER NOT NULL, request_id TEXT NOT NULL, kind TEXT NOT NULL, key_id TEXT NOT NULL, session_id TEXT,
     client_protocol TEXT NOT NULL, endpoint TEXT NOT NULL, requested_model TEXT, provider TEXT, streamed INTEGER NOT NULL,
     -- metered so far, written by the periodic flush while the request runs
     status INTEGER NOT NULL DEFAULT 0,  -- 0 until the response head arrived
     response_model TEXT, input_tokens INTEGER NOT NULL DEFAULT 0, cache_read_tokens INTEGER NOT NULL DEFAULT 0,
     cache_write_5m_tokens INTEGER NOT NULL DEFAULT 0, cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
     cost_usd REAL, cost_direct_usd REAL, cost_client_usd REAL, ttfb_ms REAL,
     PRIMARY KEY (instance, seq)
   ) WITHOUT ROWID;`,
];

export function openDatabase(path: string): DatabaseSync {
  if (path !== ':memory:') makePrivate(path);
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
  const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number };
  for (let i = version; i < MIGRATIONS.length; i++) {
    db.exec('BEGIN');
    try {
      db.exec(MIGRATIONS[i]!);
      db.exec(`PRAGMA user_version = ${i + 1}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
  return db;
}

/**
 * The store holds key hashes, every session's state and every turn: its owner's only, whatever the
 * umask. The data directory is created 0700 (one that exists is left as it is), the database file
 * 0600 before SQLite opens it, because SQLite gives the -wal and -shm files it creates the database
 * file's permissions (os_unix.c, findCreateFileMode). Files an earlier version left 0644 are narrowed.
 */
function makePrivate(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    // It exists (and may be read-only to this user, which SQLite handles): the loop below narrows it.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if (existsSync(file)) chmodSync(file, 0o600);
    } catch (err) {
      // Another user's store (a CLI run with read access to it): not ours to change; SQLite decides.
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    }
  }
}
