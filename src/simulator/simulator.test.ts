import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManualClock } from './clock.ts';
import { startSimulator, type Simulator } from './simulator.ts';
import { MINUTE, cc, filler, text } from './test-fixtures.ts';
import type { JsonObject } from '../json/json-object.ts';
import type { MessageUsage } from '../protocols/anthropic/wire.ts';

interface Reply {
  status: number;
  headers: Headers;
  body: JsonObject;
}

async function call(sim: Simulator, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${sim.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'x-api-key': 'test-key', 'anthropic-version': '2023-06-01', 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as JsonObject };
}

interface SseReply {
  status: number;
  headers: Headers;
  events: { event: string; data: JsonObject }[];
}

async function stream(sim: Simulator, body: JsonObject, headers: Record<string, string> = {}): Promise<SseReply> {
  const res = await fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': 'test-key', 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ ...body, stream: true }),
  });
  const raw = await res.text();
  const events = raw
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => {
      const match = /^event: (.+)\ndata: (.+)$/.exec(frame);
      assert.ok(match, `bad SSE frame: ${frame}`);
      return { event: match[1] ?? '', data: JSON.parse(match[2] ?? '') as JsonObject };
    });
  return { status: res.status, headers: res.headers, events };
}

const tools = [{ name: 'Bash', description: filler(1200, 'bash tool'), input_schema: { type: 'object', properties: { command: { type: 'string' } } } }];

function body(fields: JsonObject = {}): JsonObject {
  return {
    model: 'claude-sonnet-4-6',
    max_tokens: 1000,
    tools,
    system: [text('You are a test agent.', true)],
    messages: [{ role: 'user', content: [text('start the task', true)] }],
    ...fields,
  };
}

let sim: Simulator;
before(async () => {
  sim = await startSimulator();
});
after(async () => {
  await sim.close();
});

test('errors use the Anthropic shape and a request-id header', async () => {
  const missing = await call(sim, '/v1/nothing', {});
  assert.equal(missing.status, 404);
  assert.equal(missing.body.type, 'error');
  assert.equal((missing.body.error as JsonObject).type, 'not_found_error');
  assert.match(String(missing.body.request_id), /^req_/);
  assert.equal(missing.headers.get('request-id'), missing.body.request_id);

  const noKey = await call(sim, '/v1/messages', body(), { 'x-api-key': '' });
  assert.equal(noKey.status, 401);
  assert.equal((noKey.body.error as JsonObject).type, 'authentication_error');

  const badJson = await call(sim, '/v1/messages', '{"model":', {});
  assert.equal(badJson.status, 400);
  assert.equal((badJson.body.error as JsonObject).type, 'invalid_request_error');

  const five = body({ messages: [{ role: 'user', content: [1, 2, 3, 4].map((i) => text(`b${i}`, true)) }] });
  const tooMany = await call(sim, '/v1/messages?beta=true', five);
  assert.equal(tooMany.status, 400);
  assert.deepEqual(tooMany.body.error, {
    type: 'invalid_request_error',
    message: 'A maximum of 4 blocks with cache_control may be provided. Found 5.',
  });

  const unknownModel = await call(sim, '/v1/messages', body({ model: 'gpt-5' }));
  assert.equal(unknownModel.status, 404);
  assert.deepEqual(unknownModel.body.error, { type: 'not_found_error', message: 'model: gpt-5' });
});

test('only configured keys are accepted, by x-api-key or Bearer', async () => {
  const strict = await startSimulator({ apiKeys: ['good'] });
  try {
    assert.equal((await call(strict, '/v1/messages', body(), { 'x-api-key': 'bad' })).status, 401);
    assert.equal((await call(strict, '/v1/messages', body(), { 'x-api-key': 'good' })).status, 200);
    const bearer = { 'x-api-key': '', authorization: 'Bearer good' };
    assert.equal((await call(strict, '/v1/messages', body(), bearer)).status, 200);
    assert.equal((await call(strict, '/v1/messages', body(), { ...bearer, authorization: 'Bearer bad' })).status, 401);
  } finally {
    await strict.close();
  }
});

