/**
 * The accounting every view is built on: cost at the response model's prices, split by cache-write
 * TTL, at each cache-read multiplier providers use, and null (never 0, never a guess) when prices are unknown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costOf, directCostOf } from './cost.ts';
import { totalInput, type Usage } from './usage.ts';
import { createRegistry, type Prices } from '../route/registry.ts';

/** Registry-shaped prices (USD / MTok) for a base input price and a cache-read multiplier. */
const prices = (input: number, output: number, readMultiplier: number): Prices => ({
  input, output, cacheRead: input * readMultiplier, cacheWrite5m: input * 1.25, cacheWrite1h: input * 2,
});
const close = (a: number | null, b: number, what = '') => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${what} ${a} ≈ ${b}`);

test('5m and 1h cache writes are priced separately (1.25x and 2x input)', () => {
  const p = prices(3, 15, 0.1);
  const only5m: Usage = { input: 0, cacheRead: 0, cacheWrite5m: 1_000_000, cacheWrite1h: 0, output: 0 };
  const only1h: Usage = { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 1_000_000, output: 0 };
  close(costOf(only5m, p), 3.75, '5m');
  close(costOf(only1h, p), 6, '1h');
  // A split write is the sum of its parts, and never the 5m price for the 1h part (peers.md §5.4).
  const split: Usage = { input: 100, cacheRead: 0, cacheWrite5m: 60_000, cacheWrite1h: 40_000, output: 500 };
  close(costOf(split, p), (100 * 3 + 60_000 * 3.75 + 40_000 * 6 + 500 * 15) / 1e6, 'split');
  assert.notEqual(costOf(split, p), costOf({ ...split, cacheWrite5m: 100_000, cacheWrite1h: 0 }, p));
  // Without caching every input token is at the base price, whatever its TTL would have been.
  close(directCostOf(split, p), (100_100 * 3 + 500 * 15) / 1e6, 'direct');
  // The write premium makes a first turn cost more than direct: savings are net of it.
  assert.ok(costOf(split, p)! > directCostOf(split, p)!);
});

test('cache reads at 0.1x, 0.05x and 0.025x of the input price', () => {
  const usage: Usage = { input: 2_000, cacheRead: 1_000_000, cacheWrite5m: 0, cacheWrite1h: 0, output: 1_000 };
  for (const [mult, expectedRead] of [[0.1, 0.5], [0.05, 0.25], [0.025, 0.125]] as const) {
    const p = prices(5, 25, mult);
    close(costOf(usage, p), (2_000 * 5 + 1_000 * 25) / 1e6 + expectedRead, `${mult}x`);
    close(directCostOf(usage, p), (1_002_000 * 5 + 1_000 * 25) / 1e6, `${mult}x direct`);
    const savings = directCostOf(usage, p)! - costOf(usage, p)!;
    close(savings, 1_000_000 * 5 * (1 - mult) / 1e6, `${mult}x savings`);
  }
});

test('the registry prices Anthropic models with the 0.1x / 1.25x / 2x multipliers, fast mode at its own rates', () => {
  const r = createRegistry();
  const u: Usage = { input: 1_000, cacheRead: 10_000, cacheWrite5m: 2_000, cacheWrite1h: 3_000, output: 500 };
  const std = r.pricesFor('claude-opus-4-8')!;
  close(costOf(u, std), (1_000 * 5 + 10_000 * 0.5 + 2_000 * 6.25 + 3_000 * 10 + 500 * 25) / 1e6);
  const fast = r.pricesFor('claude-opus-4-8', 'fast')!;
  close(costOf(u, fast), 2 * costOf(u, std)!, 'fast is 2x standard');
  close(costOf(u, r.pricesFor('claude-haiku-4-5-20251001')), (1_000 * 1 + 10_000 * 0.1 + 2_000 * 1.25 + 3_000 * 2 + 500 * 5) / 1e6, 'alias');
  assert.equal(totalInput(u), 16_000);
});

test('unknown prices give null, never 0 or a guess; free models give 0', () => {
  const u: Usage = { input: 10, cacheRead: 20, cacheWrite5m: 30, cacheWrite1h: 40, output: 50 };
  assert.equal(costOf(u, null), null);
  assert.equal(directCostOf(u, null), null);
  const r = createRegistry([{ id: 'acme/coder-1', name: 'Acme Coder 1', context: 1000, prices: null }]);
  assert.equal(r.pricesFor('acme/coder-1'), null);
  assert.equal(costOf(u, r.pricesFor('acme/coder-1')), null);
  assert.equal(costOf(u, r.pricesFor('claude-future-9')), null, 'a Claude id the registry does not list passes through unpriced');
  assert.equal(costOf(u, r.pricesFor('deepseek/deepseek-v4-flash-free')), 0);
});
