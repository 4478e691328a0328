import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missCostOf, missCosts } from './miss-cost.ts';
import type { Prices } from '../route/registry.ts';
import type { TurnDetail } from '../store/queries.ts';

const SONNET: Prices = { input: 3, output: 15, cacheRead: 0.3, cacheWrite5m: 3.75, cacheWrite1h: 6 };
const close = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${a} ≈ ${b}`);

function turn(over: Partial<TurnDetail>): TurnDetail {
  return {
    id: 1, ts: 0, requestId: 'r', kind: 'turn', keyId: 'k', sessionId: 's', clientProtocol: 'anthropic', endpoint: 'messages',
    requestedModel: 'claude-sonnet-4-6', responseModel: 'claude-sonnet-4-6', provider: 'anthropic', status: 200, errorCode: null, streamed: false, aborted: false,
    inputTokens: 0, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 10, hitRate: null,
    costUsd: 0.01, costDirectUsd: 0.01, costClientUsd: 0.01, missReason: null, engine: [], latencyMs: 1, ttfbMs: 1, ...over,
  };
}

test('a miss costs what re-writing (or re-sending) the expected prefix cost over reading it', () => {
  // 10k expected; nothing read; written 4k at 1h, 5k at 5m, 2k uncached: 4k 1h + 5k 5m + 1k input move to reads.
  const u = { input: 2_000, cacheRead: 0, cacheWrite5m: 5_000, cacheWrite1h: 4_000, output: 50 };
  close(missCostOf(u, 10_000, SONNET), (4_000 * (6 - 0.3) + 5_000 * (3.75 - 0.3) + 1_000 * (3 - 0.3)) / 1e6);
  // A partial read: only what was not read counts.
  close(missCostOf({ ...u, cacheRead: 6_000, cacheWrite1h: 0 }, 10_000, SONNET), 4_000 * (3.75 - 0.3) / 1e6);
  // Nothing expected, or everything read: no cost.
  assert.equal(missCostOf(u, 0, SONNET), 0);
  assert.equal(missCostOf({ ...u, cacheRead: 12_000 }, 10_000, SONNET), 0);
});

test('per turn: expected read is what the previous successful turn left in the cache; new sessions have none', () => {
  const turns = [
    turn({ missReason: 'new_session', cacheWrite5mTokens: 8_000 }),
    turn({ cacheReadTokens: 8_000, cacheWrite5mTokens: 500 }),
    turn({ status: 529, errorCode: 'UPSTREAM_ERROR', costUsd: 0, costDirectUsd: 0 }),
    turn({ missReason: 'ttl_expired', cacheWrite5mTokens: 9_000, costDirectUsd: 9_000 * 3 / 1e6 + 10 * 15 / 1e6 }),
  ];
  const out = missCosts(turns, null, () => SONNET);
  assert.deepEqual(out[0], { expectedReadTokens: null, missCostUsd: null });
  assert.deepEqual(out[1], { expectedReadTokens: null, missCostUsd: null }, 'not a miss');
  assert.deepEqual(out[2], { expectedReadTokens: null, missCostUsd: null });
  assert.equal(out[3]!.expectedReadTokens, 8_500, 'the failed turn in between changes nothing');
  close(out[3]!.missCostUsd, 8_500 * (3.75 - 0.3) / 1e6);
});

test('unknown prices give a null miss cost; fast-mode turns are scaled by the ledger\'s own direct cost', () => {
  const prev = turn({ cacheWrite5mTokens: 1_000 });
  const miss = turn({ missReason: 'prefix_edited', cacheWrite5mTokens: 1_200 });
  assert.equal(missCosts([miss], prev, () => null)[0]!.missCostUsd, null);
  assert.equal(missCosts([{ ...miss, costUsd: null, costDirectUsd: null }], prev, () => SONNET)[0]!.missCostUsd, null);
  const fast = { ...miss, costDirectUsd: 2 * (1_200 * 3 + 10 * 15) / 1e6 };
  close(missCosts([fast], prev, () => SONNET)[0]!.missCostUsd, 2 * 1_000 * (3.75 - 0.3) / 1e6);
});
