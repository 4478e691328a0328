/**
 * The read side's view of a database: run a query with `?` placeholders, get rows. The admin API,
 * the dashboard and the CLI (store/queries.ts) use one SQL text for both stores; where the dialects
 * differ it asks `dialect`.
 */
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import type { Awaitable } from './awaitable.ts';

export type Row = Record<string, unknown>;

export interface SqlReader {
  readonly dialect: 'sqlite' | 'postgres';
  all(sql: string, params?: readonly unknown[]): Awaitable<Row[]>;
}

/** node:sqlite, statements prepared once per SQL text (the read side builds few distinct texts). */
export function sqliteReader(db: DatabaseSync): SqlReader {
  const prepared = new Map<string, ReturnType<DatabaseSync['prepare']>>();
  return {
    dialect: 'sqlite',
    all(sql, params = []) {
      let st = prepared.get(sql);
      if (!st) {
        if (prepared.size > 500) prepared.clear();
        prepared.set(sql, (st = db.prepare(sql)));
      }
      return st.all(...(params as SQLInputValue[])) as Row[];
    },
  };
}

/** `?` placeholders as PostgreSQL's `$1, $2, ...` (the read side's SQL has no `?` inside literals). */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
