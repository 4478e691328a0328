/**
 * OpenTelemetry traces (issue 25) against a loopback OTLP/HTTP receiver: one SERVER span per request
 * with the GenAI attributes, whose token counts, cost and savings equal the turn's ledger row; one
 * CLIENT child per upstream attempt (retries included); flushed on shutdown; the standard OTEL_*
 * variables honoured. With no OTLP endpoint, nothing is sent and no @opentelemetry module is loaded.
 */
import { registerHooks } from 'node:module';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startStack, type LedgerTurn, type Stack } from './support/stack.ts';
import { startOtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.ts';

// Every module this process resolves from here on, to show that tracing off loads none of OpenTelemetry.
const resolved: string[] = [];
registerHooks({ resolve: (specifier, context, next) => { resolved.push(specifier); return next(specifier, context); } });

const SYSTEM = 'You are the tracing test assistant. '.repeat(200);
const MSG = { model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };
const SERVER = 2, CLIENT = 3, STATUS_ERROR = 2;

const post = (stack: Stack, body: object, headers: Record<string, string> = {}) => fetch(`${stack.anthropicBase}/v1/messages`, {
  method: 'POST', headers: { 'x-api-key': stack.key, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
}).then(async (r) => { await r.text(); return r.status; });

const isOtel = (specifier: string) => specifier.includes('@opentelemetry') || specifier.includes('otel-tracer');

const receivers: Array<{ close(): Promise<void> }> = [];
after(async () => { for (const r of receivers) await r.close(); });

test('without OTEL_EXPORTER_OTLP_ENDPOINT: nothing is sent and no @opentelemetry module is loaded', async () => {
  const receiver = await startOtlpReceiver();
  receivers.push(receiver);
  // Other OTEL_* variables alone do not turn tracing on.
  const stack = await startStack({ env: { OTEL_SERVICE_NAME: 'synrouter-e2e', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } });
  try {
    assert.equal(stack.app.deps.observer.tracing, false);
    assert.equal(await post(stack, { ...MSG, system: SYSTEM }), 200);
    assert.equal(await post(stack, { ...MSG, system: SYSTEM, stream: true }), 200);
  } finally {
    await stack.close();
  }
  assert.equal(receiver.requests.length, 0);
  assert.deepEqual(resolved.filter(isOtel), []);
});

test('one span per turn whose token attributes equal the ledger row; a child span per upstream attempt; flushed at shutdown', async () => {
  const receiver = await startOtlpReceiver();
  receivers.push(receiver);
  // What the exporter and the resource read from process.env themselves, as in any OpenTelemetry SDK.
  process.env.OTEL_SERVICE_NAME = 'synrouter-e2e';
  process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-collector-token=e2e-token';
  const stack = await startStack({
    // A schedule delay longer than the test: only the flush at shutdown can deliver the spans.
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '600000' },
    config: (c) => ({ ...c, retry: { ...c.retry, baseDelayMs: 5 } }),
  });
  let rows: LedgerTurn[];
  let requests = 0;
  try {
    assert.equal(stack.app.deps.observer.tracing, true);
    assert.ok(resolved.some(isOtel), 'the resolve hook sees OpenTelemetry being loaded (the first test\'s control)');
    const anthropic = new Anthropic({ apiKey: stack.key, baseURL: stack.anthropicBase, maxRetries: 0 });
    const messages: Anthropic.MessageParam[] = [];
    for (const [i, prompt] of ['List the files.', 'Read the first one.', 'Summarise it.'].entries()) {
      messages.push({ role: 'user', content: prompt });
      const params = { model: 'claude-sonnet-4-6', max_tokens: 256, system: SYSTEM, messages };
      const reply = i === 1 ? await anthropic.messages.stream(params).finalMessage() : await anthropic.messages.create(params);
      messages.push({ role: 'assistant', content: reply.content });
      requests++;
    }
    const openai = new OpenAI({ apiKey: stack.key, baseURL: stack.openaiBase, maxRetries: 0 });
    await openai.chat.completions.create({ model: 'anthropic/claude-sonnet-4.6', max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] });
    requests++;
    assert.equal(await post(stack, MSG, { 'x-sim-fault': 'status:529' }), 529);
    requests++;
    rows = (await stack.turns());
    assert.equal(receiver.requests.length, 0, 'nothing exported before the batch is due');
  } finally {
    await stack.close();
    delete process.env.OTEL_SERVICE_NAME;
    delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
  }

  assert.ok(receiver.requests.length > 0, 'the spans were flushed at shutdown');
  for (const r of receiver.requests) {
    assert.match(r.contentType, /application\/json/);
    assert.equal(r.headers['x-collector-token'], 'e2e-token', 'OTEL_EXPORTER_OTLP_HEADERS honoured');
  }
  const spans = receiver.spans();
  const servers = spans.filter((s) => s.kind === SERVER);
  assert.equal(servers.length, requests, 'one server span per request');
  assert.ok(spans.every((s) => s.resource['service.name'] === 'synrouter-e2e' && s.scope === 'synrouter'), 'OTEL_SERVICE_NAME honoured');

  const turns = rows.filter((r) => r.kind === 'turn');
  assert.equal(turns.length, requests);
  for (const row of turns) {
    const span = servers.find((s) => s.attributes['synrouter.request_id'] === row.request_id);
    assert.ok(span, `a span for ${row.request_id}`);
    const a = span.attributes;
    assert.equal(span.name, `chat ${row.requested_model}`);
    assert.deepEqual(
      [a['gen_ai.usage.input_tokens'], a['gen_ai.usage.output_tokens'], a['gen_ai.usage.cache_read.input_tokens'], a['gen_ai.usage.cache_creation.input_tokens']],
      [row.input_tokens + row.cache_read_tokens + row.cache_write_5m_tokens + row.cache_write_1h_tokens, row.output_tokens, row.cache_read_tokens, row.cache_write_5m_tokens + row.cache_write_1h_tokens],
      'GenAI token attributes (input includes cached tokens, as the conventions say for Anthropic)',
    );
    assert.deepEqual(
      [a['synrouter.usage.uncached_input_tokens'], a['synrouter.usage.cache_write_5m_tokens'], a['synrouter.usage.cache_write_1h_tokens']],
      [row.input_tokens, row.cache_write_5m_tokens, row.cache_write_1h_tokens],
    );
    assert.deepEqual(
      [a['gen_ai.operation.name'], a['gen_ai.provider.name'], a['gen_ai.request.model'], a['gen_ai.response.model'] ?? null, a['gen_ai.conversation.id'], a['synrouter.key_id'], a['http.response.status_code']],
      ['chat', row.provider, row.requested_model, row.response_model, row.session_id, row.key_id, row.status],
    );
    assert.equal(a['synrouter.cache_hit'], row.cache_read_tokens > 0);
    assert.equal(a['synrouter.cost_usd'], row.cost_usd);
    assert.equal(a['synrouter.cost_client_usd'], row.cost_client_usd);
    assert.ok(Math.abs((a['synrouter.savings_usd'] as number) - (row.cost_client_usd! - row.cost_usd!)) < 1e-6);
    assert.equal(a['synrouter.engine_changed'], row.engine !== null);
    assert.ok(span.endNs > span.startNs);
    // Its upstream attempts, in order, inside it.
    const children = spans.filter((s) => s.parentSpanId === span.spanId).sort((x, y) => (x.startNs < y.startNs ? -1 : 1));
    assert.ok(children.length >= 1);
    for (const c of children) {
      assert.equal(c.kind, CLIENT);
      assert.equal(c.traceId, span.traceId);
      assert.ok(c.startNs >= span.startNs && c.endNs <= span.endNs, 'an attempt lies within its turn');
      assert.deepEqual([c.name, c.attributes['gen_ai.provider.name'], c.attributes['server.address']], [`chat ${a['synrouter.upstream_model']}`, 'anthropic', '127.0.0.1']);
      assert.equal(c.attributes['gen_ai.usage.input_tokens'], undefined, 'tokens only on the turn, counted once per trace');
    }
    const retries = rows.filter((r) => r.kind === 'retry' && r.request_id === row.request_id);
    assert.equal(children.length, retries.length + 1, 'one child per attempt: the ledger\'s retry rows and the turn');
    assert.equal(a['synrouter.retries'], retries.length);
    children.slice(0, -1).forEach((c, i) => {
      assert.equal(c.status.code, STATUS_ERROR);
      assert.deepEqual([c.attributes['http.response.status_code'], c.attributes['error.type'], c.attributes['synrouter.attempt']], [retries[i]!.status, String(retries[i]!.status), i + 1]);
    });
  }
  const failed = servers.find((s) => s.attributes['http.response.status_code'] === 529)!;
  assert.equal(failed.status.code, STATUS_ERROR);
  assert.equal(failed.attributes['error.type'], 'UPSTREAM_ERROR');
  assert.equal(failed.attributes['synrouter.retries'], 2);
  const streamed = servers.find((s) => s.attributes['gen_ai.request.stream'] === true)!;
  assert.ok((streamed.attributes['gen_ai.response.time_to_first_chunk'] as number) > 0);
  const chat = servers.find((s) => s.attributes['synrouter.client_protocol'] === 'openai')!;
  assert.ok((chat.attributes['synrouter.changes'] as string[]).includes('translate'));
});

test('the default protocol is http/protobuf; a collector that is down does not hold the shutdown', async () => {
  const receiver = await startOtlpReceiver();
  receivers.push(receiver);
  const stack = await startStack({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
  let requestId: string;
  try {
    assert.equal(await post(stack, MSG), 200);
    requestId = (await stack.turns()).at(-1)!.request_id;
  } finally {
    await stack.close();
  }
  assert.equal(receiver.requests.length, 1);
  assert.equal(receiver.requests[0]!.contentType, 'application/x-protobuf');
  // Protobuf strings are their UTF-8 bytes: the request id and the attribute names are in the body.
  assert.ok(receiver.requests[0]!.body.includes(requestId));
  assert.ok(receiver.requests[0]!.body.includes('gen_ai.usage.cache_read.input_tokens'));

  // Nothing listens on port 9: the last spans cannot be delivered, and shutdown gives up after 5 s.
  const down = await startStack({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' } });
  assert.equal(await post(down, MSG), 200);
  const t0 = performance.now();
  await down.close();
  assert.ok(performance.now() - t0 < 7_000, `shutdown took ${Math.round(performance.now() - t0)} ms`);
});
