/**
 * The ledger: one row per turn, retry attempt and keep-alive ping. A request that goes to an upstream
 * is first `open`ed: a row in open_turns, committed on its own before the request is sent (a committed
 * WAL row survives a process kill). Finished rows are queued in memory and written in batches, in one
 * transaction off the request's hot path, which also deletes their open rows and writes what open
 * rows of long streams have metered so far (status, tokens) when it changed. `close()` flushes what is
 * left (SIGTERM). A new Ledger (the next start, after kill -9 or a crash) moves the open rows the last
 * process left into turns as interrupted, with what they had metered. So a crash loses no row of a
 * request that reached an upstream: at most the last flush interval (`ledger.flushMs`, default
 * 200 ms) of progress, and such a row says INTERRUPTED.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { randomBytes } from 'node:crypto';
import { ERROR_CODES, type LedgerErrorCode } from '../errors.ts';

export interface TurnRow {
  ts: number;
  requestId: string;
  /** 'turn': the request as the client saw it; 'retry': a failed attempt before it; 'keepalive': a cache refresh ping. */
  kind: 'turn' | 'retry' | 'keepalive';
  keyId: string;
  sessionId: string | null;
  clientProtocol: string;
  endpoint: string;
  requestedModel: string | null;
  responseModel: string | null;
  provider: string | null;
  status: number;
  /** One of errors.ts's LEDGER_ERROR_CODES (a closed set, each documented in the README). */
  errorCode: LedgerErrorCode | null;
  streamed: boolean;
  aborted: boolean;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  outputTokens: number;
  costUsd: number | null;
  costDirectUsd: number | null;
  /** The same turn billed with only the client's own cache markers (Synrouter's cache model). */
  costClientUsd: number | null;
  /** Shadow keys: what the turn would have cost had the cache engine rewritten it (Synrouter's cache model). */
  costShadowUsd?: number | null;
  missReason: string | null;
  engine: string | null;
  latencyMs: number | null;
  ttfbMs: number | null;
}

export const COLUMNS = [
  'ts', 'request_id', 'kind', 'key_id', 'session_id', 'client_protocol', 'endpoint', 'requested_model', 'response_model',
  'provider', 'status', 'error_code', 'streamed', 'aborted', 'input_tokens', 'cache_read_tokens', 'cache_write_5m_tokens',
  'cache_write_1h_tokens', 'output_tokens', 'cost_usd', 'cost_direct_usd', 'latency_ms', 'ttfb_ms', 'miss_reason', 'engine', 'cost_client_usd', 'cost_shadow_usd',
] as const;

export function values(r: TurnRow): (string | number | null)[] {
  return [
    r.ts, r.requestId, r.kind, r.keyId, r.sessionId, r.clientProtocol, r.endpoint, r.requestedModel, r.responseModel,
    r.provider, r.status, r.errorCode, r.streamed ? 1 : 0, r.aborted ? 1 : 0, r.inputTokens, r.cacheReadTokens,
    r.cacheWrite5mTokens, r.cacheWrite1hTokens, r.outputTokens, r.costUsd, r.costDirectUsd, r.latencyMs, r.ttfbMs, r.missReason, r.engine, r.costClientUsd, r.costShadowUsd ?? null,
  ];
}


/** What is known of a request when it goes to an upstream: its open row, until `progress` adds to it. */
export type OpenRow = Pick<TurnRow, 'ts' | 'requestId' | 'kind' | 'keyId' | 'sessionId' | 'clientProtocol' | 'endpoint' | 'requestedModel' | 'provider' | 'streamed'>;

export const OPENED = ['ts', 'request_id', 'kind', 'key_id', 'session_id', 'client_protocol', 'endpoint', 'requested_model', 'provider', 'streamed'] as const;

export function openedValues(r: OpenRow): (string | number | null)[] {
  return [r.ts, r.requestId, r.kind, r.keyId, r.sessionId, r.clientProtocol, r.endpoint, r.requestedModel, r.provider, r.streamed ? 1 : 0];
}

/** What a request at an upstream has come to so far: written to its open row when it changes. */
export type Progress = Pick<TurnRow, (typeof PROGRESS)[number][0]>;

/** The fields of an open row that change while its request runs, with their columns. */
export const PROGRESS = [
  ['status', 'status'], ['responseModel', 'response_model'], ['inputTokens', 'input_tokens'], ['cacheReadTokens', 'cache_read_tokens'],
  ['cacheWrite5mTokens', 'cache_write_5m_tokens'], ['cacheWrite1hTokens', 'cache_write_1h_tokens'], ['outputTokens', 'output_tokens'],
  ['costUsd', 'cost_usd'], ['costDirectUsd', 'cost_direct_usd'], ['costClientUsd', 'cost_client_usd'], ['ttfbMs', 'ttfb_ms'],
] as const satisfies ReadonlyArray<readonly [keyof TurnRow, (typeof COLUMNS)[number]]>;

