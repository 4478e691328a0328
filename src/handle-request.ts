/**
 * THE flow of a request, in order:
 *   server (match route, bounded body) -> auth (key, limits) -> session (id, fingerprint) -> route
 *   -> the attempt, once per route tried (send-attempt.ts: translate, only when the protocols differ
 *   -> rewrite, cache engine / cache keys -> send) under upstream's retries and fallbacks -> sse (sse/stream-back.ts: back as it arrives) + meter (on the side) -> store (one ledger
 *   row per turn); then keepalive (warm the idle session) and the counterfactual bills for the savings.
 * Each stage lives in the folder of the same name; this file only calls them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Deps } from './deps.ts';
import { ProxyError, toProxyError } from './errors.ts';
import { matchEndpoint, type Endpoint } from './server/endpoints.ts';
import { declaredLength, readBody } from './server/read-body.ts';
import { requestPath, requestUrl } from './server/request-url.ts';
import { sendError, sendJson } from './server/respond.ts';
import { listModels } from './server/models-endpoint.ts';
import type { LoadShedder } from './server/load-shedder.ts';
import { handleAdmin, isAdminPath } from './admin/handle-admin.ts';
import { authenticate } from './auth/authenticate.ts';
import { CLIENT_PROTOCOLS } from './protocols/client-protocols.ts';
import { identifySession } from './session/identify-session.ts';
import { bodySlot } from './session/session-id.ts';
import { commitEngineState } from './session/session-state.ts';
import { commitCarriedThinking } from './session/carried-thinking.ts';
import { resolveRoutes } from './route/resolve-route.ts';
import { sendAttempt, type AttemptInput } from './send-attempt.ts';
import { sendWithRetries } from './upstream/send-with-retries.ts';
import { streamBack } from './sse/stream-back.ts';
import { newTurn, type Turn } from './turn.ts';
import { turnRow } from './store/rows.ts';
import { keepWarm } from './keepalive/keep-warm.ts';
import { recordCounterfactuals } from './meter/counterfactual.ts';

export async function handleRequest(req: IncomingMessage, res: ServerResponse, deps: Deps): Promise<void> {
  // randomUUID draws from a buffered pool of random bytes (randomBytes went to the kernel per call).
  const requestId = 'req_sr_' + randomUUID().replaceAll('-', '');
  const path = requestPath(req.url);
  if (isAdminPath(path)) return handleAdmin(req, res, deps, requestUrl(req.url));
  const match = matchEndpoint(req.method ?? 'GET', path);
  if (!('endpoint' in match)) {
    const err = match.status === 404
      ? new ProxyError('ROUTE_NOT_FOUND', `No route for ${req.method} ${path}. Anthropic clients use /api/anthropic, OpenAI clients /api/v1.`)
      : new ProxyError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}; use ${match.allow}.`);
    return sendError(res, match.protocol, err, requestId, match.allow ? { allow: match.allow } : {});
  }
  const { endpoint } = match;
  if (endpoint.op === 'health') return sendJson(res, 200, { status: 'ok' });
  if (endpoint.op === 'ready') {
    const { ok, detail } = await deps.store.ready();
    return sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not_ready', store: detail });
  }

  const turn = newTurn(requestId, endpoint.protocol, endpoint.op, deps.clock.now());
  const abort = new AbortController();
  res.once('close', () => { if (!res.writableFinished) abort.abort(); });
  const done = deps.inflight.track(res, endpoint.op === 'responses' ? 'openai-responses' : endpoint.protocol, abort);
  let release: (() => void) | undefined;
  let hold: ReturnType<LoadShedder['admit']> | undefined;
  try {
    turn.key = await authenticate(req.headers, deps.keys);
    if (endpoint.op === 'models') return sendJson(res, 200, listModels(endpoint.protocol, deps.registry, requestUrl(req.url).searchParams));
    release = await deps.limits.admit(turn.key, turn.startedAt);
    hold = deps.shedder.admit(endpoint.protocol, declaredLength(req));
    await proxyTurn(req, res, endpoint, turn, deps, abort.signal, hold);
  } catch (err) {
    // A client that left while we waited on the upstream is not a server error.
    const e = abort.signal.aborted && !(err instanceof ProxyError) ? new ProxyError('CLIENT_ABORTED', 'The client went away before the response.', { cause: err }) : toProxyError(err);
    if (e.code === 'CLIENT_ABORTED') turn.aborted = true;
    if (e.code === 'INTERNAL') console.error(`[synrouter] ${requestId} internal error:`, err);
    turn.status ||= e.status;
    turn.errorCode ??= e.code;
    sendError(res, endpoint.protocol, e, requestId);
  } finally {
    // Every authenticated turn gets exactly one ledger row, whatever happened to it; it replaces the
    // open row of its last attempt.
    const row = turn.key && endpoint.op !== 'count_tokens' && endpoint.op !== 'models' ? turnRow({ ...turn, key: turn.key }, deps.registry) : undefined;
    if (row) deps.rows.write(row, { open: turn.open, answered: turn.route?.entry });
    deps.observer.turnEnded(turn, row, res.statusCode);
    release?.();
    hold?.release();
    done();
  }
}

async function proxyTurn(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint, turn: Turn, deps: Deps, signal: AbortSignal, hold: { grow(bytes: number): void }): Promise<void> {
  const client = CLIENT_PROTOCOLS[endpoint.op]!;
  const raw = await readBody(req, deps.config.bodyLimitBytes, deps.config.bodyTimeoutMs);
  hold.grow(raw.length);
  const request = client.parse(raw, bodySlot(turn.key!.id, req.headers));
  turn.requestedModel = request.model;
  turn.streamed = request.stream === true;
  const session = identifySession(req.headers, request, client.stable(request));
  turn.sessionId = session.id;
  // Same fingerprint, same upstream key: the provider's cache is per key (protocols.md §2.8).
  const routes = resolveRoutes({ requested: request.model, registry: deps.registry, providers: deps.config.providers, scope: session.fingerprint.prefix, client: client.wire, fallbacks: deps.config.fallbacks });
  const key = turn.key!;
  // Each try is prepared for its own route (translation, rewrite, headers): send-attempt.ts.
  const attempt: AttemptInput = { op: endpoint.op, headers: req.headers, client, raw, request, session, key, turn, deps, signal };
  const { route, outgoing, rewritten, upstream, headers } = await sendWithRetries({ routes, deps, turn, signal, attempt: (route) => sendAttempt(route, attempt) });
  turn.changes = rewritten.changes;
  if (rewritten.engine) {
    turn.expectedMiss = rewritten.engine.expectedMiss;
    // Awaited: on PostgreSQL the next turn may land on another instance, which must read this state.
    await commitEngineState(deps.sessions, key, session.id, rewritten.engine.nextState);
  }
  if (turn.streamed) deps.metrics.streamStarted();
  try {
    await streamBack({
      from: route.wire, to: client.wire, upstream, res, turn, signal, hideUsageChunk: rewritten.hideUsageChunk, translation: outgoing.translation,
      // The answer's signed thinking, for a chat client to get back on its next tool round (session/carried-thinking.ts).
      ...(rewritten.engine ? { onCarry: (t) => commitCarriedThinking(deps.sessions, key.id, session.id, t) } : {}),
    });
  } finally {
    if (turn.streamed) deps.metrics.streamEnded();
  }
  if (rewritten.engine && outgoing.anthropic) {
    keepWarm({ keepalive: deps.keepalive, enabled: deps.config.keepalive.enabled, registry: deps.registry, headers, route, turn, sessionId: session.id, body: rewritten.body, request: outgoing.anthropic, state: rewritten.engine.nextState });
    // After the client has its answer: what the client's own markers alone (or the engine, for shadow keys) would have been billed.
    if (turn.status === 200) await recordCounterfactuals({ turn, scope: `${route.apiKey}\u0000${route.upstreamModel}`, model: route.upstreamModel, clientOnly: deps.clientOnly, shadowModel: deps.shadowModel, request: outgoing.anthropic, raw: outgoing.raw, ...(rewritten.engine.clientPrompt ? { clientPrompt: rewritten.engine.clientPrompt } : {}), ...(rewritten.shadowBody ? { shadowBody: rewritten.shadowBody } : {}) });
  }
}
