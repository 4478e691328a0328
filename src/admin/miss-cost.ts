/**
 * What a cache miss cost. Definition (shown on the dashboard's session page):
 *
 *   expected read = the prefix the previous successful turn of the session left in the cache
 *                   (its cache read + cache writes), capped at this turn's input;
 *   miss cost     = this turn's cost - the cost of the same turn had it read that prefix,
 *                   i.e. the tokens it re-wrote (or sent uncached) instead of reading, priced at
 *                   the difference to the cache-read price.
 *
 * Tokens move out of the 1h writes first, then the 5m writes, then uncached input: that is their
 * order in the prompt (1h breakpoints come before 5m ones, uncached input is the tail). A turn
 * with no previous turn (a new session) has no expected read: its miss cost is null, not 0.
 */
import type { Prices } from '../route/registry.ts';
import { directCostOf } from '../meter/cost.ts';
import type { Usage } from '../meter/usage.ts';
import type { TurnDetail } from '../store/queries.ts';

const PER_TOKEN = 1e-6;

export function missCostOf(u: Usage, expectedRead: number, p: Prices): number {
  let extra = Math.max(0, Math.min(expectedRead, u.input + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h) - u.cacheRead);
  const from1h = Math.min(extra, u.cacheWrite1h);
  extra -= from1h;
  const from5m = Math.min(extra, u.cacheWrite5m);
  extra -= from5m;
  const fromInput = Math.min(extra, u.input);
  return (from1h * (p.cacheWrite1h - p.cacheRead) + from5m * (p.cacheWrite5m - p.cacheRead) + fromInput * (p.input - p.cacheRead)) * PER_TOKEN;
}

const usageOf = (t: TurnDetail): Usage => ({ input: t.inputTokens, cacheRead: t.cacheReadTokens, cacheWrite5m: t.cacheWrite5mTokens, cacheWrite1h: t.cacheWrite1hTokens, output: t.outputTokens });
const cachedAfter = (t: TurnDetail) => t.cacheReadTokens + t.cacheWrite5mTokens + t.cacheWrite1hTokens;
const succeeded = (t: TurnDetail) => t.kind === 'turn' && t.status === 200;

export interface MissCost { expectedReadTokens: number | null; missCostUsd: number | null }

/**
 * Miss cost of every turn, in order; `previous` is the turn before the first one (pagination).
 * Prices come from the registry; the ledger's own direct cost rescales them when they differ
 * (fast mode is billed at a multiple of the standard prices of the same response model).
 */
export function missCosts(turns: readonly TurnDetail[], previous: TurnDetail | null, pricesFor: (model: string) => Prices | null): MissCost[] {
  let prev = previous && succeeded(previous) ? previous : null;
  return turns.map((t) => {
    let out: MissCost = { expectedReadTokens: null, missCostUsd: null };
    if (t.missReason !== null && succeeded(t) && prev) {
      const usage = usageOf(t);
      const expected = Math.min(cachedAfter(prev), usage.input + usage.cacheRead + usage.cacheWrite5m + usage.cacheWrite1h);
      const model = t.responseModel ?? t.requestedModel;
      const listed = model ? pricesFor(model) : null;
      let cost: number | null = null;
      if (listed && t.costUsd !== null) {
        const direct = directCostOf(usage, listed)!;
        const scale = t.costDirectUsd !== null && direct > 0 && t.costDirectUsd > 0 ? t.costDirectUsd / direct : 1;
        cost = missCostOf(usage, expected, listed) * scale;
      }
      out = { expectedReadTokens: expected, missCostUsd: cost };
    }
    if (succeeded(t)) prev = t;
    return out;
  });
}
