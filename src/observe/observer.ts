/**
 * Where the request flow reports to the outside: handle-request.ts calls turnEnded() once per
 * request, after its ledger row (if it has one) is recorded, and the access log writes its line.
 * With the log level "silent" pino is never imported. Nothing here may fail a request: an error is
 * reported once on stderr and the request goes on.
 */
import { openAccessLog, type AccessLog, type LogConfig } from './access-log.ts';
import type { TurnRow } from '../store/ledger.ts';
import type { Turn } from '../turn.ts';
import { accessLine } from './access-line.ts';

export class Observer {
  readonly #log: AccessLog | undefined;
  #failed = false;
  #closing: Promise<void> | undefined;

  constructor(log: AccessLog | undefined) {
    this.#log = log;
  }

  turnEnded(turn: Turn, row: TurnRow | undefined): void {
    if (!this.#log) return;
    try {
      this.#log.write(accessLine(turn, row, performance.now()));
    } catch (err) {
      if (!this.#failed) console.error(`[synrouter] ${turn.requestId}: the access log could not be written (reported once):`, err);
      this.#failed = true;
    }
  }

  /** Flushes the log; safe to call more than once. */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      await this.#log?.close();
    })());
  }
}

export async function createObserver(cfg: { log: LogConfig }, terminal = { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true }): Promise<Observer> {
  return new Observer(await openAccessLog(cfg.log, terminal));
}
