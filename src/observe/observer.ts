/**
 * Where the request flow reports to the outside: handle-request.ts calls turnEnded() once per
 * request, after its ledger row (if it has one) is recorded; the access log writes a line and the
 * tracer (only when tracing is on) the turn's spans. Both are loaded lazily: with the log level
 * "silent" pino is never imported, and without an OTLP endpoint no @opentelemetry module is.
 * Nothing here may fail a request: an error is reported once on stderr and the request goes on.
 */
import { openAccessLog, type AccessLog } from './access-log.ts';
import type { LogConfig } from './log-config.ts';
import type { TracingConfig } from './otel-config.ts';
import type { TurnTracer } from './otel-tracer.ts';
import type { TurnRow } from '../store/ledger.ts';
import type { Turn } from '../turn.ts';
import { accessLine, lineLevel } from './access-line.ts';

/** At SIGTERM, how long the last spans may take to reach the collector. */
const TRACE_FLUSH_MS = 5_000;

export class Observer {
  readonly #log: AccessLog | undefined;
  readonly #tracer: TurnTracer | undefined;
  #failed = false;
  #closing: Promise<void> | undefined;

  constructor(log: AccessLog | undefined, tracer: TurnTracer | undefined) {
    this.#log = log;
    this.#tracer = tracer;
  }

  get tracing(): boolean {
    return this.#tracer !== undefined;
  }

  /** `sentStatus`: the response's status, for requests that answered without an upstream (GET /models). */
  turnEnded(turn: Turn, row: TurnRow | undefined, sentStatus: number): void {
    if (!this.#log && !this.#tracer) return;
    if (turn.status === 0) turn = { ...turn, status: sentStatus };
    try {
      const end = performance.now();
      const level = lineLevel({ status: turn.status, error_code: turn.errorCode });
      if (this.#log?.enabled(level)) this.#log.write(accessLine(turn, row, end), level);
      this.#tracer?.record(turn, row, end);
    } catch (err) {
      if (!this.#failed) console.error(`[synrouter] ${turn.requestId}: the access log or a span could not be written (reported once):`, err);
      this.#failed = true;
    }
  }

  /** Flushes the spans (bounded) and the log; safe to call more than once. */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      await this.#tracer?.shutdown(TRACE_FLUSH_MS);
      await this.#log?.close();
    })());
  }
}

export async function createObserver(cfg: { log: LogConfig; tracing?: TracingConfig | undefined }, terminal = { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true }): Promise<Observer> {
  const log = await openAccessLog(cfg.log, terminal);
  const tracer = cfg.tracing ? await (await import('./otel-tracer.ts')).startTracer(cfg.tracing) : undefined;
  return new Observer(log, tracer);
}
