/**
 * The embedded store: one SQLite file through node:sqlite, in WAL mode so readers (CLI, dashboard)
 * never block the proxy's writer and a kill -9 leaves a consistent file (runtime.md §1).
 */
import { DatabaseSync } from 'node:sqlite';
import { mkdirSync } from 'node:fs';
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
];

export function openDatabase(path: string): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
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
