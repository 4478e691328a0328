/**
 * The rewrite stage for whatever goes upstream: the cache engine for Anthropic-wire requests (Claude
 * models), cache keys for OpenAI-wire ones. Pure with respect to the session: the caller commits the
 * engine's next state once a route has answered (a retried or fallen-back attempt must not count).
 */
import type { Route } from '../route/resolve-route.ts';
import type { SessionIdentity } from '../session/identify-session.ts';
import type { SessionCacheState } from '../session/session-state.ts';
import type { KeyRecord } from '../store/keys.ts';
import type { Outgoing } from '../translate/translate-request.ts';
import type { Change, EngineConfig } from './cache-engine.ts';
import type { KeepAliveTerms } from './choose-ttl.ts';
import { rewriteAnthropicRequest, rewriteSteps, type Rewritten } from './rewrite-request.ts';
import { runInSlices } from '../time-slices.ts';
import { rewriteOpenAIRequest } from './rewrite-openai-request.ts';
import type { Spliced } from '../json/splice.ts';

export interface RewriteResult {
  body: Spliced;
  changes: Change[];
  engine?: Rewritten['engine'];
  /** Synrouter asked for the chat usage chunk on the client's behalf: hide it from the client. */
  hideUsageChunk: boolean;
  /** Shadow keys: the body the engine would have sent (the client's is what goes upstream). */
  shadowBody?: Spliced;
}

/** Async only so that the cache engine's rendering of a long conversation runs in slices (time-slices.ts). */
export async function rewriteOutgoing(o: {
  outgoing: Outgoing;
  route: Route;
  session: SessionIdentity;
  key: Pick<KeyRecord, 'mode' | 'shadow'>;
  now: number;
  /** The session's engine state (the shadow state for shadow keys). */
  state: SessionCacheState | undefined;
  engine: EngineConfig;
  /** Set when the keep-alive will keep this route's 5m entries warm (the TTL choice prices pings in). */
  keepAlive?: KeepAliveTerms;
  /** count_tokens: model id only, no cache engine (nothing is cached by counting). */
  countTokens: boolean;
}): Promise<RewriteResult> {
  const { outgoing, route, key } = o;
  if (outgoing.anthropic) {
    const rewritten = await runInSlices(rewriteSteps({
      raw: outgoing.raw, request: outgoing.anthropic, route, keepScan: key.shadow,
      ...(o.countTokens ? {} : { cache: { mode: key.mode, state: o.state, now: o.now, config: o.engine, fingerprint: o.session.fingerprint, ...(o.keepAlive ? { keepAlive: o.keepAlive } : {}) } }),
    }));
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
    raw: outgoing.raw, request, upstreamModel: route.upstreamModel, sessionId: o.session.id, wantUsageChunk,
    ...(route.provider.spec.sessionField ? { sessionField: route.provider.spec.sessionField } : {}),
  });
  return { body: rewritten.body, changes: [...outgoing.changes, ...rewritten.changes], hideUsageChunk: wantUsageChunk };
}
