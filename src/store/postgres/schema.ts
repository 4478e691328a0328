/**
 * The PostgreSQL schema: the SQLite store's tables (store/db.ts) in PostgreSQL's types, plus what
 * several instances share: a version counter for the keys (every instance's key cache checks it),
 * instances' heartbeats, the shared limits' counters and keep-alive ownership. Migrations run at start
 * under an advisory lock, so instances starting at once apply each step once and none serves on an old
 * schema (LiteLLM #14400, scale-out.md). Append, never edit.
 */
import type pg from 'pg';
import { withClient } from './connect.ts';

/**
 * A ledger row as facts of the hourly rollup (the accounting of store/queries.ts); `t` is the row.
 * The turn_facts view and the ledger's batch insert (postgres/ledger.ts: rows are rolled up per batch
 * in the insert statement, not by a trigger per row, which would make every instance wait on the same
 * rollup rows) both read it.
 */
export const TURN_FACTS = (t: string) => `
  (${t}.ts / 3600000) * 3600000 AS hour, ${t}.key_id, coalesce(${t}.session_id, '') AS session_id,
  coalesce(${t}.response_model, ${t}.requested_model, '') AS model, ${t}.client_protocol,
  1 AS rows_n,
  CASE WHEN ${t}.kind = 'turn' THEN 1 ELSE 0 END AS turns,
  CASE WHEN ${t}.kind = 'turn' AND ${t}.status <> 200 THEN 1 ELSE 0 END AS errors,
  CASE WHEN ${t}.kind = 'keepalive' THEN 1 ELSE 0 END AS keepalives,
  CASE WHEN ${t}.kind = 'retry' THEN 1 ELSE 0 END AS retries,
  CASE WHEN ${t}.kind = 'turn' AND ${t}.cost_usd IS NULL AND ${t}.input_tokens + ${t}.cache_read_tokens + ${t}.cache_write_5m_tokens + ${t}.cache_write_1h_tokens + ${t}.output_tokens > 0 THEN 1 ELSE 0 END AS unpriced,
  CASE WHEN ${t}.kind = 'turn' AND ${t}.cost_usd IS NOT NULL THEN 1 ELSE 0 END AS priced,
  CASE WHEN ${t}.kind = 'turn' THEN ${t}.input_tokens ELSE 0 END AS input_tokens,
  CASE WHEN ${t}.kind = 'turn' THEN ${t}.cache_read_tokens ELSE 0 END AS cache_read_tokens,
  CASE WHEN ${t}.kind = 'turn' THEN ${t}.cache_write_5m_tokens ELSE 0 END AS cache_write_5m_tokens,
  CASE WHEN ${t}.kind = 'turn' THEN ${t}.cache_write_1h_tokens ELSE 0 END AS cache_write_1h_tokens,
  CASE WHEN ${t}.kind = 'turn' THEN ${t}.output_tokens ELSE 0 END AS output_tokens,
  coalesce(${t}.cost_usd, 0) AS cost_usd,
  CASE WHEN ${t}.kind = 'keepalive' THEN coalesce(${t}.cost_usd, 0) ELSE 0 END AS keepalive_cost_usd,
  CASE WHEN ${t}.kind = 'turn' AND ${t}.cost_usd IS NOT NULL THEN coalesce(${t}.cost_direct_usd, ${t}.cost_usd) ELSE 0 END AS cost_direct_usd,
  CASE WHEN ${t}.kind = 'turn' AND ${t}.cost_usd IS NOT NULL THEN coalesce(${t}.cost_client_usd, ${t}.cost_usd) ELSE 0 END AS cost_client_usd,
  ${t}.ts AS first_ts, ${t}.ts AS last_ts`;

/** The columns summed into turn_hours (everything but the key columns and the time bounds). */
export const ROLLUP_SUMS = ['rows_n', 'turns', 'errors', 'keepalives', 'retries', 'unpriced', 'priced', 'input_tokens', 'cache_read_tokens',
  'cache_write_5m_tokens', 'cache_write_1h_tokens', 'output_tokens', 'cost_usd', 'keepalive_cost_usd', 'cost_direct_usd', 'cost_client_usd'] as const;

