/**
 * What the spans of a turn say, as plain data (the OpenTelemetry SDK is only loaded when tracing is
 * on; this file needs none of it). One span per request, kind SERVER, with the GenAI semantic
 * conventions' attributes for the turn and Synrouter's own under `synrouter.*`; one CLIENT child per
 * upstream attempt (retries and fallbacks included) with the provider, model and outcome. Token
 * counts are on the turn's span only, so that a backend summing gen_ai.usage over a trace counts
 * each turn once.
 *
 * gen_ai.usage.input_tokens counts every input token, cached or not, and the cache reads and writes
 * are also given on their own, as the conventions ask for Anthropic (whose own input_tokens excludes
 * them); synrouter.usage.* has the ledger's split (uncached, 5m and 1h writes) exactly.
 * @see https://github.com/open-telemetry/semantic-conventions-genai/blob/main/docs/gen-ai/anthropic.md
 * @see https://github.com/open-telemetry/semantic-conventions-genai/blob/main/docs/gen-ai/gen-ai-spans.md
 */
import type { TurnRow } from '../store/ledger.ts';
import type { Turn } from '../turn.ts';
import type { Attempt } from './attempts.ts';

export type Attributes = Record<string, string | number | boolean | string[]>;

export interface SpanData {
  name: string;
  attributes: Attributes;
  /** Set when the span's status is ERROR: a short description. */
  error?: string;
}

/** The requests the GenAI conventions call "chat" (Messages, Chat Completions, Responses). */
const GENERATION = new Set(['messages', 'chat', 'responses']);

export function turnSpan(turn: Turn, row: TurnRow | undefined): SpanData {
  const op = GENERATION.has(turn.endpoint) ? 'chat' : turn.endpoint;
  const a: Attributes = { 'gen_ai.operation.name': op, 'http.response.status_code': turn.status, 'synrouter.request_id': turn.requestId, 'synrouter.client_protocol': turn.clientProtocol, 'synrouter.endpoint': turn.endpoint };
  const provider = turn.route?.providerName;
  if (provider) {
    a['gen_ai.provider.name'] = provider;
    // The attribute gen_ai.provider.name replaced (semantic conventions 1.37), for backends still on it.
    a['gen_ai.system'] = provider;
  }
  if (turn.requestedModel) a['gen_ai.request.model'] = turn.requestedModel;
  if (turn.responseModel) a['gen_ai.response.model'] = turn.responseModel;
  if (turn.route) a['synrouter.upstream_model'] = turn.route.upstreamModel;
  if (turn.sessionId) {
    a['gen_ai.conversation.id'] = turn.sessionId;
    a['synrouter.session_id'] = turn.sessionId;
  }
  if (turn.streamed) a['gen_ai.request.stream'] = true;
  if (turn.key) a['synrouter.key_id'] = turn.key.id;
  if (turn.streamed && turn.ttfbMs !== null) a['gen_ai.response.time_to_first_chunk'] = turn.ttfbMs / 1000;
  const u = turn.usage;
  if (row) {
    a['gen_ai.usage.input_tokens'] = u.input + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h;
    a['gen_ai.usage.output_tokens'] = u.output;
    a['gen_ai.usage.cache_read.input_tokens'] = u.cacheRead;
    a['gen_ai.usage.cache_creation.input_tokens'] = u.cacheWrite5m + u.cacheWrite1h;
    a['synrouter.usage.uncached_input_tokens'] = u.input;
    a['synrouter.usage.cache_write_5m_tokens'] = u.cacheWrite5m;
    a['synrouter.usage.cache_write_1h_tokens'] = u.cacheWrite1h;
    a['synrouter.cache_hit'] = u.cacheRead > 0;
    if (row.missReason) a['synrouter.miss_reason'] = row.missReason;
    if (row.costUsd !== null) a['synrouter.cost_usd'] = row.costUsd;
    if (row.costClientUsd !== null) a['synrouter.cost_client_usd'] = row.costClientUsd;
    if (row.costUsd !== null && row.costClientUsd !== null) a['synrouter.savings_usd'] = Math.round((row.costClientUsd - row.costUsd) * 1e7) / 1e7;
    if (row.costDirectUsd !== null) a['synrouter.cost_no_cache_usd'] = row.costDirectUsd;
  }
  const kinds = [...new Set(turn.changes.map((c) => c.kind))];
  a['synrouter.engine_changed'] = kinds.length > 0;
  if (kinds.length) a['synrouter.changes'] = kinds;
  a['synrouter.retries'] = Math.max(0, (turn.attempts?.length ?? 0) - 1);
  if (turn.errorCode) a['error.type'] = turn.errorCode;
  const name = `${op}${turn.requestedModel ? ' ' + turn.requestedModel : ''}`;
  // Server spans: a 4xx is the client's error, not the server's (OpenTelemetry's HTTP conventions).
  const failed = turn.status >= 500 || (turn.errorCode?.startsWith('UPSTREAM_') ?? false);
  return failed ? { name, attributes: a, error: turn.errorMessage ?? turn.errorCode ?? `status ${turn.status}` } : { name, attributes: a };
}

/** The span of attempt `index` (0-based); `last` is the one whose answer was forwarded (or whose failure was). */
export function attemptSpan(at: Attempt, index: number): SpanData {
  const r = at.route;
  const a: Attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': r.providerName, 'gen_ai.system': r.providerName, 'gen_ai.request.model': r.upstreamModel, 'synrouter.attempt': index + 1 };
  const origin = parseOrigin(r.provider.baseUrl);
  if (origin) {
    a['server.address'] = origin.host;
    a['server.port'] = origin.port;
  }
  if (at.status !== undefined && !at.errorCode) a['http.response.status_code'] = at.status;
  const errorType = at.errorCode ?? (at.status !== undefined && at.status >= 400 ? String(at.status) : undefined);
  if (errorType) a['error.type'] = errorType;
  const name = `chat ${r.upstreamModel}`;
  // Client spans: any 4xx/5xx answer or transport failure is an error of this call.
  return errorType ? { name, attributes: a, error: at.errorMessage ?? errorType } : { name, attributes: a };
}

const origins = new Map<string, { host: string; port: number } | null>();
function parseOrigin(baseUrl: string): { host: string; port: number } | null {
  let o = origins.get(baseUrl);
  if (o === undefined) {
    try {
      const u = new URL(baseUrl);
      o = { host: u.hostname, port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80) };
    } catch {
      o = null;
    }
    if (origins.size < 1000) origins.set(baseUrl, o);
  }
  return o;
}
