import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUCKETS, Metrics, escapeLabelValue } from './metrics.ts';
import type { TurnRow } from '../store/ledger.ts';
import { createRegistry } from '../route/registry.ts';
import { parsePrometheus, sampleValue } from '../testing/parse-prometheus.ts';

const value = sampleValue;
const registry = createRegistry();

function row(over: Partial<TurnRow>): TurnRow {
  return {
    ts: 0, requestId: 'r', kind: 'turn', keyId: 'k', sessionId: 's', clientProtocol: 'anthropic', endpoint: 'messages',
    requestedModel: 'claude-sonnet-4-6', responseModel: 'claude-sonnet-4-6', provider: 'anthropic', status: 200, errorCode: null,
    streamed: true, aborted: false, inputTokens: 10, cacheReadTokens: 1000, cacheWrite5mTokens: 50, cacheWrite1hTokens: 0,
    outputTokens: 20, costUsd: 0.001, costDirectUsd: 0.004, costClientUsd: 0.003, missReason: null, engine: null, latencyMs: 120, ttfbMs: 30,
    ...over,
  };
}

test('render() parses as Prometheus text, and the counts match the observed turns', () => {
  const m = new Metrics(registry);
  m.observeHttp('/api/anthropic/v1/messages', 200, 120);
  m.observeHttp('/api/anthropic/v1/messages', 200, 3);
  m.observeHttp('/api/anthropic/v1/messages', 401, 1);
  m.observeHttp('other', 404, 1);
  const rows = [
    row({}),
    row({ inputTokens: 2000, cacheReadTokens: 0, cacheWrite5mTokens: 3000, costUsd: 0.02, costDirectUsd: 0.015, costClientUsd: 0.02, missReason: 'new_session', ttfbMs: 700 }),
    row({ status: 502, errorCode: 'UPSTREAM_ERROR', inputTokens: 0, cacheReadTokens: 0, cacheWrite5mTokens: 0, outputTokens: 0, costUsd: 0, costDirectUsd: 0, costClientUsd: 0, ttfbMs: null }),
    row({ responseModel: 'deepseek-v4-pro', requestedModel: 'deepseek/deepseek-v4-pro', costUsd: null, costDirectUsd: null, costClientUsd: null }),
    row({ kind: 'keepalive' as 'turn', inputTokens: 0, cacheReadTokens: 5000, cacheWrite5mTokens: 0, outputTokens: 0, costUsd: 0.0015, costDirectUsd: null, costClientUsd: null }),
  ];
  m.streamStarted(); m.streamStarted(); m.streamEnded();
  for (const r of rows) m.observeTurn(r);
  const p = parsePrometheus(m.render());
  const model = 'anthropic/claude-sonnet-4.6';

  assert.equal(value(p, 'synrouter_http_requests_total', { endpoint: '/api/anthropic/v1/messages', status: '200' }), 2);
  assert.equal(value(p, 'synrouter_http_requests_total', { endpoint: 'other', status: '404' }), 1);
  assert.equal(value(p, 'synrouter_http_request_duration_seconds_count', { endpoint: '/api/anthropic/v1/messages' }), 3);
  assert.equal(value(p, 'synrouter_http_request_duration_seconds_bucket', { endpoint: '/api/anthropic/v1/messages', le: '0.005' }), 2, '3 ms and 1 ms');
  assert.equal(value(p, 'synrouter_http_request_duration_seconds_bucket', { endpoint: '/api/anthropic/v1/messages', le: '0.25' }), 3);
  assert.ok(Math.abs(value(p, 'synrouter_http_request_duration_seconds_sum', { endpoint: '/api/anthropic/v1/messages' })! - 0.124) < 1e-12);

  assert.equal(value(p, 'synrouter_turns_total', { kind: 'turn', model, status: '200' }), 2);
  assert.equal(value(p, 'synrouter_turns_total', { kind: 'turn', model, status: '502' }), 1);
  assert.equal(value(p, 'synrouter_turns_total', { kind: 'keepalive', model, status: '200' }), 1);
  const turns = rows.filter((r) => r.kind === 'turn' && r.responseModel === 'claude-sonnet-4-6');
  for (const [kind, field] of [['input', 'inputTokens'], ['cache_read', 'cacheReadTokens'], ['cache_write_5m', 'cacheWrite5mTokens'], ['output', 'outputTokens']] as const) {
    assert.equal(value(p, 'synrouter_tokens_total', { kind, model }), turns.reduce((a, r) => a + r[field], 0), `tokens ${kind} (pings excluded)`);
  }
  assert.equal(value(p, 'synrouter_tokens_total', { kind: 'cache_write_1h', model }), undefined, 'no zero series for kinds never seen');
  const close = (a: number | undefined, b: number) => assert.ok(a !== undefined && Math.abs(a - b) < 1e-12, `${a} ≈ ${b}`);
  close(value(p, 'synrouter_cost_usd_total', { model }), 0.001 + 0.02 + 0 + 0.0015);
  close(value(p, 'synrouter_cost_direct_usd_total', { model }), 0.004 + 0.015);
  close(value(p, 'synrouter_cost_client_only_usd_total', { model }), 0.003 + 0.02);
  close(value(p, 'synrouter_savings_usd', { model }), 0.003 + 0.02 - (0.001 + 0.02 + 0.0015));
  close(value(p, 'synrouter_savings_vs_no_cache_usd', { model }), 0.004 + 0.015 - (0.001 + 0.02 + 0.0015));
  assert.equal(value(p, 'synrouter_turns_unpriced_total', { model: 'deepseek/deepseek-v4-pro' }), 1);
  assert.equal(value(p, 'synrouter_cost_usd_total', { model: 'deepseek/deepseek-v4-pro' }), undefined);
  assert.equal(value(p, 'synrouter_cache_misses_total', { reason: 'new_session' }), 1);
  assert.equal(value(p, 'synrouter_upstream_errors_total', { model, code: 'UPSTREAM_ERROR' }), 1);
  assert.equal(value(p, 'synrouter_turn_ttfb_seconds_count', { model }), 2, 'client turns with a ttfb (the ping is not a client request)');
  assert.equal(value(p, 'synrouter_turn_ttfb_seconds_bucket', { model, le: '0.5' }), 1);
  assert.equal(value(p, 'synrouter_turn_ttfb_seconds_bucket', { model, le: '1' }), 2);
  assert.equal(value(p, 'synrouter_active_streams'), 1);
  assert.equal(p.types.get('synrouter_turn_duration_seconds'), 'histogram');
  assert.equal(p.samples.filter((s) => s.name === 'synrouter_turn_duration_seconds_bucket' && s.labels.model === model).length, BUCKETS.length + 1);
});