test('SSE follows the Anthropic event order and its final usage equals the JSON usage', async () => {
  // Two keys: two separate cache scopes in the same (empty) state.
  const json = await call(sim, '/v1/messages', body(), { 'x-api-key': 'scope-json' });
  const sse = await stream(sim, body(), { 'x-api-key': 'scope-sse' });
  assert.equal(json.status, 200);
  assert.equal(sse.status, 200);
  assert.equal(sse.headers.get('content-type'), 'text/event-stream');
  assert.match(sse.headers.get('request-id') ?? '', /^req_/);

  const names = sse.events.map((e) => e.event);
  assert.deepEqual(names, [
    'message_start',
    'ping',
    'content_block_start',
    'content_block_delta',
    'content_block_delta',
    'content_block_delta',
    'content_block_stop',
    'content_block_start',
    'content_block_delta',
    'content_block_delta',
    'content_block_delta',
    'content_block_stop',
    'message_delta',
    'message_stop',
  ]);
  const usage = json.body.usage as MessageUsage;
  assert.ok(usage.cache_creation_input_tokens > 0);
  const start = sse.events[0]?.data.message as JsonObject;
  assert.deepEqual(start.usage, { ...usage, output_tokens: 1 });
  const delta = sse.events.find((e) => e.event === 'message_delta')?.data;
  assert.deepEqual(delta?.usage, {
    input_tokens: usage.input_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens,
    cache_read_input_tokens: usage.cache_read_input_tokens,
    output_tokens: usage.output_tokens,
  });
  assert.deepEqual(delta?.delta, { stop_reason: 'tool_use', stop_sequence: null });
  assert.deepEqual(json.body.content, [
    { type: 'text', text: 'Step 1: calling Bash.' },
    { type: 'tool_use', id: 'toolu_sim_1', name: 'Bash', input: { command: 'echo synrouter-step-1', description: 'Step 1' } },
  ]);
  assert.equal(json.body.model, 'claude-sonnet-4-6');
  assert.match(String(json.body.id), /^msg_sim_\d+$/);
});

test('a full tool loop: rounds of tool_use, then end_turn, each turn reading the last', async () => {
  const messages: JsonObject[] = [{ role: 'user', content: [text('start the task', true)] }];
  let reads = 0;
  for (let turn = 1; ; turn++) {
    assert.ok(turn <= 3, 'loop must end');
    const reply = await call(sim, '/v1/messages', body({ messages }), { 'x-api-key': 'loop', 'x-sim-rounds': '2' });
    assert.equal(reply.status, 200);
    const usage = reply.body.usage as MessageUsage;
    if (turn > 1) assert.ok(usage.cache_read_input_tokens > reads, 'reads a longer prefix each turn');
    reads = usage.cache_read_input_tokens;
    if (reply.body.stop_reason === 'end_turn') {
      assert.equal(turn, 3);
      assert.match(String((reply.body.content as JsonObject[])[0]?.text), /^Done after 2 tool calls\. Last tool result: synrouter-step-2$/);
      break;
    }
    const toolUse = (reply.body.content as JsonObject[]).find((b) => b.type === 'tool_use') as JsonObject;
    for (const m of messages) for (const b of m.content as JsonObject[]) delete b.cache_control;
    messages.push(
      { role: 'assistant', content: reply.body.content },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: `synrouter-step-${turn}`, cache_control: cc() }],
      },
    );
  }
  const logged = sim.requests.filter((r) => r.headers['x-api-key'] === 'loop');
  assert.equal(logged.length, 3);
  assert.ok(logged.every((r) => r.status === 200 && r.usage !== undefined));
});

test('max_tokens: 0 pre-warms the cache and returns at once', async () => {
  const warm = await call(sim, '/v1/messages', body({ max_tokens: 0 }), { 'x-api-key': 'warm' });
  assert.equal(warm.status, 200);
  assert.deepEqual(warm.body.content, []);
  assert.equal(warm.body.stop_reason, 'max_tokens');
  const usage = warm.body.usage as MessageUsage;
  assert.equal(usage.output_tokens, 0);
  assert.ok(usage.cache_creation_input_tokens > 0);
  const real = await call(sim, '/v1/messages', body(), { 'x-api-key': 'warm' });
  assert.equal((real.body.usage as MessageUsage).cache_read_input_tokens, usage.cache_creation_input_tokens);
  const streamed = await call(sim, '/v1/messages', body({ max_tokens: 0, stream: true }), { 'x-api-key': 'warm' });
  assert.equal(streamed.status, 400);
});

test('count_tokens equals the sum of the usage counters', async () => {
  const { max_tokens: _, ...countBody } = body();
  const count = await call(sim, '/v1/messages/count_tokens?beta=true', countBody, { 'x-api-key': 'count' });
  assert.equal(count.status, 200);
  const reply = await call(sim, '/v1/messages', body(), { 'x-api-key': 'count' });
  const u = reply.body.usage as MessageUsage;
  assert.deepEqual(count.body, { input_tokens: u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens });
});

test('Opus 5.5 is served: a 200 reply that opens with thinking although the request disabled it; forced tool use is a 400', async () => {
  const tools = [{ name: 'Bash', input_schema: { type: 'object' } }];
  const base = { model: 'claude-opus-5-5', max_tokens: 100, tools, messages: [{ role: 'user', content: 'go' }], thinking: { type: 'disabled' } };
  const ok = await call(sim, '/v1/messages', base, { 'x-api-key': 'opus55' });
  assert.equal(ok.status, 200);
  assert.equal((ok.body.content as JsonObject[])[0]!.type, 'thinking');
  const forced = await call(sim, '/v1/messages', { ...base, tool_choice: { type: 'any' } }, { 'x-api-key': 'opus55' });
  assert.equal(forced.status, 400);
  assert.equal((forced.body.error as JsonObject).type, 'invalid_request_error');
});

