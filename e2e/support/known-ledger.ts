/**
 * A ledger whose savings are worked out by hand, for the admin API and CLI tests: two sessions of one
 * key, dollars written straight into the rows (the views only add them up).
 *
 *   kept   the client's own markers cache (its bill alone, 0.0077, is well under no caching, 0.012);
 *          Synrouter paid 0.0072, its one keep-alive ping (0.0002) included: saved 0.0005 (6.5% of
 *          the client alone); vs no caching 0.0048 (40.0%)
 *   gone   two pings for a session that never came back: paid 0.0033 against 0.0030 for the client
 *          alone, saved -0.0003 (-10.0%), a loss and not zero; vs no caching -0.0008 (-32.0%)
 *
 * The key in total: paid 0.0105, client alone 0.0107, no caching 0.0145: saved 0.0002 (1.9%), vs no
 * caching 0.0040 (27.6%).
 */
import type { TurnRow } from '../../src/store/ledger.ts';
import type { LedgerApi } from '../../src/store/store.ts';

export const KNOWN = {
  kept: { costUsd: 0.0072, costClientUsd: 0.0077, costDirectUsd: 0.012, savingsUsd: 0.0005, savingsPct: 0.0005 / 0.0077, savingsVsNoCacheUsd: 0.0048, savingsVsNoCachePct: 0.4, keepalives: 1, turns: 3 },
  gone: { costUsd: 0.0033, costClientUsd: 0.003, costDirectUsd: 0.0025, savingsUsd: -0.0003, savingsPct: -0.1, savingsVsNoCacheUsd: -0.0008, savingsVsNoCachePct: -0.32, keepalives: 2, turns: 1 },
  total: { costUsd: 0.0105, costClientUsd: 0.0107, costDirectUsd: 0.0145, savingsUsd: 0.0002, savingsPct: 0.0002 / 0.0107, savingsVsNoCacheUsd: 0.004, savingsVsNoCachePct: 0.004 / 0.0145, keepalives: 3, turns: 4 },
} as const;

/** Records the known rows for `keyId`, from `t0` on (within one UTC hour). */
export async function recordKnownLedger(ledger: LedgerApi, keyId: string, t0: number): Promise<void> {
  let n = 0;
  const row = (at: number, sessionId: string, kind: 'turn' | 'keepalive', cost: number, direct: number, client: number): TurnRow => ({
    ts: t0 + at, requestId: `known_${keyId}_${n++}`, kind, keyId, sessionId, clientProtocol: 'anthropic', endpoint: kind === 'turn' ? 'messages' : 'keepalive',
    requestedModel: 'claude-sonnet-4-6', responseModel: 'claude-sonnet-4-6', provider: 'anthropic', status: 200, errorCode: null, streamed: kind === 'turn', aborted: false,
    inputTokens: 100, cacheReadTokens: 1000, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: kind === 'turn' ? 10 : 0,
    // A ping has no counterpart without Synrouter (keep-alive.ts records 0 for both).
    costUsd: cost, costDirectUsd: direct, costClientUsd: client, missReason: null, engine: null, latencyMs: 1, ttfbMs: null,
  });
  for (const r of [
    row(0, 'kept', 'turn', 0.005, 0.004, 0.005),
    row(20_000, 'kept', 'turn', 0.001, 0.004, 0.0015),
    row(290_000, 'kept', 'keepalive', 0.0002, 0, 0),
    row(500_000, 'kept', 'turn', 0.001, 0.004, 0.0012),
    row(600_000, 'gone', 'turn', 0.003, 0.0025, 0.003),
    row(870_000, 'gone', 'keepalive', 0.00015, 0, 0),
    row(1_140_000, 'gone', 'keepalive', 0.00015, 0, 0),
  ]) ledger.record(r);
  await ledger.flush();
}
