/**
 * THE flow of a request, one stage per line, in order:
 *   server (match route, bounded body) -> auth -> session -> route -> rewrite -> upstream
 *   -> sse (stream back as it arrives) + meter (on the side) -> store (one ledger row per turn).
 * Each stage lives in the folder of the same name; this file only calls them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Agent } from 'undici';
import type { Config } from './config.ts';
import { ProxyError, toProxyError } from './errors.ts';
import { matchEndpoint, type Endpoint } from './server/endpoints.ts';
import { readBody } from './server/read-body.ts';
import { sendError, sendJson } from './server/respond.ts';
import { listModels } from './server/models-endpoint.ts';
import { authenticate } from './auth/authenticate.ts';
import { identifySession } from './session/identify-session.ts';
import { commitEngineState, engineStateId, type SessionStore } from './session/session-state.ts';
import { resolveRoutes } from './route/resolve-route.ts';
import { sendWithRetries } from './upstream/send-with-retries.ts';
import type { Change } from './rewrite/cache-engine.ts';
import type { SessionCacheState } from './session/session-state.ts';
import type { Registry } from './route/registry.ts';
import { rewriteAnthropicRequest, type Rewritten } from './rewrite/rewrite-request.ts';
import type { EngineConfig } from './rewrite/cache-engine.ts';
import { forwardHeaders, sendUpstream } from './upstream/send-upstream.ts';
import { CLIENT_PROTOCOLS } from './protocols/client-protocols.ts';
import { translateRequest, type Outgoing } from './translate/translate-request.ts';
import { forwardResponse } from './upstream/forward-response.ts';
import { rewriteOpenAIRequest } from './rewrite/rewrite-openai-request.ts';
import type { SessionIdentity } from './session/identify-session.ts';
import type { Route } from './route/resolve-route.ts';
import type { KeyStore } from './store/keys.ts';
import type { Ledger } from './store/ledger.ts';
import { newTurn, toLedgerRow, type Turn } from './turn.ts';
import { handleAdmin, isAdminPath } from './admin/handle-admin.ts';
import type { Metrics } from './meter/metrics.ts';
import type { ProviderCacheModel } from './meter/provider-cache-model.ts';
import type { Inflight } from './server/inflight.ts';
import type { Limits } from './auth/limits.ts';
import type { KeepAlive } from './keepalive/keep-alive.ts';
import { pingAllowed } from './keepalive/ping-body.ts';
import { totalInput, ZERO_USAGE } from './meter/usage.ts';
import type { MessagesRequest } from './protocols/anthropic/types.ts';

export interface Deps {
  config: Config;
  keys: KeyStore;
  ledger: Ledger;
  sessions: SessionStore;
  registry: Registry;
  engine: EngineConfig;
  agent: Agent;
  /** Wall clock for turn times and cache TTLs; tests and the savings benchmark share the simulator's. */
  clock: { now(): number };
  metrics: Metrics;
  /** Counterfactual bills: the client's own markers alone; shadow keys' engine rewrite. */
  clientOnly: ProviderCacheModel;
  shadowModel: ProviderCacheModel;
  inflight: Inflight;
  limits: Limits;
  keepalive: KeepAlive;
}

