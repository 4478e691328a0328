/** `synrouter migrate`: applies the store's migrations and exits (a deploy step before rolling out instances). */
import type { Config } from '../config.ts';
import { openDatabase } from '../store/db.ts';
import { migratePg } from '../store/postgres/store.ts';
import { redactUrl } from '../store/postgres/connect.ts';

export async function migrateCommand(config: Config): Promise<number> {
  if (config.databaseUrl) {
    const ran = await migratePg(config.databaseUrl);
    console.log(`${redactUrl(config.databaseUrl)}: ${ran} migration(s) applied; the schema is current.`);
    return 0;
  }
  // SQLite migrates when the file is opened.
  openDatabase(config.dbPath).close();
  console.log(`${config.dbPath}: the schema is current.`);
  return 0;
}
