/**
 * Every ledger row, built here and nowhere else (store/ledger.ts TurnRow): a turn as its client saw
 * it, a failed attempt before it (kind 'retry'), a keep-alive ping (kind 'keepalive'), and the open row
 * and progress of an attempt while it is at the upstream. They go to the store through row-sink.ts.
 */
import type { LedgerErrorCode } from '../errors.ts';
import type { KeyRecord } from './keys.ts';
import type { OpenRow, Progress, TurnRow } from './ledger.ts';
import type { Route } from '../route/resolve-route.ts';
import type { Prices, Registry } from '../route/registry.ts';
import type { Turn } from '../turn.ts';
import { ZERO_USAGE, type Usage } from '../meter/usage.ts';
import { costOf } from '../meter/cost.ts';
import { turnCosts, turnPrices } from '../meter/price-turn.ts';
import { missReason } from '../meter/miss-reason.ts';

/** Durations are kept to the hundredth of a millisecond. */
const ms = (v: number | null): number | null => (v === null ? null : Math.round(v * 100) / 100);

function tokens(u: Usage): Pick<TurnRow, 'inputTokens' | 'cacheReadTokens' | 'cacheWrite5mTokens' | 'cacheWrite1hTokens' | 'outputTokens'> {
  return { inputTokens: u.input, cacheReadTokens: u.cacheRead, cacheWrite5mTokens: u.cacheWrite5m, cacheWrite1hTokens: u.cacheWrite1h, outputTokens: u.output };
}

/** What the ledger's open row of an attempt about to go upstream holds. */
export function openRowOf(t: Turn, key: KeyRecord): OpenRow {
  return {
    ts: t.startedAt, requestId: t.requestId, kind: 'turn', keyId: key.id, sessionId: t.sessionId, clientProtocol: t.clientProtocol,
    endpoint: t.endpoint, requestedModel: t.requestedModel, provider: t.route?.providerName ?? null, streamed: t.streamed,
  };
}

/** The row of a turn as its client saw it: one per authenticated turn, whatever happened to it. */
export function turnRow(t: Turn & { key: KeyRecord }, registry: Registry): TurnRow {
  const prices = turnPrices(t.route, t.responseModel, registry);
  return {
    ...openRowOf(t, t.key), responseModel: t.responseModel, status: t.status, errorCode: t.errorCode, aborted: t.aborted,
    ...tokens(t.usage), ...turnCosts(t, prices),
    missReason: missReason(t), engine: t.changes.length ? JSON.stringify(t.changes) : null,
    latencyMs: ms(performance.now() - t.startPerf), ttfbMs: ms(t.ttfbMs),
  };
}

/** A failed attempt before the turn's answer (retried, or moved to the next route): it used no tokens. */
export function retryRow(t: Turn & { key: KeyRecord }, route: Route, status: number, errorCode: LedgerErrorCode, registry: Registry): TurnRow {
  return { ...turnRow({ ...t, route, status, errorCode, usage: ZERO_USAGE }, registry), kind: 'retry' };
}

/** What an attempt at the upstream has come to: the status once its head arrived, the tokens its stream's meter has read. */
export function progressOf(t: Turn, registry: Registry): Progress {
  const live = t.meter?.soFar();
  const usage = live?.usage ?? t.usage;
  const model = live?.model ?? t.responseModel;
  // Its tokens at their prices: the provider's own figure (if any) comes with the last bytes.
  return { status: t.status, responseModel: model, ...tokens(usage), ...turnCosts({ usage }, turnPrices(t.route, model, registry)), ttfbMs: ms(t.ttfbMs) };
}

export interface Ping {
  ts: number; requestId: string; keyId: string; sessionId: string; clientProtocol: string; requestedModel: string; provider: string;
  prices: Prices | null; status: number; errorCode: LedgerErrorCode | null; usage: Usage; responseModel: string | null;
  /** null until the ping has an answer. */
  latencyMs: number | null;
}

/** A keep-alive ping's row: before it goes out (status 0, no tokens) and once it has its answer. */
export function pingRow(p: Ping): TurnRow {
  return {
    ts: p.ts, requestId: p.requestId, kind: 'keepalive', keyId: p.keyId, sessionId: p.sessionId, clientProtocol: p.clientProtocol,
    endpoint: 'keepalive', requestedModel: p.requestedModel, provider: p.provider, streamed: false,
    responseModel: p.responseModel, status: p.status, errorCode: p.errorCode, aborted: false, ...tokens(p.usage),
    // A ping has no "direct" or client-only counterpart: without Synrouter it would not exist. Its cost is pure spend.
    costUsd: costOf(p.usage, p.prices), costDirectUsd: 0, costClientUsd: 0, missReason: null, engine: null,
    latencyMs: ms(p.latencyMs), ttfbMs: null,
  };
}
