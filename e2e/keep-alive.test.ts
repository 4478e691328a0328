/**
 * Cache keep-alive on the simulator's manual clock: after a turn, a max_tokens:0 ping with the same
 * prefix refreshes the 5m entry before it expires, so a turn after a 12-minute pause still reads the
 * cache; every ping is a ledger row of kind 'keepalive' and a /metrics observation. Guards: no pings
 * for revoked keys, past the idle limit, once a ping writes anything, for an entry already expired
 * when the ping falls due, for unknown prices, over the key's ping budget (seeded from the ledger) or
 * its own spend budget, once the pings would cost more than one re-write of the prefix, or for
 * requests max_tokens:0 does not allow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { ManualClock } from '../src/simulator/simulator.ts';
import { startStack, type LedgerTurn, type Stack } from './support/stack.ts';
import type { Config } from '../src/config.ts';

const START = Date.UTC(2026, 10, 25, 9, 0, 0);
const SYSTEM = 'You are a careful coding agent. Keep answers short and precise. '.repeat(400); // ~6k tokens

async function setup(env: Record<string, string> = {}, config?: (c: Config) => Config) {
  const clock = new ManualClock(START);
  const stack = await startStack({ simulator: { clock }, env, ...(config ? { config } : {}) });
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

const pings = async (stack: Stack) => (await stack.turns()).filter((r) => r.kind === 'keepalive');

test('pings keep the 5m entry alive through a 12-minute pause; each ping is a ledger row that only reads', async () => {
  const { stack, turn, idle } = await setup();
  try {
    await turn('first');
    await idle(12);
    const p = await pings(stack);
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
    const last = (await stack.turns()).at(-1)!;
    assert.equal(last.kind, 'turn');
    assert.ok(last.cache_read_tokens > 5000, 'the turn after the pause read the cache');
    assert.equal(last.miss_reason, null);
    // The pings are in /metrics too: counted by kind, their cost is spend and comes off the savings.
    const metrics = stack.app.deps.metrics.render();
    assert.match(metrics, /^synrouter_turns_total\{kind="keepalive",model="anthropic\/claude-sonnet-4\.6",status="200"\} 2$/m);
    const sum = (name: string) => [...metrics.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
    const rows = (await stack.turns());
    const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);
    close(sum('synrouter_cost_usd_total'), rows.reduce((n, r) => n + (r.cost_usd ?? 0), 0), 'spend includes the pings');
    close(sum('synrouter_savings_usd'), rows.reduce((n, r) => n + (r.cost_client_usd ?? 0) - (r.cost_usd ?? 0), 0), 'savings (against the client alone) are net of the pings');
    close(sum('synrouter_savings_vs_no_cache_usd'), rows.reduce((n, r) => n + (r.cost_direct_usd ?? 0) - (r.cost_usd ?? 0), 0), 'and so is the cut against no caching');
  } finally {
    await stack.close();
  }
});

test('without keep-alive the same pause is a miss (ttl_expired) that re-writes the prefix', async () => {
  const { stack, turn, idle } = await setup({ SYNROUTER_KEEPALIVE: '0' });
  try {
    await turn('first');
    await idle(12);
    assert.equal((await pings(stack)).length, 0);
    await turn('second, after the pause');
    const last = (await stack.turns()).at(-1)!;
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
    await a.stack.app.deps.keys.revoke(a.stack.keyId);
    await a.idle(6);
    assert.equal((await pings(a.stack)).length, 0, 'revoked key: no ping');
  } finally {
    await a.stack.close();
  }
  const b = await setup({}, (c) => ({ ...c, keepalive: { ...c.keepalive, maxIdleMs: { ...c.keepalive.maxIdleMs, coding: 20 * 60_000 } } }));
  try {
    await b.turn('first');
    await b.idle(40);
    assert.equal((await pings(b.stack)).length, 4, 'pings at 4.5, 9, 13.5 and 18 minutes, none past the idle limit (20 min here)');
    assert.equal(b.stack.app.deps.keepalive.size, 0, 'the session is dropped');
  } finally {
    await b.stack.close();
  }
  const c = await setup();
  try {
    await c.turn('first', { thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 2048 });
    await c.idle(6);
    assert.equal((await pings(c.stack)).length, 0, 'max_tokens:0 is not allowed with thinking enabled (protocols.md 2.10)');
  } finally {
    await c.stack.close();
  }
});

test('a late tick (timer starved, laptop asleep) past the 5m lifetime sends no ping: the expired session is dropped', async () => {
  const { stack, turn, clock, idle } = await setup();
  try {
    await turn('first');
    clock.advance(6 * 60_000); // past the 5m lifetime before any tick: the entry expired unrefreshed
    await stack.app.deps.keepalive.tick(clock.now());
    await idle(10);
    assert.equal((await pings(stack)).length, 0, 'a ping now would pay a full write: the next real turn pays it only if the session comes back');
    assert.equal(stack.sim.requests.filter((r) => (r.body as { max_tokens: number }).max_tokens === 0).length, 0);
    assert.equal(stack.app.deps.keepalive.size, 0);
    await turn('second');
    assert.equal((await stack.turns()).at(-1)!.miss_reason, 'ttl_expired');
  } finally {
    await stack.close();
  }
});

test('a ping that writes anything stops the pinging: the upstream lost the entry early', async () => {
  const { stack, turn, idle } = await setup();
  try {
    await turn('first');
    stack.sim.cache.entries.clear(); // evicted upstream while Synrouter's clock says it still lives
    await idle(10);
    const p = await pings(stack);
    assert.equal(p.length, 1, 'one ping found the cache gone, then pinging stopped');
    assert.ok(p[0]!.cache_write_5m_tokens > 0);
    assert.equal(stack.app.deps.keepalive.size, 0);
  } finally {
    await stack.close();
  }
});

test('a ping that writes even a little (the last breakpoint\'s entry lost, an earlier one read) stops the pinging', async () => {
  const { stack, turn, idle } = await setup();
  try {
    await turn('first');
    // Evict only the longest entry (the conversation's last breakpoint): the stable prefix is still cached.
    const entries = [...stack.sim.cache.entries];
    const [longest] = entries.reduce((a, b) => (b[1].tokens > a[1].tokens ? b : a));
    assert.ok(entries.length >= 2, 'the engine wrote more than one breakpoint');
    stack.sim.cache.entries.delete(longest);
    await idle(10);
    const p = await pings(stack);
    assert.equal(p.length, 1, 'one ping wrote, then pinging stopped');
    const wrote = p[0]!.cache_write_5m_tokens + p[0]!.cache_write_1h_tokens;
    const all = wrote + p[0]!.cache_read_tokens + p[0]!.input_tokens;
    assert.ok(wrote > 0 && wrote < 0.05 * all, `a small write (${wrote} of ${all} tokens) still means the entry was gone`);
  } finally {
    await stack.close();
  }
});

test('a correct ping of the exact prefix writes nothing at all (so any write stops the pinging)', async () => {
  const { stack, turn, idle } = await setup();
  try {
    await turn('first');
    await turn('second');
    await turn('third', { stream: true } as never);
    await idle(20);
    const p = await pings(stack);
    assert.equal(p.length, 4);
    for (const r of p) assert.equal(r.cache_write_5m_tokens + r.cache_write_1h_tokens, 0);
  } finally {
    await stack.close();
  }
});

/** What one re-write of the turn's whole input costs at Sonnet 4.6's 5m write price ($3.75/MTok). */
const rewriteUsd = (t: LedgerTurn) => ((t.input_tokens + t.cache_read_tokens + t.cache_write_5m_tokens + t.cache_write_1h_tokens) * 3.75) / 1e6;

