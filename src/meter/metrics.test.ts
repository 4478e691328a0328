import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUCKETS, Metrics, escapeLabelValue } from './metrics.ts';
import type { TurnRow } from '../store/ledger.ts';

interface Sample { name: string; labels: Record<string, string>; value: number }
interface Parsed { types: Map<string, string>; help: Map<string, string>; samples: Sample[] }

/**
 * A strict reader of the Prometheus text format 0.0.4: every line is a HELP, a TYPE or a sample;
 * names and label names are valid, label values use only the three escapes, values are floats,
 * every sample belongs to a family declared before it, histograms are cumulative and end in +Inf = _count.
 */
function parsePrometheus(text: string): Parsed {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      const [, name, doc] = /^# HELP (\S+) (.*)$/.exec(line) ?? [];
      assert.ok(name && NAME.test(name), `HELP name: ${line}`);
      assert.ok(!help.has(name), `one HELP per family: ${name}`);
      help.set(name, doc ?? '');
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const m = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      assert.ok(m && NAME.test(m[1]!), `TYPE line: ${line}`);
      assert.ok(!types.has(m[1]!), `one TYPE per family: ${m[1]}`);
      types.set(m[1]!, m[2]!);
      continue;
    }
    assert.ok(!line.startsWith('#') && line.length > 0, `unexpected line: ${JSON.stringify(line)}`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `sample line: ${line}`);
    const labels: Record<string, string> = {};
    let rest = m[3] ?? '';
    while (rest.length) {
      const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
      assert.ok(lm, `labels: ${m[3]}`);
      assert.ok(!(lm[1]! in labels), `duplicate label ${lm[1]}`);
      labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(lm[0].length);
    }
    const raw = m[4]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? NaN : Number(raw);
    assert.ok(raw === 'NaN' || !Number.isNaN(value), `value: ${line}`);
    const name = m[1]!;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(family), `sample ${name} has a declared family`);
    if (family !== name) assert.equal(types.get(family), 'histogram', `${name} suffix only on histograms`);
    samples.push({ name, labels, value });
  }
  // Histograms: cumulative buckets, +Inf == _count.
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const groups = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      assert.ok(le !== undefined, 'bucket has le');
      const k = JSON.stringify(rest);
      groups.set(k, [...(groups.get(k) ?? []), s]);
    }
    for (const [k, buckets] of groups) {
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${family} cumulative`);
      assert.equal(buckets.at(-1)!.labels.le, '+Inf');
      const count = samples.find((x) => x.name === `${family}_count` && JSON.stringify(x.labels) === k);
      assert.equal(count?.value, buckets.at(-1)!.value, `${family} +Inf = _count`);
    }
  }
  return { types, help, samples };
}

const value = (p: Parsed, name: string, labels: Record<string, string> = {}): number | undefined =>
  p.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length)?.value;

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
  const m = new Metrics();
  m.observeHttp('/api/anthropic/v1/messages', 200, 120);
  m.observeHttp('/api/anthropic/v1/messages', 200, 3);
  m.observeHttp('/api/anthropic/v1/messages', 401, 1);
  m.observeHttp('other', 404, 1);
  const rows = [
    row({}),
    row({ inputTokens: 2000, cacheReadTokens: 0, cacheWrite5mTokens: 3000, costUsd: 0.02, costDirectUsd: 0.015, costClientUsd: 0.02, missReason: 'new_session', ttfbMs: 700 }),
    row({ status: 502, errorCode: 'UPSTREAM_ERROR', inputTokens: 0, cacheReadTokens: 0, cacheWrite5mTokens: 0, outputTokens: 0, costUsd: 0, costDirectUsd: 0, costClientUsd: 0, ttfbMs: null }),
    row({ responseModel: 'acme/unknown', requestedModel: 'acme/unknown', costUsd: null, costDirectUsd: null, costClientUsd: null }),
    row({ kind: 'keepalive' as 'turn', inputTokens: 0, cacheReadTokens: 5000, cacheWrite5mTokens: 0, outputTokens: 0, costUsd: 0.0015, costDirectUsd: null, costClientUsd: null }),
  ];
  m.streamStarted(); m.streamStarted(); m.streamEnded();
  for (const r of rows) m.observeTurn(r);
  const p = parsePrometheus(m.render());
  const model = 'claude-sonnet-4-6';

  assert.equal(value(p, 'synrouter_http_requests_total', { endpoint: '/api/anthropic/v1/messages', status: '200' }), 2);
  assert.equal(value(p, 'synrouter_http_requests_total', { endpoint: 'other', status: '404' }), 1);
  assert.equal(value(p, 'synrouter_http_request_duration_seconds_count', { endpoint: '/api/anthropic/v1/messages' }), 3);
  assert.equal(value(p, 'synrouter_http_request_duration_seconds_bucket', { endpoint: '/api/anthropic/v1/messages', le: '0.005' }), 2, '3 ms and 1 ms');
  assert.equal(value(p, 'synrouter_http_request_duration_seconds_bucket', { endpoint: '/api/anthropic/v1/messages', le: '0.25' }), 3);
  assert.ok(Math.abs(value(p, 'synrouter_http_request_duration_seconds_sum', { endpoint: '/api/anthropic/v1/messages' })! - 0.124) < 1e-12);

  assert.equal(value(p, 'synrouter_turns_total', { kind: 'turn', model, status: '200' }), 2);
  assert.equal(value(p, 'synrouter_turns_total', { kind: 'turn', model, status: '502' }), 1);
  assert.equal(value(p, 'synrouter_turns_total', { kind: 'keepalive', model, status: '200' }), 1);
  const turns = rows.filter((r) => r.kind === 'turn' && (r.responseModel === model));
  for (const [kind, field] of [['input', 'inputTokens'], ['cache_read', 'cacheReadTokens'], ['cache_write_5m', 'cacheWrite5mTokens'], ['output', 'outputTokens']] as const) {
    assert.equal(value(p, 'synrouter_tokens_total', { kind, model }), turns.reduce((a, r) => a + r[field], 0), `tokens ${kind} (pings excluded)`);
  }
  assert.equal(value(p, 'synrouter_tokens_total', { kind: 'cache_write_1h', model }), undefined, 'no zero series for kinds never seen');
  const close = (a: number | undefined, b: number) => assert.ok(a !== undefined && Math.abs(a - b) < 1e-12, `${a} ≈ ${b}`);
  close(value(p, 'synrouter_cost_usd_total', { model }), 0.001 + 0.02 + 0 + 0.0015);
  close(value(p, 'synrouter_cost_direct_usd_total', { model }), 0.004 + 0.015);
  close(value(p, 'synrouter_cost_client_only_usd_total', { model }), 0.003 + 0.02);
  close(value(p, 'synrouter_savings_usd', { model }), 0.004 + 0.015 - (0.001 + 0.02 + 0.0015));
  assert.equal(value(p, 'synrouter_turns_unpriced_total', { model: 'acme/unknown' }), 1);
  assert.equal(value(p, 'synrouter_cost_usd_total', { model: 'acme/unknown' }), undefined);
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
  const m = new Metrics();
  const model = 'claude-sonnet-4-6';
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
  close(value(p, 'synrouter_savings_usd', { model }), 0.004 - 0.001 - 0.0015);
  assert.equal(value(p, 'synrouter_tokens_total', { kind: 'cache_read', model }), 1000, 'the ping\'s 5000 read tokens are not client tokens');
  assert.equal(value(p, 'synrouter_upstream_errors_total', { model, code: 'UPSTREAM_ERROR' }), 1);
  assert.equal(value(p, 'synrouter_upstream_errors_total', { model, code: 'UPSTREAM_UNREACHABLE' }), 1);
  assert.equal(value(p, 'synrouter_turn_duration_seconds_count', { model }), 1, 'only the client turn');
  assert.equal(value(p, 'synrouter_turn_ttfb_seconds_count', { model }), 1);
  assert.equal(value(p, 'synrouter_cache_misses_total', { reason: 'new_session' }), undefined, 'a retried attempt is not a miss of its own');
  assert.equal(value(p, 'synrouter_turns_unpriced_total', { model }), undefined);
});

test('label values are escaped, and model names beyond the cap are counted as "other"', () => {
  const m = new Metrics({ maxModels: 3 });
  const weird = 'we"ird\\model\nname';
  m.observeTurn(row({ responseModel: weird }));
  for (let i = 0; i < 10; i++) m.observeTurn(row({ responseModel: `model-${i}` }));
  const text = m.render();
  assert.ok(text.includes(`model="${escapeLabelValue(weird)}"`));
  assert.ok(text.includes('model="we\\"ird\\\\model\\nname"'));
  const p = parsePrometheus(text);
  assert.equal(value(p, 'synrouter_turns_total', { kind: 'turn', model: weird, status: '200' }), 1, 'round-trips through the parser');
  const models = new Set(p.samples.filter((s) => s.name === 'synrouter_turns_total').map((s) => s.labels.model));
  assert.deepEqual([...models].sort(), ['model-0', 'model-1', 'other', weird].sort());
  assert.equal(value(p, 'synrouter_turns_total', { kind: 'turn', model: 'other', status: '200' }), 8);
});

test('the parser itself rejects malformed exposition', () => {
  assert.throws(() => parsePrometheus('x 1\n'), /declared family/);
  assert.throws(() => parsePrometheus('# TYPE x counter\nx{a="b} 1\n'));
  assert.throws(() => parsePrometheus('# TYPE x counter\nx one\n'));
  assert.throws(() => parsePrometheus('# TYPE x counter\nx 1'));
});
