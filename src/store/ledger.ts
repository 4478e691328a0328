/**
 * The ledger: one row per turn. Rows are queued in memory and written in batches, in one
 * transaction, off the request's hot path; `close()` flushes what is left (SIGTERM). After a crash
 * the loss is at most the rows queued since the last flush (`ledger.flushMs`, default 200 ms).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';

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
  errorCode: string | null;
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

const COLUMNS = [
  'ts', 'request_id', 'kind', 'key_id', 'session_id', 'client_protocol', 'endpoint', 'requested_model', 'response_model',
  'provider', 'status', 'error_code', 'streamed', 'aborted', 'input_tokens', 'cache_read_tokens', 'cache_write_5m_tokens',
  'cache_write_1h_tokens', 'output_tokens', 'cost_usd', 'cost_direct_usd', 'latency_ms', 'ttfb_ms', 'miss_reason', 'engine', 'cost_client_usd', 'cost_shadow_usd',
] as const;

function values(r: TurnRow): (string | number | null)[] {
  return [
    r.ts, r.requestId, r.kind, r.keyId, r.sessionId, r.clientProtocol, r.endpoint, r.requestedModel, r.responseModel,
    r.provider, r.status, r.errorCode, r.streamed ? 1 : 0, r.aborted ? 1 : 0, r.inputTokens, r.cacheReadTokens,
    r.cacheWrite5mTokens, r.cacheWrite1hTokens, r.outputTokens, r.costUsd, r.costDirectUsd, r.latencyMs, r.ttfbMs, r.missReason, r.engine, r.costClientUsd, r.costShadowUsd ?? null,
  ];
}

export class Ledger {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #batchSize: number;
  #queue: TurnRow[] = [];
  #timer: NodeJS.Timeout;
  #closed = false;
  /** Rows that failed to write are kept for the next flush instead of being dropped. */
  failures = 0;

  constructor(db: DatabaseSync, opts: { flushMs: number; batchSize: number }) {
    this.#db = db;
    this.#batchSize = opts.batchSize;
    this.#insert = db.prepare(`INSERT INTO turns (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
    this.#timer = setInterval(() => this.flush(), opts.flushMs);
    this.#timer.unref();
  }

  record(row: TurnRow): void {
    if (this.#closed) {
      this.#write([row]);
      return;
    }
    this.#queue.push(row);
    if (this.#queue.length >= this.#batchSize) this.flush();
  }

  /** Writes every queued row now. Safe to call at any time. */
  flush(): void {
    if (this.#queue.length === 0) return;
    const rows = this.#queue;
    this.#queue = [];
    if (!this.#write(rows)) this.#queue.unshift(...rows);
  }

  #write(rows: TurnRow[]): boolean {
    try {
      this.#db.exec('BEGIN');
      for (const r of rows) this.#insert.run(...values(r));
      this.#db.exec('COMMIT');
      return true;
    } catch (err) {
      try { this.#db.exec('ROLLBACK'); } catch { /* no transaction open */ }
      this.failures++;
      console.error(`[synrouter] ledger write failed (${rows.length} rows kept for retry): ${(err as Error).message}`);
      return false;
    }
  }

  get pending(): number {
    return this.#queue.length;
  }

  close(): void {
    clearInterval(this.#timer);
    this.flush();
    this.#closed = true;
  }
}
