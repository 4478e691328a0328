/**
 * Cache keep-alive on the simulator's manual clock: after a turn, a max_tokens:0 ping with the same
 * prefix refreshes the 5m entry before it expires, so a turn after a 12-minute pause still reads the
 * cache; every ping is a ledger row of kind 'keepalive'. Guards: no pings for revoked keys, past the
 * idle limit, when a ping writes instead of reads, or for requests max_tokens:0 does not allow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { ManualClock } from '../src/simulator/simulator.ts';
import { startStack, type Stack } from './support/stack.ts';

const START = Date.UTC(2026, 10, 25, 9, 0, 0);
const SYSTEM = 'You are a careful coding agent. Keep answers short and precise. '.repeat(400); // ~6k tokens

async function setup(env: Record<string, string> = {}) {
  const clock = new ManualClock(START);
  const stack = await startStack({ simulator: { clock }, env });
  const client = new Anthropic({ apiKey: stack.key, baseURL: stack.anthropicBase, maxRetries: 0 });
  // A conversation that grows by appending, as agents' do.
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Session one task.' }, { role: 'assistant', content: 'Working on it.' }];
  const turn = async (text: string, extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}) => {
    messages.push({ role: 'user', content: text });
    const reply = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 256, system: SYSTEM, messages, metadata: { user_id: JSON.stringify({ session_id: 'ka-session' }) }, ...extra });
    messages.push({ role: 'assistant', content: reply.content });
    return reply;
  };
  /** Advances the clock in 30 s steps, letting the keep-alive send what is due. */
  const idle = async (minutes: number) => {
    for (let t = 0; t < minutes * 60; t += 30) {
      clock.advance(30_000);
      await stack.app.deps.keepalive.tick(clock.now());
    }
  };
  return { clock, stack, turn, idle };
}

const pings = (stack: Stack) => stack.turns().filter((r) => r.kind === 'keepalive');

test('pings keep the 5m entry alive through a 12-minute pause; each ping is a ledger row that only reads', async () => {
  const { stack, turn, idle } = await setup();
  try {
    await turn('first');
    await idle(12);
    const p = pings(stack);
    assert.equal(p.length, 2, 'a ping at ~4.5 and ~9 minutes');
    for (const r of p) {
      assert.equal(r.status, 200);
      assert.ok(r.cache_read_tokens > 5000, 'the ping read the prefix');
      assert.equal(r.cache_write_5m_tokens + r.cache_write_1h_tokens, 0, 'and wrote nothing');
      assert.equal(r.output_tokens, 0);
      assert.equal(r.session_id, 'ka-session');
      assert.ok(r.cost_usd! > 0 && r.cost_direct_usd === 0, 'a ping is pure spend: it has no direct counterpart');
    }
    const sent = stack.sim.requests.filter((r) => (r.body as { max_tokens: number }).max_tokens === 0);
    assert.equal(sent.length, 2);
    assert.ok(sent.every((r) => (r.body as { stream?: boolean }).stream !== true));
    await turn('second, after the pause');
    const last = stack.turns().at(-1)!;
    assert.equal(last.kind, 'turn');
    assert.ok(last.cache_read_tokens > 5000, 'the turn after the pause read the cache');
    assert.equal(last.miss_reason, null);
  } finally {
    await stack.close();
  }
});

test('without keep-alive the same pause is a miss (ttl_expired) that re-writes the prefix', async () => {
  const { stack, turn, idle } = await setup({ SYNROUTER_KEEPALIVE: '0' });
  try {
    await turn('first');
    await idle(12);
    assert.equal(pings(stack).length, 0);
    await turn('second, after the pause');
    const last = stack.turns().at(-1)!;
    assert.equal(last.cache_read_tokens, 0);
    assert.equal(last.miss_reason, 'ttl_expired');
  } finally {
    await stack.close();
  }
});

test('guards: no pings for a revoked key, none past the idle limit, none for thinking with a budget', async () => {
  const a = await setup();
  try {
    await a.turn('first');
    a.stack.app.deps.keys.revoke(a.stack.keyId);
    await a.idle(6);
    assert.equal(pings(a.stack).length, 0, 'revoked key: no ping');
  } finally {
    await a.stack.close();
  }
  const b = await setup();
  try {
    await b.turn('first');
    await b.idle(75);
    assert.ok(pings(b.stack).length <= 13, 'pings stop after the coding idle limit (60 min)');
    assert.ok(pings(b.stack).length >= 12);
  } finally {
    await b.stack.close();
  }
  const c = await setup();
  try {
    await c.turn('first', { thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 2048 });
    await c.idle(6);
    assert.equal(pings(c.stack).length, 0, 'max_tokens:0 is not allowed with thinking enabled (protocols.md 2.10)');
  } finally {
    await c.stack.close();
  }
});

test('a ping that finds the entry gone writes once and stops', async () => {
  const { stack, turn, clock, idle } = await setup();
  try {
    await turn('first');
    clock.advance(6 * 60_000); // past the 5m lifetime before any tick: the entry expires unrefreshed
    await stack.app.deps.keepalive.tick(clock.now());
    await idle(10);
    const p = pings(stack);
    assert.equal(p.length, 1, 'one ping found the cache gone, then pinging stopped');
    assert.ok(p[0]!.cache_write_5m_tokens > 0);
  } finally {
    await stack.close();
  }
});
