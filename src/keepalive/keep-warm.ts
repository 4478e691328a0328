/**
 * After a turn: whether the keep-alive should keep this session's cache warm while it idles, and
 * what it needs to do so (keep-alive.ts sends the pings). Keep-alive is for Anthropic-direct routes:
 * the cache is ours to refresh there (protocols.md §2.10).
 */
import type { Route } from '../route/resolve-route.ts';
import type { Registry } from '../route/registry.ts';
import type { MessagesRequest, Ttl } from '../protocols/anthropic/wire.ts';
import type { SessionCacheState } from '../session/session-state.ts';
import type { Turn } from '../turn.ts';
import { totalInput } from '../meter/usage.ts';
import type { KeepAlive } from './keep-alive.ts';
import { pingAllowed } from './ping-body.ts';
import type { Spliced } from '../json/splice.ts';

export function keepAliveApplies(route: Route, enabled: boolean): boolean {
  return enabled && route.provider.spec.serves === 'anthropic' && route.wire === 'anthropic';
}

/**
 * The lifetime of what the request sent upstream cached: its deepest breakpoint's TTL, undefined when
 * it has none. The breakpoints are the client's own markers as well as the engine's (the state lists
 * every one, and the engine never moves or drops a client's), so a client that marks its conversation
 * 1h itself (Claude Code with ENABLE_PROMPT_CACHING_1H=1) has 1h entries whatever TTL the engine
 * would have chosen. 1h comes before 5m (protocols.md §2.7): a 1h deepest breakpoint means every
 * entry is 1h; a 5m one means the conversation's tail expires in 5 minutes.
 */
export function entryTtl(breakpoints: SessionCacheState['breakpoints']): Ttl | undefined {
  return breakpoints.at(-1)?.ttl;
}

/** After a good turn that cached something, the keep-alive keeps it warm while the session idles (it decides from the entry's TTL). */
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
  const ttl = entryTtl(o.state.breakpoints);
  const ping = turn.status === 200 && !turn.aborted && !key.shadow && ttl !== undefined && likelyToContinue && keepAliveApplies(route, o.enabled) && pingAllowed(o.request);
  if (!ping) return o.keepalive.forget(key.id, o.sessionId);
  o.keepalive.track({
    ttl,
    keyId: key.id, mode: key.mode, sessionId: o.sessionId, clientProtocol: turn.clientProtocol, requestedModel: turn.requestedModel ?? route.upstreamModel,
    upstreamModel: route.upstreamModel, providerName: route.providerName, baseUrl: route.provider.baseUrl, path: route.provider.spec.paths.anthropic!,
    headers: o.headers,
    body: o.body, prices: o.registry.pricesFor(route.upstreamModel, route.speed), prefixTokens: totalInput(turn.usage),
    lastRefreshAt: turn.startedAt, lastTurnAt: turn.startedAt,
  });
}
