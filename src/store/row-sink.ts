/**
 * Where every finished row goes, whoever made it (a turn, a retry, a keep-alive ping): the ledger
 * (replacing the attempt's open row), /metrics, and the key's spend for its budgets. One place, so a
 * row can never reach the ledger and miss the budget or the other way round.
 */
import type { Metrics } from '../meter/metrics.ts';
import type { ModelEntry } from '../route/registry.ts';
import type { OpenRow, OpenTurn, Progress, TurnRow } from './ledger.ts';
import type { LedgerApi, LimitsApi } from './store.ts';
import type { Awaitable } from './awaitable.ts';

export class RowSink {
  readonly #ledger: LedgerApi;
  readonly #metrics: Pick<Metrics, 'observeTurn'>;
  readonly #limits: Pick<LimitsApi, 'spend'>;

  constructor(deps: { ledger: LedgerApi; metrics: Pick<Metrics, 'observeTurn'>; limits: Pick<LimitsApi, 'spend'> }) {
    this.#ledger = deps.ledger;
    this.#metrics = deps.metrics;
    this.#limits = deps.limits;
  }

  /** The row of a request about to go upstream, committed first: a crash leaves it recorded as interrupted (ledger.ts). */
  open(row: OpenRow, progress?: () => Progress): Promise<OpenTurn> {
    return this.#ledger.open(row, progress);
  }

  /** Spend counted ahead of its row (a ping's estimate, before it goes out); `write` takes it back. */
  reserve(keyId: string, ts: number, usd: number): void {
    this.#limits.spend(keyId, ts, usd);
  }

  /**
   * A finished row. `answered`: the registry entry of the model that answered, for /metrics' model
   * label; `reserved`: what `reserve` already counted for it.
   */
  write(row: TurnRow, o: { open?: OpenTurn | undefined; answered?: ModelEntry | undefined; reserved?: number } = {}): void {
    this.#ledger.record(row, o.open);
    this.#metrics.observeTurn(row, o.answered);
    this.#limits.spend(row.keyId, row.ts, (row.costUsd ?? 0) - (o.reserved ?? 0));
  }

  /** Rows still queued in memory, committed now (the read side is about to sum them). */
  flush(): Awaitable<void> {
    return this.#ledger.flush();
  }
}
