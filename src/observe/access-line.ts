/**
 * One access-log line per request (nginx's access_log, Envoy's access log): what the request was,
 * where it went, what it cost and how long it took. Built from the turn and, for turns that have one,
 * its ledger row (the same figures the dashboard shows); field names are the ledger's columns, so a
 * line and its row join on `request_id`. Never a key (only its id), a prompt or a response body: the
 * only free text is the upstream's error message, bounded and with key-shaped strings cut out.
 */
import type { TurnRow } from '../store/ledger.ts';
import type { Turn } from '../turn.ts';
import type { Attempt } from './attempts.ts';

export type LineLevel = 'info' | 'warn' | 'error';

export interface AccessLine {
  request_id: string;
  key_id: string | null;
  session_id: string | null;
  client_protocol: string;
  endpoint: string;
  requested_model: string | null;
  response_model: string | null;
  provider: string | null;
  upstream_model: string | null;
  status: number;
  error_code: string | null;
  /** What the upstream said (or the transport error) when the turn failed upstream. */
  error_message?: string;
  /** Attempts before the one that answered (or failed last): retries of a route and fallbacks. */
  retries: number;
  /** The failed attempts, when there were any. */
  failed_attempts?: FailedAttempt[];
  streamed: boolean;
  aborted: boolean;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_5m_tokens: number;
  cache_write_1h_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
  /** What the client's own requests would have cost sent directly (the ledger's cost_client_usd). */
  cost_client_usd: number | null;
  /** cost_client_usd - cost_usd: what Synrouter saved on this turn (keep-alive pings are their own rows). */
  savings_usd: number | null;
  latency_ms: number;
  ttfb_ms: number | null;
  /** Whether Synrouter changed the request (the ledger's `engine` is not null), and the kinds of change. */
  engine_changed: boolean;
  changes: string[];
  miss_reason: string | null;
}

export interface FailedAttempt { provider: string; upstream_model: string; status: number | null; error_code: string | null; error_message?: string; ms: number | null }

export function accessLine(turn: Turn, row: TurnRow | undefined, endPerf: number): AccessLine {
  const attempts = turn.attempts ?? [];
  const failed = attempts.slice(0, -1);
  const last = attempts.at(-1);
  const upstreamFailure = (turn.errorCode ?? '').startsWith('UPSTREAM_');
  const message = turn.errorMessage ?? (upstreamFailure ? last?.errorMessage : undefined);
  const kinds = [...new Set(turn.changes.map((c) => c.kind))];
  const u = turn.usage;
  const cost = row?.costUsd ?? null;
  const client = row?.costClientUsd ?? null;
  return {
    request_id: turn.requestId,
    key_id: turn.key?.id ?? null,
    session_id: turn.sessionId,
    client_protocol: turn.clientProtocol,
    endpoint: turn.endpoint,
    requested_model: turn.requestedModel,
    response_model: turn.responseModel,
    provider: turn.route?.providerName ?? null,
    upstream_model: turn.route?.upstreamModel ?? null,
    status: turn.status,
    error_code: turn.errorCode,
    ...(message !== undefined ? { error_message: message } : {}),
    retries: failed.length,
    ...(failed.length ? { failed_attempts: failed.map(failedAttempt) } : {}),
    streamed: turn.streamed,
    aborted: turn.aborted,
    input_tokens: u.input,
    cache_read_tokens: u.cacheRead,
    cache_write_5m_tokens: u.cacheWrite5m,
    cache_write_1h_tokens: u.cacheWrite1h,
    output_tokens: u.output,
    cost_usd: cost,
    cost_client_usd: client,
    savings_usd: cost !== null && client !== null ? round(client - cost) : null,
    latency_ms: row?.latencyMs ?? round2(endPerf - turn.startPerf),
    ttfb_ms: row ? row.ttfbMs : turn.ttfbMs === null ? null : round2(turn.ttfbMs),
    engine_changed: kinds.length > 0,
    changes: kinds,
    miss_reason: row?.missReason ?? null,
  };
}

function failedAttempt(a: Attempt): FailedAttempt {
  return {
    provider: a.route.providerName, upstream_model: a.route.upstreamModel, status: a.status ?? null, error_code: a.errorCode ?? (a.status ? 'UPSTREAM_ERROR' : null),
    ...(a.errorMessage !== undefined ? { error_message: a.errorMessage } : {}), ms: a.endPerf === undefined ? null : round2(a.endPerf - a.startPerf),
  };
}

/** info for answered requests; warn for the client's errors and aborts; error for 5xx and upstream failures. */
export function lineLevel(line: Pick<AccessLine, 'status' | 'error_code'>): LineLevel {
  if (line.status >= 500 || line.error_code?.startsWith('UPSTREAM_')) return 'error';
  if (line.status >= 400 || line.error_code) return 'warn';
  return 'info';
}

const round2 = (x: number) => Math.round(x * 100) / 100;
/** Dollar differences to a tenth of a micro-dollar (floating-point noise off). */
const round = (x: number) => Math.round(x * 1e7) / 1e7;
