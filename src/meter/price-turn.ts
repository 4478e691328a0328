/**
 * What a turn cost, in the four figures the ledger keeps (store/ledger.ts TurnRow): billed, without
 * any caching ("direct"), with only the client's own cache markers, and (shadow keys) under the cache
 * engine's rewrite. The prices are those of the model the provider says answered (protocols.md §3.4:
 * never an alias map), else the route's model.
 */
import type { Prices, Registry } from '../route/registry.ts';
import type { Route } from '../route/resolve-route.ts';
import { costOf, directCostOf } from './cost.ts';
import type { Usage } from './usage.ts';

export function turnPrices(route: Route | undefined, responseModel: string | null, registry: Registry): Prices | null {
  const model = responseModel ?? route?.upstreamModel ?? null;
  return model ? registry.pricesFor(model, route?.speed) : null;
}

export interface TurnCosts {
  costUsd: number | null;
  costDirectUsd: number | null;
  costClientUsd: number | null;
  costShadowUsd?: number | null;
}

export function turnCosts(t: { usage: Usage; clientOnlyUsage?: Usage; shadowUsage?: Usage; providerCostUsd?: number | null }, prices: Prices | null): TurnCosts {
  const priced = costOf(t.usage, prices);
  return {
    // The provider's own figure when it gives one (OpenRouter `usage.cost`, protocols.md §6.4).
    costUsd: t.providerCostUsd ?? priced,
    costDirectUsd: directCostOf(t.usage, prices),
    // Without the engine's rewrite the client's own markers are what ran: the same bill.
    costClientUsd: t.clientOnlyUsage ? costOf(t.clientOnlyUsage, prices) : priced,
    ...(t.shadowUsage ? { costShadowUsd: costOf(t.shadowUsage, prices) } : {}),
  };
}