test('pings and retried attempts: counted by kind, their cost is spend (pings lower the savings), their upstream errors count; tokens, direct cost and latency are client turns only', () => {
  const m = new Metrics(registry);
  const model = 'anthropic/claude-sonnet-4.6';
  m.observeTurn(row({ costUsd: 0.001, costDirectUsd: 0.004, costClientUsd: 0.003, latencyMs: 120, ttfbMs: 30 }));
  // A keep-alive ping as keep-alive.ts records it: no direct or client-only counterpart.
  m.observeTurn(row({ kind: 'keepalive', endpoint: 'keepalive', streamed: false, inputTokens: 0, cacheReadTokens: 5000, cacheWrite5mTokens: 0, outputTokens: 0, costUsd: 0.0015, costDirectUsd: 0, costClientUsd: 0, latencyMs: 900, ttfbMs: null }));
  // A failed ping and a failed attempt before a turn's answer (send-with-retries.ts).
  m.observeTurn(row({ kind: 'keepalive', status: 502, errorCode: 'UPSTREAM_UNREACHABLE', inputTokens: 0, cacheReadTokens: 0, cacheWrite5mTokens: 0, outputTokens: 0, costUsd: 0, costDirectUsd: 0, costClientUsd: 0, latencyMs: 5, ttfbMs: null }));
  m.observeTurn(row({ kind: 'retry', status: 529, errorCode: 'UPSTREAM_ERROR', inputTokens: 0, cacheReadTokens: 0, cacheWrite5mTokens: 0, outputTokens: 0, costUsd: 0, costDirectUsd: 0, costClientUsd: 0, missReason: 'new_session', latencyMs: 40, ttfbMs: null }));
  const p = parsePrometheus(m.render());
  const close = (a: number | undefined, b: number) => assert.ok(a !== undefined && Math.abs(a - b) < 1e-12, `${a} ≈ ${b}`);
  assert.equal(value(p, 'synrouter_turns_total', { kind: 'turn', model, status: '200' }), 1);
  assert.equal(value(p, 'synrouter_turns_total', { kind: 'keepalive', model, status: '200' }), 1);
  assert.equal(value(p, 'synrouter_turns_total', { kind: 'keepalive', model, status: '502' }), 1);
  assert.equal(value(p, 'synrouter_turns_total', { kind: 'retry', model, status: '529' }), 1);
  close(value(p, 'synrouter_cost_usd_total', { model }), 0.001 + 0.0015);
  close(value(p, 'synrouter_cost_direct_usd_total', { model }), 0.004);
  close(value(p, 'synrouter_cost_client_only_usd_total', { model }), 0.003);
  close(value(p, 'synrouter_savings_usd', { model }), 0.003 - 0.001 - 0.0015);
  close(value(p, 'synrouter_savings_vs_no_cache_usd', { model }), 0.004 - 0.001 - 0.0015);
  assert.equal(value(p, 'synrouter_tokens_total', { kind: 'cache_read', model }), 1000, 'the ping\'s 5000 read tokens are not client tokens');
  assert.equal(value(p, 'synrouter_upstream_errors_total', { model, code: 'UPSTREAM_ERROR' }), 1);
  assert.equal(value(p, 'synrouter_upstream_errors_total', { model, code: 'UPSTREAM_UNREACHABLE' }), 1);
  assert.equal(value(p, 'synrouter_turn_duration_seconds_count', { model }), 1, 'only the client turn');
  assert.equal(value(p, 'synrouter_turn_ttfb_seconds_count', { model }), 1);
  assert.equal(value(p, 'synrouter_cache_misses_total', { reason: 'new_session' }), undefined, 'a retried attempt is not a miss of its own');
  assert.equal(value(p, 'synrouter_turns_unpriced_total', { model }), undefined);
});