test('pings stop while worthwhile: those of one idle spell never cost more than one 5m write of the prefix (Sonnet: 12 pings)', async () => {
  // A long idle limit, so that only the break-even rule stops the pings.
  const { stack, turn, idle } = await setup({}, (c) => ({ ...c, keepalive: { ...c.keepalive, maxIdleMs: { ...c.keepalive.maxIdleMs, coding: 3 * 3_600_000 } } }));
  try {
    await turn('first');
    await idle(90);
    const t = (await stack.turns()).find((r) => r.kind === 'turn')!;
    const p = await pings(stack);
    const spent = p.reduce((n, r) => n + r.cost_usd!, 0);
    assert.ok(spent <= rewriteUsd(t), `pings cost ${spent}, one re-write ${rewriteUsd(t)}`);
    assert.ok(spent + p.at(-1)!.cost_usd! > rewriteUsd(t), 'one more ping would have cost more than the re-write');
    assert.equal(p.length, 12, 'read at 0.1x, write at 1.25x: 12 pings (54 minutes)');
    assert.equal(stack.app.deps.keepalive.size, 0);
  } finally {
    await stack.close();
  }
});

test('unknown prices: no pings (their cost could not be counted against any budget)', async () => {
  const { stack, turn, idle } = await setup({}, (c) => ({ ...c, models: [{ id: 'anthropic/claude-sonnet-4.6', name: 'Claude Sonnet 4.6', context: 1_000_000, anthropicId: 'claude-sonnet-4-6', prices: null }] }));
  try {
    await turn('first');
    assert.equal((await stack.turns()).at(-1)!.cost_usd, null, 'the turn is unpriced');
    await idle(12);
    assert.equal((await pings(stack)).length, 0);
    assert.equal(stack.app.deps.keepalive.size, 0);
  } finally {
    await stack.close();
  }
});