/** An open row as inserted: the column defaults. */
export const NOTHING: Progress = {
  status: 0, responseModel: null, inputTokens: 0, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0,
  costUsd: null, costDirectUsd: null, costClientUsd: null, ttfbMs: null,
};

function sameProgress(a: Progress, b: Progress): boolean {
  for (const [field] of PROGRESS) if (a[field] !== b[field]) return false;
  return true;
}

/** How a left-over open row goes into turns: interrupted, with what it had metered; columns it lacks are NULL. */
export const RECOVERED: Partial<Record<(typeof COLUMNS)[number], string>> = {
  // Two open attempts of one request: the earlier one failed and was retried (its retry row was still queued).
  kind: `CASE WHEN kind = 'turn' AND EXISTS (SELECT 1 FROM open_turns l WHERE l.instance = o.instance AND l.request_id = o.request_id AND l.seq > o.seq) THEN 'retry' ELSE kind END`,
  status: `CASE WHEN status = 0 THEN ${ERROR_CODES.INTERRUPTED} ELSE status END`,
  error_code: `'${'INTERRUPTED' satisfies LedgerErrorCode}'`,
  aborted: '1',
};
export const IN_OPEN_ROWS = new Set<string>([...OPENED, ...PROGRESS.map(([, c]) => c)]);

/** A request's row in open_turns, from `open` until its finished row is recorded. */
export interface OpenTurn {
  readonly seq: number;
}

export interface Opened {
  progress: () => Progress;
  /** What its open row holds now. */
  written: Progress;
}

interface Queued {
  row: TurnRow;
  /** The open row this finished row replaces. */
  seq: number | undefined;
}

/** Open rows whose request has metered something since its row was last written (few: long streams). */
export function progressed(open: ReadonlyMap<number, Opened>): Array<{ seq: number; opened: Opened; now: Progress }> {
  const out: Array<{ seq: number; opened: Opened; now: Progress }> = [];
  for (const [seq, opened] of open) {
    let now: Progress;
    try {
      now = opened.progress();
    } catch {
      continue;
    }
    if (!sameProgress(now, opened.written)) out.push({ seq, opened, now });
  }
  return out;
}

/** Rows in memory at most while the store cannot be written; beyond it the oldest are dropped, counted and logged. */
export const MAX_QUEUED_ROWS = 100_000;

/** Drops the oldest rows beyond MAX_QUEUED_ROWS (logged); returns how many. */
export function dropOverflow<T>(queue: T[]): number {
  const over = queue.length - MAX_QUEUED_ROWS;
  if (over <= 0) return 0;
  queue.splice(0, over);
  console.error(`[synrouter] ledger: the store has not been writable for a while; ${over} oldest queued row(s) dropped (at most ${MAX_QUEUED_ROWS} are kept)`);
  return over;
}

export class Ledger {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #openInsert: StatementSync;
  readonly #openUpdate: StatementSync;
  readonly #openDelete: StatementSync;
  readonly #batchSize: number;
  /** This Ledger's rows in open_turns; rows with another instance are an earlier process's. */
  readonly instance = randomBytes(6).toString('hex');
  #seq = 0;
  /** Open rows whose request reports its progress, by seq. */
  readonly #open = new Map<number, Opened>();
  #queue: Queued[] = [];
  #timer: NodeJS.Timeout;
  #closed = false;
  /** Rows that failed to write are kept for the next flush instead of being dropped. */
  failures = 0;
  /** Rows dropped because the queue overflowed while the store could not be written. */
  dropped = 0;
  /** SQLite takes every value a row holds: nothing is set aside. */
  readonly rejected = 0;
  /** Rows an earlier process left open, recorded as interrupted when this Ledger was made. */
  readonly recovered: number;

  constructor(db: DatabaseSync, opts: { flushMs: number; batchSize: number }) {
    this.#db = db;
    this.#batchSize = opts.batchSize;
    this.#insert = db.prepare(`INSERT INTO turns (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
    this.#openInsert = db.prepare(`INSERT INTO open_turns (instance, seq, ${OPENED.join(', ')}) VALUES (?, ?, ${OPENED.map(() => '?').join(', ')})`);
    this.#openUpdate = db.prepare(`UPDATE open_turns SET ${PROGRESS.map(([, c]) => `${c} = ?`).join(', ')} WHERE instance = ? AND seq = ?`);
    this.#openDelete = db.prepare('DELETE FROM open_turns WHERE instance = ? AND seq = ?');
    this.recovered = this.recoverInterrupted();
    this.#timer = setInterval(() => this.flush(), opts.flushMs);
    this.#timer.unref();
  }

