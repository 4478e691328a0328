/**
 * Faults before the first byte are retried with backoff (retry-after honoured) and then sent to the
 * next route; every failed attempt is a ledger row of kind 'retry'. After the first byte, a broken
 * upstream stream ends with the protocol's in-band error event.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startSimulator, type Simulator } from '../src/simulator/simulator.ts';
import { startStack, type Stack } from './support/stack.ts';

let sim: Simulator;
before(async () => { sim = await startSimulator({ port: 0 }); });
after(() => sim.close());

/** An upstream that answers `status` to the first `failures` requests, then forwards to the simulator. */
async function flaky(failures: number, status: number, headers: Record<string, string> = {}): Promise<{ url: string; seen: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server: Server = createServer(async (req, res) => {
    n++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (n <= failures) {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ type: 'error', error: { type: status === 429 ? 'rate_limit_error' : 'overloaded_error', message: 'try later' } }));
      return;
    }
    const up = await request(sim.url + req.url, { method: 'POST', headers: { ...req.headers, host: undefined } as unknown as Record<string, string>, body: Buffer.concat(chunks) });
    res.writeHead(up.statusCode, up.headers as Record<string, string>);
    for await (const c of up.body) res.write(c);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen: () => n, close: () => new Promise((r) => server.close(() => r())) };
}

const MSG = { model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };

async function post(stack: Stack, body: object, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'x-api-key': stack.key, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

test('529 twice, then success: the client sees one 200; the ledger has 2 retry rows and 1 turn', async () => {
  const up = await flaky(2, 529, { 'retry-after': '0' });
  const stack = await startStack({ env: { SYNROUTER_ANTHROPIC_BASE_URL: up.url } });
  try {
    const r = await post(stack, MSG);
    assert.equal(r.status, 200);
    assert.equal(up.seen(), 3);
    const rows = (await stack.turns());
    assert.deepEqual(rows.map((x) => [x.kind, x.status]), [['retry', 529], ['retry', 529], ['turn', 200]]);
    assert.equal(new Set(rows.map((x) => x.request_id)).size, 1, 'all attempts belong to one request');
  } finally {
    await stack.close();
    await up.close();
  }
});

test('a provider that stays down falls back to the next provider of the model', async () => {
  const down = await flaky(1000, 503, { 'retry-after': '0' });
  const stack = await startStack({ env: { SYNROUTER_ANTHROPIC_BASE_URL: down.url, SYNROUTER_OPENROUTER_API_KEY: 'or-key', SYNROUTER_OPENROUTER_BASE_URL: sim.url } });
  try {
    const r = await post(stack, MSG);
    assert.equal(r.status, 200);
    const rows = (await stack.turns());
    assert.deepEqual(rows.map((x) => [x.kind, x.provider, x.status]), [
      ['retry', 'anthropic', 503], ['retry', 'anthropic', 503], ['retry', 'anthropic', 503], ['turn', 'openrouter', 200],
    ]);
    assert.equal((sim.requests.at(-1)!.body as { model: string }).model, 'anthropic/claude-sonnet-4.6', 'OpenRouter gets its own model id');
  } finally {
    await stack.close();
    await down.close();
  }
});

test('a 429 without retry-after is retried with backoff (not final): the client sees one 200', async () => {
  const up = await flaky(2, 429);
  const stack = await startStack({ env: { SYNROUTER_ANTHROPIC_BASE_URL: up.url } });
  try {
    const r = await post(stack, MSG);
    assert.equal(r.status, 200);
    assert.equal(up.seen(), 3);
    assert.deepEqual((await stack.turns()).map((x) => [x.kind, x.status]), [['retry', 429], ['retry', 429], ['turn', 200]]);
  } finally {
    await stack.close();
    await up.close();
  }
});

test('a 429 without retry-after that persists goes, after the retries, to the next provider of the model', async () => {
  const down = await flaky(1000, 429);
  const stack = await startStack({ env: { SYNROUTER_ANTHROPIC_BASE_URL: down.url, SYNROUTER_OPENROUTER_API_KEY: 'or-key', SYNROUTER_OPENROUTER_BASE_URL: sim.url } });
  try {
    const r = await post(stack, MSG);
    assert.equal(r.status, 200);
    assert.equal(down.seen(), 3, 'one attempt and two retries on the first provider');
    assert.deepEqual((await stack.turns()).map((x) => [x.kind, x.provider, x.status]), [
      ['retry', 'anthropic', 429], ['retry', 'anthropic', 429], ['retry', 'anthropic', 429], ['turn', 'openrouter', 200],
    ]);
  } finally {
    await stack.close();
    await down.close();
  }
});

test('a nonzero retry-after (1 s) is honoured: the retry waits at least that long', async () => {
  const up = await flaky(1, 429, { 'retry-after': '1' });
  const stack = await startStack({ env: { SYNROUTER_ANTHROPIC_BASE_URL: up.url } });
  try {
    const t0 = performance.now();
    const r = await post(stack, MSG);
    const elapsed = performance.now() - t0;
    assert.equal(r.status, 200);
    assert.equal(up.seen(), 2);
    // Correctness, not speed: retrying sooner than the upstream asked is what retry-after forbids.
    assert.ok(elapsed >= 1000, `waited ${elapsed.toFixed(0)} ms for a retry-after of 1 s`);
    assert.deepEqual((await stack.turns()).map((x) => [x.kind, x.status]), [['retry', 429], ['turn', 200]]);
  } finally {
    await stack.close();
    await up.close();
  }
});

test('connection refused is retried, then falls back to the next provider; every failed attempt is a ledger row and an upstream error in /metrics', async () => {
  // A port nothing listens on: every connection to it is refused.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const refused = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise<void>((r) => probe.close(() => r()));
  const stack = await startStack({ env: { SYNROUTER_ANTHROPIC_BASE_URL: refused, SYNROUTER_OPENROUTER_API_KEY: 'or-key', SYNROUTER_OPENROUTER_BASE_URL: sim.url } });
  try {
    const r = await post(stack, MSG);
    assert.equal(r.status, 200);
    const rows = (await stack.turns());
    assert.deepEqual(rows.map((x) => [x.kind, x.provider, x.error_code]), [
      ['retry', 'anthropic', 'UPSTREAM_UNREACHABLE'], ['retry', 'anthropic', 'UPSTREAM_UNREACHABLE'], ['retry', 'anthropic', 'UPSTREAM_UNREACHABLE'], ['turn', 'openrouter', null],
    ]);
    const metrics = stack.app.deps.metrics.render();
    const errors = [...metrics.matchAll(/^synrouter_upstream_errors_total\{[^}]*code="UPSTREAM_UNREACHABLE"[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    assert.equal(errors, 3, 'the three refused attempts are upstream errors in /metrics');
    assert.match(metrics, /^synrouter_turns_total\{kind="retry",[^}]*\} 3$/m);
  } finally {
    await stack.close();
  }
});

test('an unreachable upstream: the 502 in the caller\'s protocol names no address or errno; the log has them under the request id', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const stack = await startStack({ env: { SYNROUTER_ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}` } });
  const logged: string[] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => { logged.push(args.map(String).join(' ')); };
  try {
    const call = async (path: string, body: object) => {
      const res = await fetch(`${stack.app.url}${path}`, { method: 'POST', headers: { 'x-api-key': stack.key, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, requestId: res.headers.get('request-id')!, text: await res.text() };
    };
    const anthropic = await call('/api/anthropic/v1/messages', MSG);
    const openai = await call('/api/v1/chat/completions', { model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    for (const r of [anthropic, openai]) {
      assert.equal(r.status, 502);
      for (const leak of ['127.0.0.1', String(port), 'ECONNREFUSED', 'connect ']) assert.ok(!r.text.includes(leak), `${leak} in ${r.text}`);
    }
    const a = JSON.parse(anthropic.text) as { type: string; error: { type: string; message: string }; request_id: string };
    assert.deepEqual([a.type, a.error.type, a.request_id], ['error', 'api_error', anthropic.requestId]);
    assert.match(a.error.message, /^Could not reach the upstream provider\./);
    const o = JSON.parse(openai.text) as { error: { type: string; code: string; message: string } };
    assert.deepEqual([o.error.type, o.error.code], ['server_error', 'upstream_unreachable']);
    assert.match(o.error.message, /^Could not reach the upstream provider\./);
    for (const r of [anthropic, openai]) {
      const lines = logged.filter((l) => l.includes(r.requestId));
      assert.equal(lines.length, 3, `one log line per refused attempt: ${logged.join('\n')}`);
      for (const l of lines) assert.match(l, new RegExp(`UPSTREAM_UNREACHABLE: provider anthropic at http://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
    }
  } finally {
    console.error = error;
    await stack.close();
  }
});

test('a retry-after longer than the policy allows is not waited for: the 429 reaches the client with its retry-after', async () => {
  const up = await flaky(1000, 429, { 'retry-after': '120' });
  const stack = await startStack({ env: { SYNROUTER_ANTHROPIC_BASE_URL: up.url } });
  try {
    const r = await post(stack, MSG);
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '120');
    assert.equal(JSON.parse(r.text).error.type, 'rate_limit_error');
    assert.equal(up.seen(), 1);
    assert.deepEqual((await stack.turns()).map((x) => [x.kind, x.status]), [['turn', 429]]);
  } finally {
    await stack.close();
    await up.close();
  }
});

test('an upstream that resets mid-stream: the client gets an in-band error event, the turn is recorded', async () => {
  const stack = await startStack();
  try {
    const r = await post(stack, { ...MSG, stream: true }, { 'x-sim-fault': 'reset-mid-stream' });
    assert.equal(r.status, 200, 'the status was already sent when the upstream broke');
    assert.match(r.text, /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"Upstream stream failed/);
    assert.ok(r.text.trimEnd().endsWith('}'), 'the error event is the last thing the client receives');
    const row = (await stack.turns()).at(-1)!;
    assert.equal(row.error_code, 'UPSTREAM_ERROR');
    assert.equal(row.kind, 'turn');
  } finally {
    await stack.close();
  }
});

test('an upstream that closes cleanly before message_stop: the client still gets an in-band error event', async () => {
  const stack = await startStack();
  try {
    const r = await post(stack, { ...MSG, stream: true }, { 'x-sim-fault': 'end-mid-stream' });
    assert.equal(r.status, 200);
    assert.match(r.text, /^event: message_start\n/);
    assert.doesNotMatch(r.text, /message_stop/);
    assert.match(r.text, /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"Upstream stream failed: the upstream closed the stream before its final event/);
    assert.equal((await stack.turns()).at(-1)!.error_code, 'UPSTREAM_ERROR');
    // An upstream error event is an ending of its own: nothing is appended after it.
    const e = await post(stack, { ...MSG, stream: true }, { 'x-sim-fault': 'error-mid-stream' });
    assert.equal((e.text.match(/event: error/g) ?? []).length, 1);
  } finally {
    await stack.close();
  }
});

test('an upstream that goes silent mid-stream is cut after the idle timeout with an in-band error; a slow but steady stream is not', async () => {
  const stack = await startStack({ config: (c) => ({ ...c, upstream: { ...c.upstream, bodyIdleTimeoutMs: 400 } }) });
  try {
    const stalled = await post(stack, { ...MSG, stream: true }, { 'x-sim-fault': 'stall-mid-stream' });
    assert.equal(stalled.status, 200);
    assert.match(stalled.text, /event: error\ndata: \{"type":"error","error":\{"type":"api_error"/);
    assert.equal((await stack.turns()).at(-1)!.error_code, 'UPSTREAM_ERROR');
    // 20 deltas 150 ms apart: 3 s in all, each gap well under the 400 ms idle limit.
    const steady = await post(stack, { ...MSG, max_tokens: 4000, stream: true, messages: [{ role: 'user', content: 'a long story '.repeat(60) }] }, { 'x-sim-delta-ms': '150' });
    assert.match(steady.text, /event: message_stop/);
    assert.equal((await stack.turns()).at(-1)!.error_code, null);
  } finally {
    await stack.close();
  }
});

test('a client that leaves before the upstream answered is a client abort, not a server error', async () => {
  const stack = await startStack({ simulator: { latencyMs: 1500 } });
  try {
    const ctl = new AbortController();
    const pending = fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', signal: ctl.signal, headers: { 'x-api-key': stack.key, 'content-type': 'application/json' }, body: JSON.stringify(MSG) });
    setTimeout(() => ctl.abort(), 200);
    await assert.rejects(pending);
    await new Promise((r) => setTimeout(r, 300));
    const row = (await stack.turns()).at(-1)!;
    assert.equal(row.error_code, 'CLIENT_ABORTED');
    assert.equal(row.aborted, 1);
  } finally {
    await stack.close();
  }
});