test('GET /v1/models returns a list page', async () => {
  const page = await call(sim, '/v1/models');
  assert.equal(page.status, 200);
  const data = page.body.data as JsonObject[];
  assert.ok(data.some((m) => m.id === 'claude-opus-4-8'));
  for (const id of ['claude-opus-5-5', 'claude-sonnet-5-5', 'claude-fable-5-1']) assert.ok(data.some((m) => m.id === id), `${id} is served`);
  for (const m of data) assert.deepEqual(Object.keys(m).sort(), ['created_at', 'display_name', 'id', 'max_input_tokens', 'max_tokens', 'type']);
  assert.equal(page.body.first_id, data[0]?.id);
  assert.equal(page.body.last_id, data.at(-1)?.id);
  assert.equal(page.body.has_more, false);
  const limited = await call(sim, '/v1/models?limit=2');
  assert.equal((limited.body.data as JsonObject[]).length, 2);
  assert.equal(limited.body.has_more, true);
});

test('parallel requests both miss: an entry is readable only after its response began', async () => {
  const slow = await startSimulator({ latencyMs: 200 });
  try {
    const first = call(slow, '/v1/messages', body());
    await sleep(50);
    const second = call(slow, '/v1/messages', body());
    const [a, b] = await Promise.all([first, second]);
    for (const r of [a, b]) {
      assert.equal((r.body.usage as MessageUsage).cache_read_input_tokens, 0);
      assert.ok((r.body.usage as MessageUsage).cache_creation_input_tokens > 0);
    }
    const third = await call(slow, '/v1/messages', body());
    assert.equal((third.body.usage as MessageUsage).cache_read_input_tokens, (a.body.usage as MessageUsage).cache_creation_input_tokens);
  } finally {
    await slow.close();
  }
});

test('TTL over HTTP with a ManualClock', async () => {
  const clock = new ManualClock();
  const timed = await startSimulator({ clock });
  try {
    const written = (await call(timed, '/v1/messages', body())).body.usage as MessageUsage;
    clock.advance(4 * MINUTE + 59_000);
    assert.equal(((await call(timed, '/v1/messages', body())).body.usage as MessageUsage).cache_read_input_tokens, written.cache_creation_input_tokens);
    clock.advance(5 * MINUTE + 1000);
    assert.equal(((await call(timed, '/v1/messages', body())).body.usage as MessageUsage).cache_read_input_tokens, 0);
  } finally {
    await timed.close();
  }
});

test('fault injection: status codes', async () => {
  for (const [status, type] of [
    [429, 'rate_limit_error'],
    [529, 'overloaded_error'],
    [500, 'api_error'],
  ] as const) {
    const reply = await call(sim, '/v1/messages', body(), { 'x-sim-fault': `status:${status}` });
    assert.equal(reply.status, status);
    assert.equal((reply.body.error as JsonObject).type, type);
    assert.match(String(reply.body.request_id), /^req_/);
    if (status !== 500) assert.equal(reply.headers.get('retry-after'), '1');
  }
});

test('fault injection: reset mid-stream', async () => {
  const res = await fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': 'k', 'x-sim-fault': 'reset-mid-stream' },
    body: JSON.stringify(body({ stream: true })),
  });
  assert.equal(res.status, 200);
  await assert.rejects(res.text());
  const log = sim.requests.at(-1);
  assert.equal(log?.fault, 'reset-mid-stream');
  assert.notEqual(log?.aborted, true);
});

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await sleep(10);
  assert.ok(check(), 'condition not reached');
}

async function readFirstChunkThenAbort(headers: Record<string, string>): Promise<string> {
  const controller = new AbortController();
  const res = await fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': 'k', ...headers },
    body: JSON.stringify(body({ stream: true })),
    signal: controller.signal,
  });
  const reader = res.body?.getReader();
  assert.ok(reader);
  const first = await reader.read();
  controller.abort();
  await reader.cancel().catch(() => undefined);
  return new TextDecoder().decode(first.value);
}

test('fault injection: stall mid-stream until the client goes away', async () => {
  const first = await readFirstChunkThenAbort({ 'x-sim-fault': 'stall-mid-stream' });
  assert.match(first, /^event: message_start\n/);
  const log = sim.requests.at(-1);
  await waitFor(() => log?.aborted === true);
  assert.equal(log?.status, 200);
});

test('a client that disconnects mid-stream is noticed', async () => {
  const first = await readFirstChunkThenAbort({ 'x-sim-delta-ms': '100' });
  assert.match(first, /^event: message_start\n/);
  const log = sim.requests.at(-1);
  await waitFor(() => log?.aborted === true);
  // A complete request is not marked aborted.
  await stream(sim, body());
  assert.equal(sim.requests.at(-1)?.aborted, undefined);
});