  /**
   * Right before a request goes to an upstream: what is known of it then, committed at once. `progress` is read at each flush while the request runs. A promise because a networked
   * store (PostgreSQL, issue 20) is awaited before dispatch; here the insert is synchronous and takes
   * a few microseconds. A failed insert is logged and the request goes ahead (the finished row is
   * still recorded): the store's trouble does not become the client's, and the promise never rejects.
   */
  open(row: OpenRow, progress?: () => Progress): Promise<OpenTurn> {
    const open = { seq: ++this.#seq };
    try {
      this.#openInsert.run(this.instance, open.seq, ...openedValues(row));
      if (progress) this.#open.set(open.seq, { progress, written: NOTHING });
    } catch (err) {
      this.failures++;
      console.error(`[synrouter] ledger: could not open a row for ${row.requestId} (recorded when it ends): ${(err as Error).message}`);
    }
    return Promise.resolve(open);
  }

  /** A finished row; `open` is the open row it replaces (written in the same transaction). */
  record(row: TurnRow, open?: OpenTurn): void {
    if (open) this.#open.delete(open.seq);
    const q = { row, seq: open?.seq };
    if (this.#closed) {
      this.#write([q], []);
      return;
    }
    this.#queue.push(q);
    if (this.#queue.length >= this.#batchSize) this.flush();
  }

  /** Writes every queued row, and the progress of open rows that changed, now. Safe to call at any time. */
  flush(): void {
    const updates = progressed(this.#open);
    if (this.#queue.length === 0 && updates.length === 0) return;
    const rows = this.#queue;
    this.#queue = [];
    if (!this.#write(rows, updates)) {
      this.#queue.unshift(...rows);
      this.dropped += dropOverflow(this.#queue);
    }
    else for (const u of updates) u.opened.written = u.now;
  }

  #write(rows: Queued[], updates: Array<{ seq: number; now: Progress }>): boolean {
    try {
      this.#db.exec('BEGIN');
      for (const q of rows) {
        this.#insert.run(...values(q.row));
        if (q.seq !== undefined) this.#openDelete.run(this.instance, q.seq);
      }
      for (const u of updates) this.#openUpdate.run(...PROGRESS.map(([f]) => u.now[f]), this.instance, u.seq);
      this.#db.exec('COMMIT');
      return true;
    } catch (err) {
      try { this.#db.exec('ROLLBACK'); } catch { /* no transaction open */ }
      this.failures++;
      console.error(`[synrouter] ledger write failed (${rows.length} rows kept for retry): ${(err as Error).message}`);
      return false;
    }
  }

  /**
   * Moves the rows earlier processes left in open_turns into turns, as interrupted (error code
   * INTERRUPTED, aborted, the status and tokens they had reached), in one transaction: running it
   * again finds nothing. Returns how many. Run when the Ledger is made, before serving: the serving
   * process is the only one that makes a Ledger on its file, so every row not its own is a dead
   * process's. (Several instances on one store, issue 20, must first know which instances are dead:
   * `instance` says whose a row is.)
   */
  recoverInterrupted(): number {
    const select = COLUMNS.map((c) => RECOVERED[c] ?? (IN_OPEN_ROWS.has(c) ? c : 'NULL')).join(', ');
    try {
      this.#db.exec('BEGIN');
      const { changes } = this.#db.prepare(`INSERT INTO turns (${COLUMNS.join(', ')}) SELECT ${select} FROM open_turns o WHERE instance <> ? ORDER BY instance, seq`).run(this.instance);
      this.#db.prepare('DELETE FROM open_turns WHERE instance <> ?').run(this.instance);
      this.#db.exec('COMMIT');
      if (changes) console.error(`[synrouter] ledger: ${changes} request(s) were at an upstream when the last process ended; recorded as interrupted`);
      return Number(changes);
    } catch (err) {
      try { this.#db.exec('ROLLBACK'); } catch { /* no transaction open */ }
      console.error(`[synrouter] ledger: could not record the interrupted requests (kept for the next start): ${(err as Error).message}`);
      return 0;
    }
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Requests at an upstream now that report their progress (their open rows not yet replaced). */
  get running(): number {
    return this.#open.size;
  }

  close(): void {
    clearInterval(this.#timer);
    this.flush();
    this.#closed = true;
  }
}
