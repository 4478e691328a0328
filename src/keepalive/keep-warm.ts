/**
 * After a turn: whether the keep-alive should keep this session's cache warm while it idles, and
 * what it needs to do so (keep-alive.ts sends the pings). Keep-alive is for Anthropic-direct routes:
 * the cache is ours to refresh there (protocols.md §2.10).
 */
import type { Route } from '../route/resolve-route.ts';
import type { Registry } from '../route/registry.ts';
import type { MessagesRequest } from '../protocols/anthropic/types.ts';
import type { SessionCacheState } from '../session/session-state.ts';
import type { Turn } from '../turn.ts';
import { totalInput } from '../meter/usage.ts';
import type { KeepAlive } from './keep-alive.ts';
import { pingAllowed } from './ping-body.ts';
import type { Spliced } from '../json/splice.ts';

export function keepAliveApplies(route: Route, enabled: boolean): boolean {
  return enabled && route.provider.spec.serves === 'anthropic' && route.wire === 'anthropic';
}

/** After a good turn whose conversation entries are 5m, the keep-alive keeps them warm while the session idles. */
export function keepWarm(o: {
  keepalive: KeepAlive; enabled: boolean; registry: Registry;
  /** The headers the turn was sent upstream with: the pings send the same. */
  headers: Record<string, string>;
  route: Route; turn: Turn; sessionId: string; body: Spliced; request: MessagesRequest; state: SessionCacheState;
}): void {
  const { route, turn } = o;
  const key = turn.key!;
  // A coding session is one agent at work: an idle spell is the person or a long tool run. A general-mode
  // session is pinged only once it has shown it comes back after idling (its shared prefix is kept warm
  // by the agent's other sessions anyway); measured in bench:savings.
  const likelyToContinue = key.mode === 'coding' || o.state.gaps.some((g) => g > 60_000);
  // Only the cheap checks here: the ping body is built from o.body when a ping is due.
  const ping = turn.status === 200 && !turn.aborted && !key.shadow && o.state.ttl === '5m' && likelyToContinue && keepAliveApplies(route, o.enabled) && pingAllowed(o.request);
  if (!ping) return o.keepalive.forget(key.id, o.sessionId);
  o.keepalive.track({
    keyId: key.id, mode: key.mode, sessionId: o.sessionId, clientProtocol: turn.clientProtocol, requestedModel: turn.requestedModel ?? route.upstreamModel,
    upstreamModel: route.upstreamModel, providerName: route.providerName, baseUrl: route.provider.baseUrl, path: route.provider.spec.paths.anthropic!,
    headers: o.headers,
    body: o.body, prices: o.registry.pricesFor(route.upstreamModel, route.speed), prefixTokens: totalInput(turn.usage),
    lastRefreshAt: turn.startedAt, lastTurnAt: turn.startedAt,
  });
}