test('the daily ping budget survives a restart: it is seeded from the ledger\'s keepalive rows of the UTC day', async () => {
  const ping = (stack: Stack, ts: number, costUsd: number) => stack.app.deps.ledger.record({
    ts, requestId: `ka_${ts}`, kind: 'keepalive', keyId: stack.keyId, sessionId: 'earlier', clientProtocol: 'anthropic', endpoint: 'keepalive',
    requestedModel: 'claude-sonnet-4-6', responseModel: 'claude-sonnet-4-6', provider: 'anthropic', status: 200, errorCode: null, streamed: false, aborted: false,
    inputTokens: 0, cacheReadTokens: 1000, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, costUsd, costDirectUsd: 0, costClientUsd: 0,
    missReason: null, engine: null, latencyMs: 1, ttfbMs: null,
  });
  const a = await setup();
  try {
    ping(a.stack, START - 3_600_000, 5); // before this process started, today (UTC): the whole $5 budget
    (await a.stack.turns()); // flushed, as a previous process's rows are
    await a.turn('first');
    await a.idle(12);
    assert.equal((await pings(a.stack)).length, 1, 'no new pings: only the earlier row');
    assert.equal(a.stack.app.deps.keepalive.size, 0);
  } finally {
    await a.stack.close();
  }
  const b = await setup();
  try {
    ping(b.stack, START - 86_400_000, 5); // yesterday's pings do not count today
    (await b.stack.turns());
    await b.turn('first');
    await b.idle(12);
    assert.equal((await pings(b.stack)).length, 3);
  } finally {
    await b.stack.close();
  }
});

test('pings are spend of the key: a key over its daily budget is not pinged for, and a ping counts toward it', async () => {
  const a = await setup();
  try {
    await a.turn('first');
    const turnUsd = (await a.stack.turns()).at(-1)!.cost_usd!;
    await a.stack.app.deps.keys.setBudget(a.stack.keyId, { day: turnUsd }); // spent: at the budget already
    await a.idle(12);
    assert.equal((await pings(a.stack)).length, 0, 'over its budget: its turns are refused, so no pings either');
  } finally {
    await a.stack.close();
  }
  const b = await setup();
  try {
    await b.turn('first');
    const turnUsd = (await b.stack.turns()).at(-1)!.cost_usd!;
    await b.stack.app.deps.keys.setBudget(b.stack.keyId, { day: turnUsd + 0.0001 }); // room for less than one ping
    await b.idle(12);
    assert.equal((await pings(b.stack)).length, 1, 'the first ping put the key over its budget: no second one');
    // And the client's next turn is refused: the ping's cost was counted as the key's spend.
    await assert.rejects(b.turn('second'), (err: { status?: number }) => err.status === 429);
  } finally {
    await b.stack.close();
  }
});

test('pings due in the same tick see each other in the budget: many idle sessions of one key do not overshoot it', async () => {
  // One ping of this ~6k-token prefix reads about $0.0018 at Sonnet prices: the budget allows two.
  const { stack, idle } = await setup({}, (c) => ({ ...c, keepalive: { ...c.keepalive, budgetUsdPerKeyDay: 0.0025 } }));
  try {
    const client = new Anthropic({ apiKey: stack.key, baseURL: stack.anthropicBase, maxRetries: 0 });
    for (let i = 0; i < 6; i++) {
      await client.messages.create({
        model: 'claude-sonnet-4-6', max_tokens: 64, system: SYSTEM, messages: [{ role: 'user', content: `Task ${i}.` }],
        metadata: { user_id: JSON.stringify({ session_id: `ka-many-${i}` }) },
      });
    }
    assert.equal(stack.app.deps.keepalive.size, 6);
    await idle(5); // every session's ping falls due in the same tick
    const p = await pings(stack);
    const spent = p.reduce((n, r) => n + r.cost_usd!, 0);
    assert.ok(p.length >= 1 && p.length <= 2, `${p.length} pings for a budget of two`);
    assert.ok(spent < 0.0025 + p[0]!.cost_usd!, `ping spend $${spent.toFixed(4)}: at most one ping past the budget`);
  } finally {
    await stack.close();
  }
});
