/**
 * The ledger on PostgreSQL: the same rows and the same open-row protocol as store/ledger.ts, shared
 * by every instance. Finished rows are written in batches, off the request path, as one multi-row
 * insert that also adds the batch's sums to the hourly rollup (rows are rolled up per batch, keys in
 * order, instead of by a trigger per row: no rollup row becomes every instance's lock, LiteLLM #9608).
 * Each row has a uid (instance:seq), so a batch written twice (its COMMIT's reply lost) counts once. A
 * batch that fails stays queued, in order, for the next flush: rows leave memory only once their
 * COMMIT is acknowledged (LiteLLM #33872 lost spend that way).
 */
import type pg from 'pg';
import {
  COLUMNS, dropOverflow, IN_OPEN_ROWS, NOTHING, OPENED, openedValues, PROGRESS, progressed, RECOVERED, values,
  type OpenRow, type OpenTurn, type Opened, type Progress, type TurnRow,
} from '../ledger.ts';
import type { LedgerApi } from '../store.ts';
import { inTransaction } from './connect.ts';
import { ROLLUP_SUMS, TURN_FACTS } from './schema.ts';

/** Rows per insert statement (27 parameters each; PostgreSQL takes at most 65,535). */
const ROWS_PER_STATEMENT = 1000;

/** `INSERT ... RETURNING *` rows (a CTE named `ins`) into turns' hourly sums. */
export const ROLLUP_FROM_INS = `INSERT INTO turn_hours (hour, key_id, session_id, model, client_protocol, ${ROLLUP_SUMS.join(', ')}, first_ts, last_ts)
  SELECT hour, key_id, session_id, model, max(client_protocol), ${ROLLUP_SUMS.map((c) => `sum(${c})`).join(', ')}, min(first_ts), max(last_ts)
  FROM (SELECT ${TURN_FACTS('ins')} FROM ins) AS f GROUP BY hour, key_id, session_id, model ORDER BY hour, key_id, session_id, model
  ON CONFLICT (hour, key_id, session_id, model) DO UPDATE SET
    ${ROLLUP_SUMS.map((c) => `${c} = turn_hours.${c} + excluded.${c}`).join(', ')},
    first_ts = least(turn_hours.first_ts, excluded.first_ts), last_ts = greatest(turn_hours.last_ts, excluded.last_ts),
    client_protocol = excluded.client_protocol`;

/**
 * Moves open rows (a dead instance's: `where` picks them) into turns as interrupted, rolled up, and
 * deletes them, in the caller's transaction. Returns how many.
 */
export async function recoverOpenRows(c: pg.PoolClient, where: string, params: unknown[]): Promise<number> {
  const select = COLUMNS.map((col) => RECOVERED[col] ?? (IN_OPEN_ROWS.has(col) ? col : 'NULL')).join(', ');
  await c.query(
    `WITH ins AS (INSERT INTO turns (row_uid, ${COLUMNS.join(', ')})
       SELECT o.instance || ':' || o.seq, ${select} FROM open_turns o WHERE ${where} ORDER BY instance, seq
       ON CONFLICT (row_uid) DO NOTHING RETURNING *)
     ${ROLLUP_FROM_INS}`,
    params,
  );
  const { rowCount } = await c.query(`DELETE FROM open_turns o WHERE ${where}`, params);
  return rowCount ?? 0;
}

interface Queued {
  row: TurnRow;
  uid: string;
  /** The open row this finished row replaces. */
  seq: number | undefined;
}

export class PgLedger implements LedgerApi {
  readonly #pool: pg.Pool;
  /** Connections that commit without waiting for the WAL flush (open rows: postgres/connect.ts). */
  readonly #fast: pg.Pool;
  readonly instance: string;
  readonly #batchSize: number;
  #seq = 0;
  readonly #open = new Map<number, Opened>();
  #queue: Queued[] = [];
  #timer: NodeJS.Timeout;
  #flushing: Promise<void> | undefined;
  #again = false;
  #closed = false;
  failures = 0;
  dropped = 0;
  /** Rows PostgreSQL refused for their values (logged whole, not retried). */
  rejected = 0;

  constructor(pool: pg.Pool, fast: pg.Pool, instance: string, opts: { flushMs: number; batchSize: number }) {
    this.#pool = pool;
    this.#fast = fast;
    this.instance = instance;
    this.#batchSize = opts.batchSize;
    this.#timer = setInterval(() => void this.flush(), opts.flushMs);
    this.#timer.unref();
  }

