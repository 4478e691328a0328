import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry } from '../route/registry.ts';
import type { Route } from '../route/resolve-route.ts';
import type { KeyRecord } from '../store/keys.ts';
import { newTurn } from '../turn.ts';
import { turnRow } from '../store/rows.ts';
import { anthropic } from '../upstream/providers.ts';
import { attemptSpan, turnSpan } from './span-attributes.ts';

const registry = createRegistry();
const route: Route = {
  providerName: 'anthropic', provider: { spec: anthropic, baseUrl: 'https://api.anthropic.com', apiKeys: ['k'] },
  entry: registry.resolve('claude-sonnet-4-6')!, upstreamModel: 'claude-sonnet-4-6', apiKey: 'sk-ant-upstream', wire: 'anthropic',
};
const key = { id: 'key_1', mode: 'coding' } as KeyRecord;

test('the turn span: GenAI attributes (input counts cached tokens), the ledger split, cost and savings', () => {
  const turn = Object.assign(newTurn('req_sr_1', 'anthropic', 'messages', Date.now()), {
    key, sessionId: 'ses-1', requestedModel: 'claude-sonnet-4-6', responseModel: 'claude-sonnet-4-6', route, streamed: true, status: 200, ttfbMs: 250,
    usage: { input: 10, cacheRead: 40_000, cacheWrite5m: 1_000, cacheWrite1h: 200, output: 300 }, changes: [{ kind: 'breakpoint' as const, detail: 'x' }],
  });
  const row = turnRow({ ...turn, key }, registry);
  const s = turnSpan(turn, row);
  assert.equal(s.name, 'chat claude-sonnet-4-6');
  assert.equal(s.error, undefined);
  const a = s.attributes;
  assert.deepEqual([a['gen_ai.usage.input_tokens'], a['gen_ai.usage.cache_read.input_tokens'], a['gen_ai.usage.cache_creation.input_tokens'], a['gen_ai.usage.output_tokens']], [41_210, 40_000, 1_200, 300]);
  assert.deepEqual([a['synrouter.usage.uncached_input_tokens'], a['synrouter.usage.cache_write_5m_tokens'], a['synrouter.usage.cache_write_1h_tokens']], [10, 1_000, 200]);
  assert.deepEqual([a['gen_ai.provider.name'], a['gen_ai.system'], a['gen_ai.conversation.id'], a['gen_ai.request.stream'], a['gen_ai.response.time_to_first_chunk']], ['anthropic', 'anthropic', 'ses-1', true, 0.25]);
  assert.deepEqual([a['synrouter.cache_hit'], a['synrouter.cost_usd'], a['synrouter.engine_changed'], a['synrouter.changes'], a['synrouter.retries']], [true, row.costUsd, true, ['breakpoint'], 0]);
  assert.doesNotMatch(JSON.stringify(a), /sk-ant/);
});

test('errors: a 4xx is not a server span error, 5xx and upstream failures are; attempts are errors on any 4xx/5xx', () => {
  const refused = Object.assign(newTurn('r', 'openai', 'chat', 0), { status: 401, errorCode: 'AUTH_INVALID' });
  assert.equal(turnSpan(refused, undefined).error, undefined);
  assert.equal(turnSpan(refused, undefined).name, 'chat');
  assert.equal(turnSpan(refused, undefined).attributes['gen_ai.usage.input_tokens'], undefined, 'no row, no usage');
  const upstream = Object.assign(newTurn('r', 'anthropic', 'messages', 0), { status: 400, errorCode: 'UPSTREAM_ERROR', errorMessage: 'max_tokens: must be at least 1' });
  assert.equal(turnSpan(upstream, undefined).error, 'max_tokens: must be at least 1');
  const a = attemptSpan({ route, startPerf: 0, endPerf: 1, status: 529 }, 0);
  assert.deepEqual([a.name, a.error, a.attributes['error.type'], a.attributes['server.address'], a.attributes['server.port']], ['chat claude-sonnet-4-6', '529', '529', 'api.anthropic.com', 443]);
  const t = attemptSpan({ route, startPerf: 0, endPerf: 1, status: 502, errorCode: 'UPSTREAM_UNREACHABLE', errorMessage: 'connect ECONNREFUSED' }, 1);
  assert.deepEqual([t.error, t.attributes['error.type'], t.attributes['http.response.status_code'], t.attributes['synrouter.attempt']], ['connect ECONNREFUSED', 'UPSTREAM_UNREACHABLE', undefined, 2]);
  assert.equal(attemptSpan({ route, startPerf: 0, endPerf: 1, status: 200 }, 0).error, undefined);
});