export async function handleRequest(req: IncomingMessage, res: ServerResponse, deps: Deps): Promise<void> {
  const requestId = 'req_sr_' + randomBytes(12).toString('hex');
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (isAdminPath(url.pathname)) return handleAdmin(req, res, deps, url);
  const match = matchEndpoint(req.method ?? 'GET', url.pathname);
  if (!('endpoint' in match)) {
    const err = match.status === 404
      ? new ProxyError('ROUTE_NOT_FOUND', `No route for ${req.method} ${url.pathname}. Anthropic clients use /api/anthropic, OpenAI clients /api/v1.`)
      : new ProxyError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}; use ${match.allow}.`);
    return sendError(res, match.protocol, err, requestId, match.allow ? { allow: match.allow } : {});
  }
  const { endpoint } = match;
  if (endpoint.op === 'health') return sendJson(res, 200, { status: 'ok' });

  const turn = newTurn(requestId, endpoint.protocol, endpoint.op, deps.clock.now());
  const abort = new AbortController();
  res.once('close', () => { if (!res.writableFinished) abort.abort(); });
  const done = deps.inflight.track(res, endpoint.op === 'responses' ? 'openai-responses' : endpoint.protocol, abort);
  let release: (() => void) | undefined;
  try {
    turn.key = authenticate(req.headers, deps.keys);
    if (endpoint.op === 'models') return sendJson(res, 200, listModels(endpoint.protocol, deps.registry, url.searchParams));
    release = deps.limits.admit(turn.key, turn.startedAt);
    await proxyTurn(req, res, endpoint, turn, deps, abort.signal);
  } catch (err) {
    // A client that left while we waited on the upstream is not a server error.
    const e = abort.signal.aborted && !(err instanceof ProxyError) ? new ProxyError('CLIENT_ABORTED', 'The client went away before the response.', { cause: err }) : toProxyError(err);
    if (e.code === 'CLIENT_ABORTED') turn.aborted = true;
    if (e.code === 'INTERNAL') console.error(`[synrouter] ${requestId} internal error:`, err);
    turn.status ||= e.status;
    turn.errorCode ??= e.code;
    sendError(res, endpoint.protocol, e, requestId);
  } finally {
    // Every authenticated turn gets exactly one ledger row, whatever happened to it.
    if (turn.key && endpoint.op !== 'count_tokens' && endpoint.op !== 'models') {
      const row = toLedgerRow({ ...turn, key: turn.key }, deps.registry);
      deps.ledger.record(row);
      deps.metrics.observeTurn(row);
      deps.limits.spend(row.keyId, row.ts, row.costUsd);
    }
    release?.();
    done();
  }
}

async function proxyTurn(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint, turn: Turn, deps: Deps, signal: AbortSignal): Promise<void> {
  const client = CLIENT_PROTOCOLS[endpoint.op]!;
  const raw = await readBody(req, deps.config.bodyLimitBytes);
  const request = client.parse(raw);
  turn.requestedModel = request.model;
  turn.streamed = request.stream === true;
  deps.inflight.setStreamed(res, turn.streamed);
  const session = identifySession(req.headers, request, client.stable(request));
  turn.sessionId = session.id;
  // Same fingerprint, same upstream key: the provider's cache is per key (protocols.md §2.8).
  const routes = resolveRoutes({ requested: request.model, registry: deps.registry, providers: deps.config.providers, scope: session.fingerprint.prefix, client: client.wire, fallbacks: deps.config.fallbacks });
  const { route, outgoing, rewritten, upstream } = await sendWithRetries({ routes, deps, turn, signal, attempt: async (route) => {
    const outgoing = translateRequest({ from: client.wire, to: route.wire, raw, request, route, now: turn.startedAt });
    const rewritten = rewriteOutgoing({ outgoing, route, session, turn, deps, countTokens: endpoint.op === 'count_tokens' });
    const upstream = await sendUpstream(deps.agent, {
      baseUrl: route.provider.baseUrl,
      path: route.provider.spec.paths[route.wire]! + (endpoint.op === 'count_tokens' ? '/count_tokens' : ''),
      method: 'POST',
      headers: { ...forwardHeaders(req.headers, route.provider.spec, route.apiKey), 'content-type': 'application/json' },
      body: rewritten.body,
      signal,
    });
    return { route, outgoing, rewritten, upstream };
  } });
  turn.changes = rewritten.changes;
  if (rewritten.engine) {
    turn.expectedMiss = rewritten.engine.expectedMiss;
    commitEngineState(deps.sessions, turn.key!, session.id, rewritten.engine.nextState);
  }
  if (turn.streamed) deps.metrics.streamStarted();
  try {
    await forwardResponse({ from: route.wire, to: client.wire, upstream, res, turn, signal, hideUsageChunk: rewritten.hideUsageChunk, translation: outgoing.translation });
  } finally {
    if (turn.streamed) deps.metrics.streamEnded();
  }
  if (rewritten.engine && outgoing.anthropic) keepWarm({ req, route, turn, deps, session, body: rewritten.body, request: outgoing.anthropic, state: rewritten.engine.nextState });
  // After the client has its answer: what the client's own markers alone would have been billed.
  if (rewritten.engine && turn.status === 200 && outgoing.anthropic) {
    const scope = `${route.apiKey}\u0000${route.upstreamModel}`;
    const evaluate = { scope, model: route.upstreamModel, startMs: turn.startedAt, output: turn.usage.output };
    if (rewritten.shadowBody) turn.shadowUsage = deps.shadowModel.evaluate({ ...evaluate, request: JSON.parse(rewritten.shadowBody.toString('utf8')) });
    // A client that marks nothing caches nothing: its bill is every input token uncached, no model needed.
    else if (!outgoing.raw.includes('"cache_control"')) turn.clientOnlyUsage = { ...ZERO_USAGE, input: totalInput(turn.usage), output: turn.usage.output };
    else turn.clientOnlyUsage = deps.clientOnly.evaluate({ ...evaluate, request: outgoing.anthropic, ...(rewritten.engine.clientPrompt ? { prompt: rewritten.engine.clientPrompt } : {}) });
  }
}

/** Keep-alive is for Anthropic-direct routes: the cache is ours to refresh there (protocols.md §2.10). */
function keepAliveApplies(route: Route, deps: Deps): boolean {
  return deps.config.keepalive.enabled && route.provider.spec.serves === 'anthropic' && route.wire === 'anthropic';
}

/** After a good turn whose conversation entries are 5m, the keep-alive keeps them warm while the session idles. */
function keepWarm(o: { req: IncomingMessage; route: Route; turn: Turn; deps: Deps; session: SessionIdentity; body: Buffer; request: MessagesRequest; state: SessionCacheState }): void {
  const { route, turn, deps } = o;
  const key = turn.key!;
  // A coding session is one agent at work: an idle spell is the person or a long tool run. A general-mode
  // session is pinged only once it has shown it comes back after idling (its shared prefix is kept warm
  // by the agent's other sessions anyway); measured in bench:savings.
  const likelyToContinue = key.mode === 'coding' || o.state.gaps.some((g) => g > 60_000);
  // Only the cheap checks here: the ping body is built from o.body when a ping is due (keepalive/).
  const ping = o.turn.status === 200 && !turn.aborted && !key.shadow && o.state.ttl === '5m' && likelyToContinue && keepAliveApplies(route, deps) && pingAllowed(o.request);
  if (!ping) return deps.keepalive.forget(key.id, o.session.id);
  deps.keepalive.track({
    keyId: key.id, mode: key.mode, sessionId: o.session.id, clientProtocol: turn.clientProtocol, requestedModel: turn.requestedModel ?? route.upstreamModel,
    upstreamModel: route.upstreamModel, providerName: route.providerName, baseUrl: route.provider.baseUrl, path: route.provider.spec.paths.anthropic!,
    headers: { ...forwardHeaders(o.req.headers, route.provider.spec, route.apiKey), 'content-type': 'application/json' },
    body: o.body, prices: deps.registry.pricesFor(route.upstreamModel, route.speed), prefixTokens: totalInput(turn.usage),
    lastRefreshAt: turn.startedAt, lastTurnAt: turn.startedAt,
  });
}

/** The rewrite stage: the cache engine for Anthropic-wire requests, cache keys for OpenAI-wire ones. */
interface RewriteResult {
  body: Buffer;
  changes: Change[];
  engine?: Rewritten['engine'];
  hideUsageChunk: boolean;
  /** Shadow keys: the body the engine would have sent (the client's is what goes upstream). */
  shadowBody?: Buffer;
}

/** Pure with respect to the session: the caller commits the engine's next state once a route answered. */
function rewriteOutgoing(o: { outgoing: Outgoing; route: Route; session: SessionIdentity; turn: Turn; deps: Deps; countTokens: boolean }): RewriteResult {
  const { outgoing, route, session, turn, deps } = o;
  const key = turn.key!;
  if (outgoing.anthropic) {
    const rewritten = rewriteAnthropicRequest({
      raw: outgoing.raw, request: outgoing.anthropic, route,
      ...(o.countTokens ? {} : { cache: {
        mode: key.mode, state: deps.sessions.get(key.id, engineStateId(key, session.id)), now: turn.startedAt, config: deps.engine, fingerprint: session.fingerprint,
        ...(keepAliveApplies(route, deps) ? { keepAlive: { maxIdleMs: deps.config.keepalive.maxIdleMs[key.mode] } } : {}),
      } }),
    });
    if (key.shadow && rewritten.engine) {
      // Shadow mode: only what routing needs (model id, speed) is changed; the engine's work is modelled.
      const plain = rewriteAnthropicRequest({ raw: outgoing.raw, request: outgoing.anthropic, route });
      return { body: plain.body, changes: [...outgoing.changes, { kind: 'shadow', detail: 'forwarded untouched; the engine changes below were not sent' }, ...rewritten.changes], engine: rewritten.engine, hideUsageChunk: false, shadowBody: rewritten.body };
    }
    return { body: rewritten.body, changes: [...outgoing.changes, ...rewritten.changes], ...(rewritten.engine ? { engine: rewritten.engine } : {}), hideUsageChunk: false };
  }
  const request = outgoing.openai!;
  const wantUsageChunk = route.wire === 'openai-chat' && request.stream === true && !(request.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
  const rewritten = rewriteOpenAIRequest({
    raw: outgoing.raw, request, upstreamModel: route.upstreamModel, sessionId: session.id, wantUsageChunk,
    ...(route.provider.spec.sessionField ? { sessionField: route.provider.spec.sessionField } : {}),
  });
  return { body: rewritten.body, changes: [...outgoing.changes, ...rewritten.changes], hideUsageChunk: wantUsageChunk };
}
