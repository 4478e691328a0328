/** The record of one request as it moves through the stages; meter/ and store/ receive it. */
import type { ClientProtocol, LedgerErrorCode } from './errors.ts';
import type { KeyRecord } from './store/keys.ts';
import type { Route } from './route/resolve-route.ts';
import type { OpenRow, OpenTurn, Progress, TurnRow } from './store/ledger.ts';
import { totalInput, ZERO_USAGE, type Usage } from './meter/usage.ts';
import { costOf, directCostOf } from './meter/cost.ts';
import type { Prices, Registry } from './route/registry.ts';
import type { Change, MissReason } from './rewrite/cache-engine.ts';
import type { Attempt } from './observe/attempts.ts';

export interface Turn {
  requestId: string;
  startedAt: number;
  startPerf: number;
  clientProtocol: ClientProtocol;
  endpoint: string;
  key?: KeyRecord;
  sessionId: string | null;
  requestedModel: string | null;
  route?: Route;
  streamed: boolean;
  status: number;
  errorCode: LedgerErrorCode | null;
  aborted: boolean;
  usage: Usage;
  responseModel: string | null;
  ttfbMs: number | null;
  /** What the rewrite stage did, and the miss the cache engine expected (null: a hit). */
  changes: Change[];
  expectedMiss: MissReason | null;
  /** The usage the client's own markers alone would have produced (cache engine turns only). */
  clientOnlyUsage?: Usage;
  /** Shadow keys: the usage the engine's rewrite would have produced. */
  shadowUsage?: Usage;
  /** The provider's own price for the turn (OpenRouter `usage.cost`), preferred over the price table. */
  providerCostUsd?: number | null;
  /** Each upstream attempt in order (retries and fallbacks before the last), for the access log and traces. */
  attempts?: Attempt[];
  /** What the upstream said when it failed the turn (its error's message, keys redacted), for the access log. */
  errorMessage?: string;
  /** The ledger's open row of the attempt now at the upstream; its finished row (turn or retry) replaces it. */
  open?: OpenTurn;
  /** The stream's meter while it is relayed: what it has read so far, for the open row. */
  meter?: { soFar(): { usage: Usage | null; model: string | null } };
}

export function newTurn(requestId: string, clientProtocol: ClientProtocol, endpoint: string, now: number): Turn {
  return {
    requestId, startedAt: now, startPerf: performance.now(), clientProtocol, endpoint, sessionId: null, requestedModel: null,
    streamed: false, status: 0, errorCode: null, aborted: false, usage: ZERO_USAGE, responseModel: null, ttfbMs: null,
    changes: [], expectedMiss: null,
    // Set later (dispatch, the stream's start): present from the start so the object keeps one shape.
    open: undefined, meter: undefined,
  };
}

/** Prices follow the model the provider says answered (protocols.md §3.4: never an alias map). */
function pricesOf(t: Turn, responseModel: string | null, registry: Registry): Prices | null {
  const model = responseModel ?? t.route?.upstreamModel ?? null;
  return model ? registry.pricesFor(model, t.route?.speed) : null;
}

export function toLedgerRow(t: Turn & { key: KeyRecord }, registry: Registry): TurnRow {
  const prices = pricesOf(t, t.responseModel, registry);
  return {
    ts: t.startedAt, requestId: t.requestId, kind: 'turn', keyId: t.key.id, sessionId: t.sessionId, clientProtocol: t.clientProtocol,
    endpoint: t.endpoint, requestedModel: t.requestedModel, responseModel: t.responseModel, provider: t.route?.providerName ?? null,
    status: t.status, errorCode: t.errorCode, streamed: t.streamed, aborted: t.aborted,
    inputTokens: t.usage.input, cacheReadTokens: t.usage.cacheRead, cacheWrite5mTokens: t.usage.cacheWrite5m,
    cacheWrite1hTokens: t.usage.cacheWrite1h, outputTokens: t.usage.output,
    costUsd: t.providerCostUsd ?? costOf(t.usage, prices), costDirectUsd: directCostOf(t.usage, prices),
    costClientUsd: t.clientOnlyUsage ? costOf(t.clientOnlyUsage, prices) : costOf(t.usage, prices),
    ...(t.shadowUsage ? { costShadowUsd: costOf(t.shadowUsage, prices) } : {}),
    missReason: missReason(t),
    engine: t.changes.length ? JSON.stringify(t.changes) : null,
    latencyMs: Math.round((performance.now() - t.startPerf) * 100) / 100, ttfbMs: t.ttfbMs === null ? null : Math.round(t.ttfbMs * 100) / 100,
  };
}

/** What the ledger's open row of an attempt about to go upstream holds. */
export function openRowOf(t: Turn, key: KeyRecord): OpenRow {
  return {
    ts: t.startedAt, requestId: t.requestId, kind: 'turn', keyId: key.id, sessionId: t.sessionId, clientProtocol: t.clientProtocol,
    endpoint: t.endpoint, requestedModel: t.requestedModel, provider: t.route?.providerName ?? null, streamed: t.streamed,
  };
}

/** What an attempt at the upstream has come to: the status once its head arrived, the tokens its stream's meter has read. */
export function progressOf(t: Turn, registry: Registry): Progress {
  const live = t.meter?.soFar();
  const usage = live?.usage ?? t.usage;
  const model = live?.model ?? t.responseModel;
  const prices = pricesOf(t, model, registry);
  const cost = costOf(usage, prices);
  return {
    status: t.status, responseModel: model, inputTokens: usage.input, cacheReadTokens: usage.cacheRead, cacheWrite5mTokens: usage.cacheWrite5m,
    cacheWrite1hTokens: usage.cacheWrite1h, outputTokens: usage.output, costUsd: cost, costDirectUsd: directCostOf(usage, prices), costClientUsd: cost,
    ttfbMs: t.ttfbMs === null ? null : Math.round(t.ttfbMs * 100) / 100,
  };
}

/**
 * Why a turn missed the cache (fully, or from some point on): the cache engine's reason when it
 * expected the miss. Without the engine (OpenAI-protocol upstreams cache on their own): below the
 * 1,024-token minimum those providers have (protocols.md §7), else the provider's own miss. On the
 * Anthropic wire, a turn that wrote but read nothing was unexpected, one that did neither was too short.
 */
function missReason(t: Turn): string | null {
  if (t.status !== 200) return null;
  const wrote = t.usage.cacheWrite5m + t.usage.cacheWrite1h > 0;
  if (t.expectedMiss && (wrote || t.usage.cacheRead === 0)) return t.expectedMiss;
  if (t.usage.cacheRead > 0 || t.usage.input + t.usage.cacheWrite5m + t.usage.cacheWrite1h === 0) return null;
  if (t.route && t.route.wire !== 'anthropic') return totalInput(t.usage) < 1024 ? 'below_minimum' : 'provider_cache_miss';
  return wrote ? 'unexpected' : 'below_minimum';
}
