/** The store the configuration names: PostgreSQL when a database URL is set, else the SQLite file. */
import type { Config } from '../config.ts';
import type { Store } from './store.ts';
import { openSqliteAdmin, openSqliteStore } from './sqlite-store.ts';
import { openPgAdmin, openPgStore } from './postgres/store.ts';

export async function openStore(config: Config, opts: { clock: { now(): number } }): Promise<Store> {
  if (config.databaseUrl) {
    return await openPgStore(config.databaseUrl, {
      ledger: config.ledger, clock: opts.clock, sessionRetentionMs: config.sessionRetentionDays * 86_400_000,
      ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
    });
  }
  return openSqliteStore(config.dbPath, { ledger: config.ledger });
}

export type AdminStore = Pick<Store, 'kind' | 'where' | 'keys' | 'queries' | 'close'>;

/** Keys and the read side, for the CLI (`synrouter keys|usage|sessions`). */
export async function openAdminStore(config: Config): Promise<AdminStore> {
  return config.databaseUrl ? await openPgAdmin(config.databaseUrl) : openSqliteAdmin(config.dbPath);
}
