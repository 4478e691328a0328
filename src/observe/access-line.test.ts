import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProxyError } from '../errors.ts';
import { createRegistry } from '../route/registry.ts';
import type { Route } from '../route/resolve-route.ts';
import type { KeyRecord } from '../store/keys.ts';
import { newTurn } from '../turn.ts';
import { turnRow } from '../store/rows.ts';
import { anthropic } from '../upstream/providers.ts';
import { accessLine, lineLevel } from './access-line.ts';
import { attempted } from './attempts.ts';

const registry = createRegistry();
const route: Route = {
  providerName: 'anthropic', provider: { spec: anthropic, baseUrl: 'https://api.anthropic.com', apiKeys: ['sk-ant-secret-upstream'] },
  entry: registry.resolve('claude-sonnet-4-6')!, upstreamModel: 'claude-sonnet-4-6', apiKey: 'sk-ant-secret-upstream', wire: 'anthropic',
};
const key = { id: 'key_0123abcd', mode: 'coding' } as KeyRecord;

function answeredTurn() {
  const turn = newTurn('req_sr_1', 'anthropic', 'messages', Date.now());
  Object.assign(turn, {
    key, sessionId: 'ses-1', requestedModel: 'claude-sonnet-4-6', responseModel: 'claude-sonnet-4-6', route, streamed: true, status: 200,
    usage: { input: 10, cacheRead: 40_000, cacheWrite5m: 1_200, cacheWrite1h: 0, output: 300 }, ttfbMs: 95.456, clientOnlyUsage: { input: 41_210, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 300 },
    changes: [{ kind: 'breakpoint', detail: 'rolling 5m' }, { kind: 'breakpoint', detail: 'system' }, { kind: 'trim', detail: 'tool_result 3' }],
  });
  return turn;
}

test('a turn with a row: the row\'s figures, the kinds of change, the savings', () => {
  const turn = answeredTurn();
  const row = turnRow({ ...turn, key }, registry);
  const line = accessLine(turn, row, performance.now());
  assert.deepEqual(line, {
    request_id: 'req_sr_1', key_id: 'key_0123abcd', session_id: 'ses-1', client_protocol: 'anthropic', endpoint: 'messages',
    requested_model: 'claude-sonnet-4-6', response_model: 'claude-sonnet-4-6', provider: 'anthropic', upstream_model: 'claude-sonnet-4-6',
    status: 200, error_code: null, retries: 0, streamed: true, aborted: false,
    input_tokens: 10, cache_read_tokens: 40_000, cache_write_5m_tokens: 1_200, cache_write_1h_tokens: 0, output_tokens: 300,
    cost_usd: row.costUsd, cost_client_usd: row.costClientUsd, savings_usd: Math.round((row.costClientUsd! - row.costUsd!) * 1e7) / 1e7,
    latency_ms: row.latencyMs, ttfb_ms: 95.46, engine_changed: true, changes: ['breakpoint', 'trim'], miss_reason: null,
  });
  assert.ok(line.savings_usd! > 0);
  assert.equal(lineLevel(line), 'info');
  // The route's upstream key is on the turn; it must not be in the line.
  assert.doesNotMatch(JSON.stringify(line), /sk-ant/);
});

test('a request refused before it had a key: no row, nulls, its own latency', () => {
  const turn = newTurn('req_sr_2', 'openai', 'chat', Date.now());
  turn.status = 401;
  turn.errorCode = 'AUTH_INVALID';
  const line = accessLine(turn, undefined, turn.startPerf + 1.234);
  assert.deepEqual([line.key_id, line.cost_usd, line.savings_usd, line.latency_ms, line.ttfb_ms, line.retries, line.engine_changed], [null, null, null, 1.23, null, 0, false]);
  assert.equal(lineLevel(line), 'warn');
});

test('failed attempts before the answer: counted, listed, the transport error kept; the upstream\'s message on the line', async () => {
  const turn = answeredTurn();
  const fail = (code: 'UPSTREAM_UNREACHABLE') => async () => { throw new ProxyError(code, 'Could not reach the upstream provider.', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:443'), { code: 'ECONNREFUSED' }) }); };
  await assert.rejects(attempted(turn, route, fail('UPSTREAM_UNREACHABLE')));
  await attempted(turn, route, async () => ({ upstream: { status: 529 } }));
  await attempted(turn, route, async () => ({ upstream: { status: 529 } }));
  turn.status = 529;
  turn.errorCode = 'UPSTREAM_ERROR';
  turn.errorMessage = 'Overloaded';
  const line = accessLine(turn, turnRow({ ...turn, key }, registry), performance.now());
  assert.equal(line.retries, 2);
  assert.equal(line.error_message, 'Overloaded');
  assert.deepEqual(line.failed_attempts!.map((a) => [a.provider, a.status, a.error_code, a.error_message]), [
    ['anthropic', 502, 'UPSTREAM_UNREACHABLE', 'connect ECONNREFUSED 10.0.0.7:443'],
    ['anthropic', 529, 'UPSTREAM_ERROR', undefined],
  ]);
  assert.ok(line.failed_attempts!.every((a) => typeof a.ms === 'number' && a.ms >= 0));
  assert.equal(lineLevel(line), 'error');
});

test('a turn whose every attempt failed to connect: the last transport error is the message', async () => {
  const turn = newTurn('req_sr_3', 'anthropic', 'messages', Date.now());
  await assert.rejects(attempted(turn, route, async () => { throw new ProxyError('UPSTREAM_TIMEOUT', 'The upstream provider did not answer in time.', { cause: new Error('Headers Timeout Error') }); }));
  turn.status = 504;
  turn.errorCode = 'UPSTREAM_TIMEOUT';
  const line = accessLine(turn, undefined, performance.now());
  assert.deepEqual([line.retries, line.error_message, line.failed_attempts], [0, 'Headers Timeout Error', undefined]);
});

test('levels: info answered, warn for the client\'s errors and aborts, error for 5xx and upstream failures', () => {
  assert.equal(lineLevel({ status: 200, error_code: null }), 'info');
  assert.equal(lineLevel({ status: 429, error_code: 'RATE_LIMITED' }), 'warn');
  assert.equal(lineLevel({ status: 200, error_code: 'CLIENT_ABORTED' }), 'warn');
  assert.equal(lineLevel({ status: 400, error_code: 'UPSTREAM_ERROR' }), 'error');
  assert.equal(lineLevel({ status: 200, error_code: 'UPSTREAM_overloaded_error' }), 'error');
  assert.equal(lineLevel({ status: 500, error_code: 'INTERNAL' }), 'error');
});
