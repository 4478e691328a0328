/**
 * The embedded store: one SQLite file (store/db.ts), one Synrouter process. Its parts answer
 * synchronously; counters and keep-alive are this process's alone.
 */
import { KeyStore } from './keys.ts';
import { Ledger } from './ledger.ts';
import { openDatabase } from './db.ts';
import { Queries } from './queries.ts';
import { sqliteReader } from './sql.ts';
import type { Store } from './store.ts';
import { SessionStore } from '../session/session-state.ts';
import { Limits } from '../auth/limits.ts';

export function openSqliteStore(path: string, opts: { ledger: { flushMs: number; batchSize: number } }): Store {
  const db = openDatabase(path);
  const ledger = new Ledger(db, opts.ledger);
  const spentSince = db.prepare('SELECT coalesce(sum(cost_usd), 0) AS usd FROM turns WHERE key_id = ? AND ts >= ?');
  return {
    kind: 'sqlite',
    where: path,
    keys: new KeyStore(db),
    ledger,
    sessions: new SessionStore(db),
    queries: new Queries(sqliteReader(db)),
    limits: (config) => new Limits(config, (keyId, since) => (spentSince.get(keyId, since) as { usd: number }).usd),
    async ready() {
      try {
        db.prepare('SELECT 1').get();
        return { ok: true, detail: `sqlite ${path}` };
      } catch (err) {
        return { ok: false, detail: `sqlite: ${(err as Error).message}` };
      }
    },
    async close() {
      ledger.close();
      db.close();
    },
  };
}

/** Keys and the read side only: for the CLI. */
export function openSqliteAdmin(path: string): Pick<Store, 'kind' | 'where' | 'keys' | 'queries' | 'close'> {
  const db = openDatabase(path);
  return { kind: 'sqlite', where: path, keys: new KeyStore(db), queries: new Queries(sqliteReader(db)), close: async () => db.close() };
}
