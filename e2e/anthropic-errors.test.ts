/** Every error Synrouter produces on /api/anthropic is Anthropic error JSON with the right status. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { Readable } from 'node:stream';
import { startStack, eventually, type Stack } from './support/stack.ts';

let stack: Stack;
before(async () => { stack = await startStack({ bodyLimitMb: 8 }); });
after(() => stack.close());

const MSG = { model: 'claude-sonnet-4-6', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] };

async function call(path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
  const res = await fetch(stack.app.url + path, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': stack.key, 'anthropic-version': '2023-06-01', ...init.headers },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

function assertAnthropicError(r: { status: number; json: any }, status: number, type: string, messagePart?: RegExp) {
  assert.equal(r.status, status);
  assert.equal(r.json.type, 'error');
  assert.equal(r.json.error.type, type);
  assert.equal(typeof r.json.error.message, 'string');
  if (messagePart) assert.match(r.json.error.message, messagePart);
}

test('HEAD / and GET /health answer 200 without a key', async () => {
  for (const path of ['/', '/api/anthropic']) {
    const res = await fetch(stack.app.url + path, { method: 'HEAD' });
    assert.equal(res.status, 200, path);
  }
  const health = await fetch(stack.app.url + '/health');
  assert.equal(health.status, 200);
});

test('unknown route 404, wrong method 405 with Allow', async () => {
  assertAnthropicError(await call('/api/anthropic/v1/nope', { body: '{}' }), 404, 'not_found_error');
  const r = await call('/api/anthropic/v1/messages', { method: 'GET' });
  assertAnthropicError(r, 405, 'invalid_request_error');
  assert.equal(r.headers.get('allow'), 'POST');
});

test('missing, invalid and revoked keys are 401 authentication_error', async () => {
  assertAnthropicError(await call('/api/anthropic/v1/messages', { body: JSON.stringify(MSG), headers: { 'x-api-key': '' } }), 401, 'authentication_error', /Missing API key/);
  assertAnthropicError(await call('/api/anthropic/v1/messages', { body: JSON.stringify(MSG), headers: { 'x-api-key': 'sk-sr-nope' } }), 401, 'authentication_error', /Invalid API key/);
  const { key, record } = await stack.app.deps.keys.create({ name: 'to-revoke' });
  assert.equal((await call('/api/anthropic/v1/messages', { body: JSON.stringify(MSG), headers: { 'x-api-key': key } })).status, 200);
  await stack.app.deps.keys.revoke(record.id);
  assertAnthropicError(await call('/api/anthropic/v1/messages', { body: JSON.stringify(MSG), headers: { 'x-api-key': key } }), 401, 'authentication_error', /revoked/);
});

test('bodies that are not JSON or have wrong types are 400, and the turn is still in the ledger', async () => {
  const before = (await stack.turns()).length;
  assertAnthropicError(await call('/api/anthropic/v1/messages', { body: '{"model": ' }), 400, 'invalid_request_error', /not valid JSON/);
  assertAnthropicError(await call('/api/anthropic/v1/messages', { body: '[]' }), 400, 'invalid_request_error', /JSON object/);
  assertAnthropicError(await call('/api/anthropic/v1/messages', { body: JSON.stringify({ ...MSG, model: 42 }) }), 400, 'invalid_request_error', /model/);
  assertAnthropicError(await call('/api/anthropic/v1/messages', { body: JSON.stringify({ ...MSG, messages: 'hi' }) }), 400, 'invalid_request_error', /messages/);
  assertAnthropicError(await call('/api/anthropic/v1/messages', { body: JSON.stringify({ ...MSG, max_tokens: '5' }) }), 400, 'invalid_request_error', /max_tokens/);
  assertAnthropicError(await call('/api/anthropic/v1/messages', { body: JSON.stringify({ ...MSG, messages: [{ role: 'bot', content: 'x' }] }) }), 400, 'invalid_request_error', /role/);
  assertAnthropicError(await call('/api/anthropic/v1/messages', { body: JSON.stringify({ ...MSG, stream: 'yes' }) }), 400, 'invalid_request_error', /stream/);
  const rows = (await stack.turns()).slice(before);
  assert.equal(rows.length, 7);
  assert.ok(rows.every((r) => r.status === 400 && (r.error_code === 'BODY_NOT_JSON' || r.error_code === 'BODY_INVALID')));
});

test('a body over the limit is 413 request_too_large; a several-MB body under it passes', async () => {
  const big = JSON.stringify({ ...MSG, messages: [{ role: 'user', content: 'x'.repeat(9 * 1024 * 1024) }] });
  assertAnthropicError(await call('/api/anthropic/v1/messages', { body: big }), 413, 'request_too_large');
  const fine = JSON.stringify({ ...MSG, messages: [{ role: 'user', content: 'x'.repeat(6 * 1024 * 1024) }] });
  assert.equal((await call('/api/anthropic/v1/messages', { body: fine })).status, 200);
});

test('a chunked body (no content-length) that grows over the limit is 413 too, and the connection closes', async () => {
  const chunk = Buffer.alloc(1024 * 1024, 'x');
  let sent = 0;
  async function* upload() {
    yield Buffer.from('{"model":"claude-sonnet-4-6","max_tokens":32,"messages":[{"role":"user","content":"');
    // Up to 64 MB offered; the proxy answers once it has read past its 8 MB limit.
    for (; sent < 64; sent++) yield chunk;
  }
  const res = await request(stack.app.url + '/api/anthropic/v1/messages', {
    method: 'POST', body: Readable.from(upload()),
    headers: { 'content-type': 'application/json', 'x-api-key': stack.key, 'anthropic-version': '2023-06-01' },
  }).catch((err: Error) => err);
  // Either the 413 arrives, or the client's upload is cut by the closed connection first; never the whole 64 MB read.
  if (!(res instanceof Error)) {
    assert.equal(res.statusCode, 413);
    assert.equal(res.headers.connection, 'close');
    assertAnthropicError({ status: res.statusCode, json: await res.body.json() }, 413, 'request_too_large');
  }
  assert.ok(sent < 64, `the proxy read all ${sent} MB offered`);
  await eventually(async () => (await stack.turns()).some((r) => r.error_code === 'BODY_TOO_LARGE'), 'the 413 turn in the ledger');
});

test('a model nobody serves is 404 with the model named; a known model with no provider is 400', async () => {
  assertAnthropicError(await call('/api/anthropic/v1/messages', { body: JSON.stringify({ ...MSG, model: 'acme/unknown-1' }) }), 404, 'not_found_error', /acme\/unknown-1/);
  assertAnthropicError(await call('/api/anthropic/v1/messages', { body: JSON.stringify({ ...MSG, model: 'deepseek/deepseek-v4-flash' }) }), 400, 'invalid_request_error', /deepseek\/deepseek-v4-flash/);
});

test('upstream errors reach the client in Anthropic shape with the upstream status', async () => {
  const r = await call('/api/anthropic/v1/messages', { body: JSON.stringify(MSG), headers: { 'x-sim-fault': 'status:529' } });
  assertAnthropicError(r, 529, 'overloaded_error');
  const r2 = await call('/api/anthropic/v1/messages', { body: JSON.stringify({ ...MSG, max_tokens: 0, stream: true }) });
  assertAnthropicError(r2, 400, 'invalid_request_error');
  const row = (await stack.turns()).at(-1)!;
  assert.equal(row.status, 400);
  assert.equal(row.error_code, 'UPSTREAM_ERROR');
});

test('an unreachable upstream is 502 api_error in Anthropic shape', async () => {
  const other = await startStack({ env: { SYNROUTER_ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' } });
  try {
    const res = await fetch(`${other.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'x-api-key': other.key, 'content-type': 'application/json' }, body: JSON.stringify(MSG) });
    assertAnthropicError({ status: res.status, json: await res.json() }, 502, 'api_error', /reach the upstream/);
    assert.equal((await other.turns()).at(-1)!.error_code, 'UPSTREAM_UNREACHABLE');
  } finally {
    await other.close();
  }
});

test('SSE is passed through as it arrives: the client sees message_start while the upstream stalls', async () => {
  const controller = new AbortController();
  const res = await request(`${stack.anthropicBase}/v1/messages`, {
    method: 'POST', signal: controller.signal,
    headers: { 'content-type': 'application/json', 'x-api-key': stack.key, 'x-sim-fault': 'stall-mid-stream' },
    body: JSON.stringify({ ...MSG, stream: true }),
  });
  assert.equal(res.statusCode, 200);
  let seen = '';
  for await (const chunk of res.body) {
    seen += chunk.toString();
    if (seen.includes('message_start')) break;
  }
  assert.match(seen, /event: message_start/);
  controller.abort();
});

test('client abort mid-stream aborts the upstream request and the turn is still recorded', async () => {
  const controller = new AbortController();
  const res = await request(`${stack.anthropicBase}/v1/messages`, {
    method: 'POST', signal: controller.signal,
    headers: { 'content-type': 'application/json', 'x-api-key': stack.key, 'x-sim-delta-ms': '200' },
    body: JSON.stringify({ ...MSG, stream: true, messages: [{ role: 'user', content: 'tell me a long story '.repeat(50) }] }),
  });
  for await (const chunk of res.body) {
    if (chunk.toString().includes('content_block_delta')) break;
  }
  controller.abort();
  const simReq = stack.sim.requests.at(-1)!;
  await eventually(() => simReq.aborted === true, 'the simulator saw the upstream request aborted');
  const requestId = res.headers['synrouter-request-id'];
  const row = async () => (await stack.turns()).find((r) => r.request_id === requestId);
  await eventually(async () => (await row()) !== undefined, 'the aborted turn is in the ledger');
  assert.equal((await stack.turns()).filter((r) => r.request_id === requestId).length, 1, 'exactly one row');
  assert.equal((await row())!.aborted, 1);
  assert.equal((await row())!.error_code, 'CLIENT_ABORTED');
  assert.ok((await row())!.ttfb_ms !== null, 'first byte time is known even though the stream was cut');
  assert.equal((await row())!.input_tokens, simReq.usage!.input_tokens, 'the input side from message_start is metered');
});
