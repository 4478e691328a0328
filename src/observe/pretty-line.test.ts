import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prettyLine } from './pretty-line.ts';

const line = {
  level: 'info', time: '2026-12-03T18:24:37.471Z', pid: 1, hostname: 'h', msg: 'request', request_id: 'req_sr_aee7', key_id: 'key_1', session_id: 'drv_97e39ccdf83680b855e75983',
  client_protocol: 'anthropic', endpoint: 'messages', requested_model: 'claude-sonnet-4-6', response_model: 'claude-sonnet-4-6', provider: 'anthropic', upstream_model: 'claude-sonnet-4-6',
  status: 200, error_code: null, retries: 0, streamed: true, aborted: false, input_tokens: 12, cache_read_tokens: 45_123, cache_write_5m_tokens: 1_000, cache_write_1h_tokens: 200, output_tokens: 340,
  cost_usd: 0.0123, cost_client_usd: 0.0533, savings_usd: 0.041, latency_ms: 812.4, ttfb_ms: 95.2, engine_changed: true, changes: ['breakpoint'], miss_reason: null,
};

test('one short line: time, status, endpoint, models, tokens, cost, time, session, request id', () => {
  assert.equal(prettyLine(JSON.stringify(line), false),
    '18:24:37.471 200 anthropic/messages claude-sonnet-4-6 -> anthropic  in 12 read 45.1k write 1.20k out 340  $0.0123 saved $0.0410  812 ms (ttfb 95)  ses drv_97e39ccd… req_sr_aee7\n');
});

test('errors at the end, a loss as a negative saving, colour only when asked', () => {
  const failed = { ...line, level: 'error', status: 529, error_code: 'UPSTREAM_ERROR', error_message: 'Overloaded', retries: 2, savings_usd: -0.0013 };
  const out = prettyLine(JSON.stringify(failed), false);
  assert.match(out, /^18:24:37\.471 529 .* saved -\$0\.0013 .* 2 retries .* UPSTREAM_ERROR: Overloaded\n$/);
  assert.doesNotMatch(out, /\x1b/);
  assert.match(prettyLine(JSON.stringify(failed), true), /\x1b\[31m529\x1b\[0m/);
});

test('client and upstream text cannot drive the terminal', () => {
  const hostile = { ...line, requested_model: 'evil\x1b[2J\x1b[Hmodel', error_code: 'UPSTREAM_ERROR', error_message: 'bad\r\nforged line\u202e' };
  const out = prettyLine(JSON.stringify(hostile), false);
  assert.doesNotMatch(out.slice(0, -1), /[\x1b\r\n\u202e]/);
  assert.match(out, /evil\\x1b\[2J/);
});

test('anything that is not an access line passes through', () => {
  assert.equal(prettyLine('not json'), 'not json\n');
  assert.equal(prettyLine(JSON.stringify({ level: 'warn', time: '2026-12-03T18:24:37.471Z', msg: 'other' }), false), '18:24:37.471 warn other\n');
});
