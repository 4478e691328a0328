/** Per-key limits: over requests per minute, concurrency or budget, 429 with retry-after in the caller's protocol, and a ledger row. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startStack, eventually } from './support/stack.ts';

const MSG = JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] });

test('requests per minute: the 4th of 3 allowed is a 429 rate_limit_error with retry-after; it is in the ledger', async () => {
  const stack = await startStack({ env: { SYNROUTER_RPM_LIMIT: '3' } });
  try {
    const post = () => fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'x-api-key': stack.key, 'content-type': 'application/json' }, body: MSG });
    for (let i = 0; i < 3; i++) assert.equal((await post()).status, 200);
    const r = await post();
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) >= 1 && Number(r.headers.get('retry-after')) <= 60);
    assert.equal(((await r.json()) as { error: { type: string } }).error.type, 'rate_limit_error');
    const openai = await fetch(`${stack.openaiBase}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${stack.key}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(openai.status, 429);
    assert.equal(((await openai.json()) as { error: { type: string } }).error.type, 'rate_limit_exceeded', 'OpenAI error shape on /api/v1');
    const rows = (await stack.turns());
    assert.deepEqual(rows.slice(-2).map((x) => [x.status, x.error_code]), [[429, 'RATE_LIMITED'], [429, 'RATE_LIMITED']]);
  } finally {
    await stack.close();
  }
});

test('concurrent requests: a second request while one is in flight is refused; the slot frees when it ends', async () => {
  const stack = await startStack({ env: { SYNROUTER_CONCURRENCY_LIMIT: '1' } });
  try {
    const ctl = new AbortController();
    const first = await request(`${stack.anthropicBase}/v1/messages`, {
      method: 'POST', signal: ctl.signal, headers: { 'x-api-key': stack.key, 'content-type': 'application/json', 'x-sim-fault': 'stall-mid-stream' },
      body: JSON.stringify({ ...JSON.parse(MSG), stream: true }),
    });
    // Wait for the first bytes without leaving the loop (that would destroy the body and end the request).
    await new Promise<void>((resolve) => first.body.once('data', () => resolve()));
    const second = await fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'x-api-key': stack.key, 'content-type': 'application/json' }, body: MSG });
    assert.equal(second.status, 429);
    assert.ok(second.headers.get('retry-after'));
    ctl.abort();
    await eventually(async () => (await stack.turns()).some((r) => r.error_code === 'CLIENT_ABORTED'), 'the first request ended');
    const third = await fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'x-api-key': stack.key, 'content-type': 'application/json' }, body: MSG });
    assert.equal(third.status, 200);
  } finally {
    await stack.close();
  }
});

test('a spent daily budget refuses the next request until the next UTC day', async () => {
  const stack = await startStack();
  try {
    await stack.app.deps.keys.setBudget(stack.keyId, { day: 0.000001 });
    const post = () => fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'x-api-key': stack.key, 'content-type': 'application/json' }, body: MSG });
    assert.equal((await post()).status, 200, 'nothing spent yet');
    const r = await post();
    assert.equal(r.status, 429);
    const body = (await r.json()) as { error: { message: string } };
    assert.match(body.error.message, /daily budget/);
    const secondsToMidnight = (Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1) - Date.now()) / 1000;
    assert.ok(Math.abs(Number(r.headers.get('retry-after')) - secondsToMidnight) < 120, 'retry-after points at the next UTC day');
    assert.equal((await stack.turns()).at(-1)!.error_code, 'BUDGET_EXCEEDED');
  } finally {
    await stack.close();
  }
});