test('model labels are registry ids: the answering route\'s model, else the requested one if it resolves, else "unknown"', () => {
  const m = new Metrics(registry);
  const junk = ['\u0000nul', 'esc\x1b[2J', 'cr\r', 'q"uote', 'new\nline', 'acme/not-listed', '\u202eevil'];
  for (const name of junk) m.observeTurn(row({ requestedModel: name, responseModel: null, provider: null, status: 404, errorCode: 'MODEL_NOT_FOUND', inputTokens: 0, cacheReadTokens: 0, cacheWrite5mTokens: 0, outputTokens: 0, costUsd: null }));
  m.observeTurn(row({ requestedModel: 'claude-sonnet-4-6' }));
  m.observeTurn(row({ requestedModel: 'anthropic/claude-sonnet-4.6', responseModel: 'claude-sonnet-4-6-20260217' }));
  // A fallback answered: the label is the model of the route that answered, not the one requested.
  m.observeTurn(row({ requestedModel: 'claude-opus-4-8', responseModel: 'claude-sonnet-4-6' }), registry.resolve('anthropic/claude-sonnet-4.6'));
  m.observeTurn(row({ requestedModel: null, responseModel: null, status: 400, errorCode: 'BODY_INVALID' }));
  const p = parsePrometheus(m.render());
  const models = new Set(p.samples.filter((s) => s.labels.model !== undefined).map((s) => s.labels.model));
  assert.deepEqual([...models].sort(), ['anthropic/claude-sonnet-4.6', 'unknown']);
  assert.equal(value(p, 'synrouter_turns_total', { kind: 'turn', model: 'anthropic/claude-sonnet-4.6', status: '200' }), 3);
  assert.equal(value(p, 'synrouter_turns_total', { kind: 'turn', model: 'unknown', status: '404' }), junk.length);
  assert.equal(value(p, 'synrouter_tokens_total', { kind: 'input', model: 'anthropic/claude-sonnet-4.6' }), 30);
});

