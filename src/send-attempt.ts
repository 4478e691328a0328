/**
 * One attempt of a turn on one route: translate the client's request for the route's wire (when the
 * protocols differ), rewrite it (cache engine or cache keys, for this route's provider and model),
 * build the route's headers, open the attempt's ledger row, and send it. upstream/send-with-retries.ts
 * calls it once per try, so each retry and fallback is prepared for its own route: a fallback to
 * another provider gets its own translation, breakpoints and key.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Deps } from './deps.ts';
import type { Operation } from './server/endpoints.ts';
import type { ClientProtocolSpec, ClientRequest } from './protocols/client-protocols.ts';
import type { SessionIdentity } from './session/identify-session.ts';
import { engineStateId } from './session/session-state.ts';
import type { Route } from './route/resolve-route.ts';
import { translateRequest, type Outgoing } from './translate/translate-request.ts';
import { rewriteOutgoing, type RewriteResult } from './rewrite/rewrite-outgoing.ts';
import { routeHeaders, sendUpstream, type UpstreamResponse } from './upstream/send-upstream.ts';
import { keepAliveApplies } from './keepalive/keep-warm.ts';
import type { KeyRecord } from './store/keys.ts';
import type { Turn } from './turn.ts';
import { openRowOf, progressOf } from './store/rows.ts';

/** What an attempt is made of, the same for every route it is tried on. */
export interface AttemptInput {
  op: Operation;
  /** The client's headers, for the ones passed on (routeHeaders). */
  headers: IncomingHttpHeaders;
  client: ClientProtocolSpec;
  raw: Buffer;
  request: ClientRequest;
  session: SessionIdentity;
  key: KeyRecord;
  turn: Turn;
  deps: Deps;
  signal: AbortSignal;
}

export interface SentAttempt {
  route: Route;
  outgoing: Outgoing;
  rewritten: RewriteResult;
  upstream: UpstreamResponse;
  /** The headers sent, reused by the keep-alive pings of this session. */
  headers: Record<string, string>;
}

export async function sendAttempt(route: Route, a: AttemptInput): Promise<SentAttempt> {
  const { deps, key, session, turn } = a;
  const state = await deps.sessions.get(key.id, engineStateId(key, session.id));
  // Thinking kept for chat clients lives in the session's own state (a shadow key's engine state is elsewhere).
  const carriedThinking = key.shadow ? (await deps.sessions.get(key.id, session.id))?.thinking : state?.thinking;
  const outgoing = translateRequest({ from: a.client.wire, to: route.wire, raw: a.raw, request: a.request, route, now: turn.startedAt, ...(carriedThinking ? { carriedThinking } : {}) });
  const rewritten = await rewriteOutgoing({
    outgoing, route, session, key, now: turn.startedAt, state, engine: deps.engine,
    countTokens: a.op === 'count_tokens', ...(keepAliveApplies(route, deps.config.keepalive.enabled) ? { keepAlive: { maxIdleMs: deps.config.keepalive.maxIdleMs[key.mode] } } : {}),
  });
  const headers = routeHeaders(a.headers, route);
  // In the ledger before it goes out (a crash from here on leaves it recorded as interrupted); count_tokens is free and has no row.
  if (a.op !== 'count_tokens') turn.open = await deps.rows.open(openRowOf(turn, key), () => progressOf(turn, deps.registry));
  const upstream = await sendUpstream(deps.agent, {
    baseUrl: route.provider.baseUrl,
    path: route.provider.spec.paths[route.wire]! + (a.op === 'count_tokens' ? '/count_tokens' : ''),
    method: 'POST',
    headers,
    body: rewritten.body,
    signal: a.signal,
  });
  return { route, outgoing, rewritten, upstream, headers };
}