  /** Committed before the request goes out; a failed insert is logged and the request goes ahead (never rejects). */
  async open(row: OpenRow, progress?: () => Progress): Promise<OpenTurn> {
    const open = { seq: ++this.#seq };
    try {
      await this.#fast.query(
        `INSERT INTO open_turns (instance, seq, ${OPENED.join(', ')}) VALUES ($1, $2, ${OPENED.map((_, i) => `$${i + 3}`).join(', ')})`,
        [this.instance, open.seq, ...openedValues(row)],
      );
      if (progress) this.#open.set(open.seq, { progress, written: NOTHING });
    } catch (err) {
      this.failures++;
      console.error(`[synrouter] ledger: could not open a row for ${row.requestId} (recorded when it ends): ${(err as Error).message}`);
    }
    return open;
  }

  record(row: TurnRow, open?: OpenTurn): void {
    if (open) this.#open.delete(open.seq);
    const seq = open?.seq ?? ++this.#seq;
    this.#queue.push({ row, uid: `${this.instance}:${seq}`, seq: open?.seq });
    if (this.#closed || this.#queue.length >= this.#batchSize) void this.flush();
  }

  /** Writes what is queued; one flush at a time (a call during one runs another right after it). */
  flush(): Promise<void> {
    if (this.#flushing) {
      this.#again = true;
      return this.#flushing;
    }
    this.#flushing = (async () => {
      do {
        this.#again = false;
        await this.#flushOnce();
      } while (this.#again);
    })().finally(() => { this.#flushing = undefined; });
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    const updates = progressed(this.#open);
    if (this.#queue.length === 0 && updates.length === 0) return;
    const rows = this.#queue;
    this.#queue = [];
    try {
      await inTransaction(this.#pool, async (c) => {
        for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) await insertRows(c, rows.slice(i, i + ROWS_PER_STATEMENT));
        const replaced = rows.flatMap((q) => (q.seq === undefined ? [] : [q.seq]));
        if (replaced.length) await c.query('DELETE FROM open_turns WHERE instance = $1 AND seq = ANY($2::bigint[])', [this.instance, replaced]);
        for (const u of updates) {
          await c.query(
            `UPDATE open_turns SET ${PROGRESS.map(([, col], i) => `${col} = $${i + 1}`).join(', ')} WHERE instance = $${PROGRESS.length + 1} AND seq = $${PROGRESS.length + 2}`,
            [...PROGRESS.map(([f]) => u.now[f]), this.instance, u.seq],
          );
        }
      });
      for (const u of updates) u.opened.written = u.now;
    } catch (err) {
      this.failures++;
      if (isDataError(err) && rows.length > 0) {
        // A value PostgreSQL refuses would fail its batch on every retry and hold up all rows behind it.
        await this.#writeOneByOne(rows, err as Error);
        return;
      }
      this.#queue.unshift(...rows);
      this.dropped += dropOverflow(this.#queue);
      console.error(`[synrouter] ledger write failed (${rows.length} rows kept for retry): ${(err as Error).message}`);
    }
  }

  /**
   * After a batch failed on its data: each row on its own. A row refused again for its data is set
   * aside: logged whole (rows hold no secrets), so it can be replayed by hand, and counted in
   * `rejected`; the rest are written, or kept for retry if the store fails otherwise.
   */
  async #writeOneByOne(rows: Queued[], batchError: Error): Promise<void> {
    const kept: Queued[] = [];
    for (const q of rows) {
      try {
        await inTransaction(this.#pool, async (c) => {
          await insertRows(c, [q]);
          if (q.seq !== undefined) await c.query('DELETE FROM open_turns WHERE instance = $1 AND seq = $2', [this.instance, q.seq]);
        });
      } catch (err) {
        if (!isDataError(err)) {
          kept.push(q);
          continue;
        }
        this.rejected++;
        console.error(`[synrouter] ledger: row ${q.uid} (request ${q.row.requestId}) refused by PostgreSQL, set aside: ${(err as Error).message}; row: ${JSON.stringify(q.row)}`);
      }
    }
    if (kept.length) {
      this.#queue.unshift(...kept);
      this.dropped += dropOverflow(this.#queue);
      console.error(`[synrouter] ledger write failed (${kept.length} rows kept for retry) after: ${batchError.message}`);
    }
  }

  get pending(): number {
    return this.#queue.length;
  }

  get running(): number {
    return this.#open.size;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#closed = true;
    await this.flush();
  }
}

/** SQLSTATE class 22 (data exception) or 23 (integrity constraint violation): the rows, not the store, are at fault. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

async function insertRows(c: pg.PoolClient, rows: Queued[]): Promise<void> {
  if (rows.length === 0) return;
  const width = COLUMNS.length + 1;
  const params: unknown[] = [];
  const tuples = rows.map((q, r) => {
    params.push(q.uid, ...values(q.row));
    return `(${Array.from({ length: width }, (_, i) => `$${r * width + i + 1}`).join(', ')})`;
  });
  await c.query(
    `WITH ins AS (INSERT INTO turns (row_uid, ${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (row_uid) DO NOTHING RETURNING *)
     ${ROLLUP_FROM_INS}`,
    params,
  );
}