test('Claude ids the registry does not list: labelled once answered with a 200, the first maxUnlisted of them; listed models are never "other"', () => {
  const m = new Metrics(registry, { maxUnlisted: 3 });
  for (let i = 0; i < 10; i++) m.observeTurn(row({ requestedModel: `claude-junk-${i}`, responseModel: null, status: 404, errorCode: 'UPSTREAM_ERROR' }));
  for (let i = 0; i < 10; i++) m.observeTurn(row({ requestedModel: `claude-new-${i}`, responseModel: `claude-new-${i}` }));
  m.observeTurn(row({ requestedModel: 'claude-new-0', responseModel: null, status: 529, errorCode: 'UPSTREAM_ERROR' }));
  m.observeTurn(row({ requestedModel: 'claude-sonnet-4-6' }));
  m.observeTurn(row({ requestedModel: 'gpt-5.5', responseModel: 'openai/gpt-5.5', provider: 'openrouter' }));
  const p = parsePrometheus(m.render());
  const turns = (model: string, status = '200') => value(p, 'synrouter_turns_total', { kind: 'turn', model, status });
  assert.equal(turns('unknown', '404'), 10, 'never answered: unknown');
  assert.deepEqual([0, 1, 2].map((i) => turns(`anthropic/claude-new-${i}`)), [1, 1, 1]);
  assert.equal(turns('other'), 7);
  assert.equal(turns('anthropic/claude-new-0', '529'), 1, 'a labelled id keeps its label');
  assert.equal(turns('anthropic/claude-sonnet-4.6'), 1, 'listed models are not budgeted');
  assert.equal(turns('openai/gpt-5.5'), 1);
});

test('label values are escaped as the format requires, and carry no raw control or bidi characters', () => {
  const weird = 'acme/we"ird\\model\nname\x1b[2J\r\u0000\u202e';
  const m = new Metrics(createRegistry([{ id: weird, name: 'Weird', context: 1000, prices: null }]));
  m.observeTurn(row({ requestedModel: weird, responseModel: weird }));
  const text = m.render();
  assert.ok(text.includes(`model="${escapeLabelValue(weird)}"`));
  assert.ok(text.includes('model="acme/we\\"ird\\\\model\\nname\\\\x1b[2J\\\\x0d\\\\x00\\\\u202e"'), text);
  const p = parsePrometheus(text);
  assert.equal(value(p, 'synrouter_turns_total', { kind: 'turn', model: 'acme/we"ird\\model\nname\\x1b[2J\\x0d\\x00\\u202e', status: '200' }), 1, 'round-trips through the parser, controls as visible text');
});

test('the parser itself rejects malformed exposition', () => {
  assert.throws(() => parsePrometheus('# TYPE x counter\nx{a="\x1b"} 1\n'), /raw control/);
  assert.throws(() => parsePrometheus('x 1\n'), /declared family/);
  assert.throws(() => parsePrometheus('# TYPE x counter\nx{a="b} 1\n'));
  assert.throws(() => parsePrometheus('# TYPE x counter\nx one\n'));
  assert.throws(() => parsePrometheus('# TYPE x counter\nx 1'));
});