export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE keys (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     hash TEXT NOT NULL UNIQUE,          -- sha256 hex of the full key; the key itself is never stored
     prefix TEXT NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('admin', 'client')),
     mode TEXT NOT NULL CHECK (mode IN ('coding', 'general')),
     created_at BIGINT NOT NULL,
     revoked_at BIGINT,
     budget_usd_day DOUBLE PRECISION,
     budget_usd_month DOUBLE PRECISION,
     shadow INTEGER NOT NULL DEFAULT 0
   );
   -- Every instance keeps found keys in memory and re-reads them when this counter moved (postgres/keys.ts).
   CREATE TABLE store_versions (name TEXT PRIMARY KEY, version BIGINT NOT NULL);
   INSERT INTO store_versions VALUES ('keys', 0);
   CREATE FUNCTION synrouter_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN UPDATE store_versions SET version = version + 1 WHERE name = 'keys'; RETURN NULL; END $$;
   CREATE TRIGGER keys_changed AFTER INSERT OR UPDATE OR DELETE ON keys FOR EACH STATEMENT EXECUTE FUNCTION synrouter_keys_changed();

   CREATE TABLE turns (
     id BIGSERIAL PRIMARY KEY,
     row_uid TEXT NOT NULL UNIQUE,       -- instance:seq of the row: a batch written twice (a lost COMMIT reply) counts once
     ts BIGINT NOT NULL,
     request_id TEXT NOT NULL,
     kind TEXT NOT NULL DEFAULT 'turn',
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
     input_tokens BIGINT NOT NULL DEFAULT 0,
     cache_read_tokens BIGINT NOT NULL DEFAULT 0,
     cache_write_5m_tokens BIGINT NOT NULL DEFAULT 0,
     cache_write_1h_tokens BIGINT NOT NULL DEFAULT 0,
     output_tokens BIGINT NOT NULL DEFAULT 0,
     cost_usd DOUBLE PRECISION,
     cost_direct_usd DOUBLE PRECISION,
     latency_ms DOUBLE PRECISION,
     ttfb_ms DOUBLE PRECISION,
     miss_reason TEXT,
     engine TEXT,
     cost_client_usd DOUBLE PRECISION,
     cost_shadow_usd DOUBLE PRECISION
   );
   CREATE INDEX turns_ts ON turns (ts);
   CREATE INDEX turns_session ON turns (session_id, ts);
   CREATE INDEX turns_key ON turns (key_id, ts);
   CREATE VIEW turn_facts AS SELECT t.id, t.ts, ${TURN_FACTS('t')} FROM turns t;
   CREATE TABLE turn_hours (
     hour BIGINT NOT NULL, key_id TEXT NOT NULL, session_id TEXT NOT NULL, model TEXT NOT NULL, client_protocol TEXT NOT NULL,
     ${ROLLUP_SUMS.map((c) => `${c} ${c.includes('usd') ? 'DOUBLE PRECISION' : 'BIGINT'} NOT NULL`).join(', ')},
     first_ts BIGINT NOT NULL, last_ts BIGINT NOT NULL,
     PRIMARY KEY (hour, key_id, session_id, model)
   );
   CREATE INDEX turn_hours_session ON turn_hours (key_id, session_id);

   CREATE TABLE open_turns (
     instance TEXT NOT NULL, seq BIGINT NOT NULL,
     ts BIGINT NOT NULL, request_id TEXT NOT NULL, kind TEXT NOT NULL, key_id TEXT NOT NULL, session_id TEXT,
     client_protocol TEXT NOT NULL, endpoint TEXT NOT NULL, requested_model TEXT, provider TEXT, streamed INTEGER NOT NULL,
     status INTEGER NOT NULL DEFAULT 0, response_model TEXT,
     input_tokens BIGINT NOT NULL DEFAULT 0, cache_read_tokens BIGINT NOT NULL DEFAULT 0, cache_write_5m_tokens BIGINT NOT NULL DEFAULT 0,
     cache_write_1h_tokens BIGINT NOT NULL DEFAULT 0, output_tokens BIGINT NOT NULL DEFAULT 0,
     cost_usd DOUBLE PRECISION, cost_direct_usd DOUBLE PRECISION, cost_client_usd DOUBLE PRECISION, ttfb_ms DOUBLE PRECISION,
     PRIMARY KEY (instance, seq)
   );

   CREATE TABLE sessions (
     key_id TEXT NOT NULL,
     session_id TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     model TEXT NOT NULL,
     turns INTEGER NOT NULL,
     updated_at BIGINT NOT NULL,        -- the last turn's start (state.lastAt)
     state TEXT NOT NULL,               -- the cache engine's SessionCacheState as JSON
     version BIGINT NOT NULL,           -- +1 per write: an instance's copy is current while its version is
     owner TEXT,                        -- the instance that wrote the last turn's state: it sends the keep-alive pings
     pinged_for BIGINT,                 -- the due time of the last ping claimed (one ping per due time)
     PRIMARY KEY (key_id, session_id)
   );
   CREATE INDEX sessions_updated ON sessions (updated_at);

   -- The database's clock in ms: instances' liveness is judged by one clock, whatever the instances' clocks say.
   CREATE FUNCTION synrouter_now() RETURNS BIGINT LANGUAGE sql AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT $$;
   -- Running instances: a heartbeat per second. One whose heartbeat stopped is dead: its open rows
   -- become interrupted turns and its counters are dropped (postgres/jobs.ts).
   CREATE TABLE instances (id TEXT PRIMARY KEY, started_at BIGINT NOT NULL, seen_at BIGINT NOT NULL);

   -- Shared limits (postgres/limits.ts): admissions of the last minute and requests in flight, per key.
   CREATE TABLE rate_log (key_id TEXT NOT NULL, ts BIGINT NOT NULL);
   CREATE INDEX rate_log_key ON rate_log (key_id, ts);
   CREATE TABLE inflight (key_id TEXT NOT NULL, instance TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (key_id, instance));
   -- One round trip per admission, exact across instances: a key's admissions are serialized by an
   -- advisory lock on the key for the length of this call's transaction.
   CREATE FUNCTION synrouter_admit(p_key TEXT, p_instance TEXT, p_now BIGINT, p_rpm INTEGER, p_conc INTEGER, p_dead_after BIGINT)
     RETURNS TABLE (verdict TEXT, detail BIGINT) LANGUAGE plpgsql AS $$
     DECLARE recent BIGINT; oldest BIGINT; running BIGINT;
     BEGIN
       PERFORM pg_advisory_xact_lock(hashtext('synrouter.admit'), hashtext(p_key));
       IF p_rpm > 0 THEN
         SELECT count(*), min(ts) INTO recent, oldest FROM rate_log WHERE key_id = p_key AND ts > p_now - 60000;
         IF recent >= p_rpm THEN
           -- The admission that leaves the window first, as the time to retry after.
           SELECT ts INTO oldest FROM rate_log WHERE key_id = p_key AND ts > p_now - 60000 ORDER BY ts OFFSET recent - p_rpm LIMIT 1;
           RETURN QUERY SELECT 'rpm'::TEXT, oldest + 60000 - p_now; RETURN;
         END IF;
       END IF;
       IF p_conc > 0 THEN
         SELECT coalesce(sum(i.n), 0) INTO running FROM inflight i JOIN instances s ON s.id = i.instance
           WHERE i.key_id = p_key AND s.seen_at > synrouter_now() - p_dead_after;
         IF running >= p_conc THEN RETURN QUERY SELECT 'concurrency'::TEXT, running; RETURN; END IF;
         INSERT INTO inflight VALUES (p_key, p_instance, 1) ON CONFLICT (key_id, instance) DO UPDATE SET n = inflight.n + 1;
       END IF;
       IF p_rpm > 0 THEN INSERT INTO rate_log VALUES (p_key, p_now); END IF;
       RETURN QUERY SELECT 'ok'::TEXT, 0::BIGINT;
     END $$;`,
];

const MIGRATE_LOCK = 0x53796e72; // 'Synr'

/** Applies the missing migrations, one instance at a time; returns how many ran. */
export async function migrate(pool: pg.Pool): Promise<number> {
  return await withClient(pool, async (c) => {
    try {
      await c.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
      await c.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
      const { rows } = await c.query<{ version: number }>('SELECT version FROM schema_version');
      let version = rows[0]?.version ?? 0;
      if (rows.length === 0) await c.query('INSERT INTO schema_version VALUES (0)');
      if (version > MIGRATIONS.length) throw new Error(`the database's schema is at version ${version}, newer than this Synrouter (${MIGRATIONS.length}): upgrade Synrouter`);
      const from = version;
      for (; version < MIGRATIONS.length; version++) {
        await c.query('BEGIN');
        try {
          await c.query(MIGRATIONS[version]!);
          await c.query('UPDATE schema_version SET version = $1', [version + 1]);
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK');
          throw err;
        }
      }
      return version - from;
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]).catch(() => {});
    }
  });
}

/** The schema's version, for GET /ready. */
export async function schemaVersion(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ version: number }>('SELECT version FROM schema_version');
  return rows[0]?.version ?? 0;
}
