/**
 * The official @anthropic-ai/sdk against a running Synrouter and the simulator: streaming and not,
 * a tool-use loop, count_tokens and models; every ledger row equals the usage the simulator reported.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startStack, type Stack } from './support/stack.ts';

let stack: Stack;
let client: Anthropic;
before(async () => {
  stack = await startStack();
  client = new Anthropic({ apiKey: stack.key, baseURL: stack.anthropicBase, maxRetries: 0 });
});
after(() => stack.close());

const SYSTEM = 'You are a careful assistant. '.repeat(400); // ~3k tokens: above the 1,024-token minimum
const tools: Anthropic.Tool[] = [{ name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];

function messageRequests() {
  return stack.sim.requests.filter((r) => r.path.startsWith('/v1/messages') && !r.path.includes('count_tokens'));
}

async function assertLedgerMatchesSimulator(fromTurn: number) {
  const rows = (await stack.turns()).slice(fromTurn);
  const sims = messageRequests().slice(fromTurn);
  assert.equal(rows.length, sims.length, 'one ledger row per upstream turn');
  rows.forEach((row, i) => {
    const u = sims[i]!.usage!;
    assert.deepEqual(
      [row.input_tokens, row.cache_read_tokens, row.cache_write_5m_tokens, row.cache_write_1h_tokens, row.output_tokens],
      [u.input_tokens, u.cache_read_input_tokens, u.cache_creation?.ephemeral_5m_input_tokens, u.cache_creation?.ephemeral_1h_input_tokens, u.output_tokens],
      `ledger row ${i} equals the simulator's usage`,
    );
    assert.equal(row.status, 200);
    assert.equal(row.key_id, stack.keyId);
  });
  return rows;
}

async function toolLoop(stream: boolean): Promise<Anthropic.Message[]> {
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'What is the weather in Paris? Check it.' }];
  const replies: Anthropic.Message[] = [];
  for (let i = 0; i < 10; i++) {
    const params = { model: 'claude-sonnet-4-6', max_tokens: 1024, system: [{ type: 'text' as const, text: SYSTEM, cache_control: { type: 'ephemeral' as const } }], tools, messages };
    const reply = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
    replies.push(reply);
    messages.push({ role: 'assistant', content: reply.content });
    if (reply.stop_reason !== 'tool_use') break;
    const calls = reply.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    messages.push({ role: 'user', content: calls.map((c) => ({ type: 'tool_result' as const, tool_use_id: c.id, content: `Sunny, 21C (call ${c.id})` })) });
  }
  return replies;
}

test('non-streaming tool-use loop completes and every turn is in the ledger with the simulator usage', async () => {
  const start = (await stack.turns()).length;
  const replies = await toolLoop(false);
  assert.ok(replies.length >= 2, 'the model called a tool at least once');
  assert.equal(replies.at(-1)!.stop_reason, 'end_turn');
  assert.equal(replies[0]!.content.find((b) => b.type === 'tool_use')?.name, 'get_weather');
  const rows = await assertLedgerMatchesSimulator(start);
  assert.ok(rows.slice(1).every((r) => r.cache_read_tokens > 0), 'later turns read the cached system prompt');
  assert.ok(rows.every((r) => r.streamed === 0 && r.response_model === 'claude-sonnet-4-6' && r.provider === 'anthropic'));
  // Sonnet 4.6: $3 in, $0.30 read, $3.75 5m write, $15 out per MTok (protocols.md §3.1).
  for (const r of rows) {
    const expected = (r.input_tokens * 3 + r.cache_read_tokens * 0.3 + r.cache_write_5m_tokens * 3.75 + r.cache_write_1h_tokens * 6 + r.output_tokens * 15) / 1e6;
    assert.ok(Math.abs(r.cost_usd! - expected) < 1e-12, 'cost at the response model prices');
    const direct = ((r.input_tokens + r.cache_read_tokens + r.cache_write_5m_tokens + r.cache_write_1h_tokens) * 3 + r.output_tokens * 15) / 1e6;
    assert.ok(Math.abs(r.cost_direct_usd! - direct) < 1e-12, 'direct cost = the same tokens uncached');
  }
});

test('streaming tool-use loop: SDK assembles the stream; ledger equals the simulator usage', async () => {
  const start = (await stack.turns()).length;
  const replies = await toolLoop(true);
  assert.equal(replies.at(-1)!.stop_reason, 'end_turn');
  const tu = replies[0]!.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
  assert.deepEqual(Object.keys(tu.input as object), ['city'], 'input_json_delta fragments were reassembled');
  const rows = await assertLedgerMatchesSimulator(start);
  assert.ok(rows.every((r) => r.streamed === 1 && r.ttfb_ms !== null && r.ttfb_ms >= 0));
});

test('a product model id is rewritten to the provider id and the price follows the response model', async () => {
  const start = (await stack.turns()).length;
  const reply = await client.messages.create({ model: 'anthropic/claude-opus-4.8', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(reply.model, 'claude-opus-4-8');
  const last = stack.sim.requests.at(-1)!;
  assert.equal((last.body as { model: string }).model, 'claude-opus-4-8');
  const [row] = (await stack.turns()).slice(start);
  assert.equal(row!.requested_model, 'anthropic/claude-opus-4.8');
  assert.equal(row!.response_model, 'claude-opus-4-8');
  assert.ok(Math.abs(row!.cost_usd! - (row!.input_tokens * 5 + row!.output_tokens * 25) / 1e6) < 1e-12);
});

test('a -fast id is fast mode: speed "fast" with its beta flag on Anthropic direct, without one on OpenRouter; priced at fast rates', async () => {
  const reply = await client.messages.create({ model: 'anthropic/claude-opus-4.8-fast', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'anthropic-beta': 'context-1m-2025-08-07' } });
  assert.equal(reply.model, 'claude-opus-4-8');
  const sent = stack.sim.requests.at(-1)!;
  assert.equal(sent.status, 200, 'the simulator refuses speed "fast" on Anthropic without fast-mode-2026-02-01');
  assert.equal((sent.body as { speed?: string }).speed, 'fast');
  assert.equal(sent.headers['anthropic-beta'], 'context-1m-2025-08-07,fast-mode-2026-02-01', "the client's betas stay, the flag is added");
  const row = (await stack.turns()).at(-1)!;
  assert.ok(Math.abs(row.cost_usd! - (row.input_tokens * 10 + row.output_tokens * 50) / 1e6) < 1e-12, 'fast-mode prices');
  // Opus 4.7 has no fast mode: its -fast id runs at standard speed rather than failing.
  await client.messages.create({ model: 'anthropic/claude-opus-4.7-fast', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal((stack.sim.requests.at(-1)!.body as { speed?: string }).speed, undefined);

  const or = await startStack({ openrouterToSimulator: true, env: { SYNROUTER_ANTHROPIC_API_KEY: '', SYNROUTER_OPENROUTER_API_KEY: 'or-key' } });
  try {
    const orClient = new Anthropic({ apiKey: or.key, baseURL: or.anthropicBase, maxRetries: 0 });
    await orClient.messages.create({ model: 'anthropic/claude-opus-4.8-fast', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    const viaOr = or.sim.requests.at(-1)!;
    assert.equal(viaOr.status, 200);
    assert.equal((viaOr.body as { model: string; speed?: string }).model, 'anthropic/claude-opus-4.8');
    assert.equal((viaOr.body as { speed?: string }).speed, 'fast');
    assert.equal(viaOr.headers['anthropic-beta'], undefined, 'OpenRouter takes speed on the regular id, no beta flag');
  } finally {
    await or.close();
  }
});

test('count_tokens answers through Synrouter', async () => {
  const counted = await client.messages.countTokens({ model: 'claude-sonnet-4-6', system: SYSTEM, messages: [{ role: 'user', content: 'hi' }] });
  assert.ok(counted.input_tokens > 1000);
});

const CLAUDE_IDS = ['claude-opus-4-8', 'claude-opus-4-8-fast', 'claude-opus-4-7', 'claude-opus-4-7-fast', 'claude-sonnet-4-6', 'claude-opus-4-6', 'claude-opus-4-6-fast', 'claude-haiku-4-5'];

test('models.list() answers as Anthropic\'s List Models API: bare Claude ids, newest first, auto-pagination both ways; each listed id works', async () => {
  const page = await client.models.list();
  assert.equal(page.data.length, 20, 'the default page size');
  assert.equal(page.has_more, true);
  assert.deepEqual(page.data.slice(0, CLAUDE_IDS.length).map((m) => m.id), CLAUDE_IDS, 'Claude models first, newest first, by their Anthropic ids');
  const opus = page.data[0]!;
  assert.deepEqual(
    [opus.type, opus.display_name, opus.created_at, opus.max_input_tokens, opus.max_tokens],
    ['model', 'Claude Opus 4.8', '2026-05-28T00:00:00Z', 1_000_000, 128_000],
  );
  // Auto-pagination: after_id = last_id while has_more.
  const all: Anthropic.ModelInfo[] = [];
  for await (const m of client.models.list({ limit: 5 })) all.push(m);
  assert.equal(all.length, 27, 'every registry model, once');
  assert.equal(new Set(all.map((m) => m.id)).size, 27);
  assert.deepEqual(all.filter((m) => m.id.startsWith('claude-')).map((m) => m.id), CLAUDE_IDS);
  assert.ok(!all.some((m) => m.id.startsWith('anthropic/')), 'no vendor ids for Claude models on the Anthropic side');
  assert.ok(all.some((m) => m.id === 'openai/gpt-5.5'), 'other models keep their product ids');
  for (const m of all) {
    assert.equal(m.type, 'model');
    assert.ok(m.display_name);
    assert.match(m.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
  // Backward from the last one: before_id = first_id while has_more.
  const back: string[] = [];
  for await (const m of client.models.list({ limit: 4, before_id: all.at(-1)!.id })) back.push(m.id);
  assert.deepEqual(back.sort(), all.slice(0, -1).map((m) => m.id).sort());
  // The SDK says what Synrouter refuses.
  await assert.rejects(client.models.list({ limit: 5000 }), (e: unknown) => e instanceof Anthropic.BadRequestError && /limit/.test(e.message));
  // An id from the list is a model /messages takes, and the reply names the Anthropic model.
  const fast: string[] = [];
  for (const id of CLAUDE_IDS) {
    const reply = await client.messages.create({ model: id, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(reply.model, id.replace(/-fast$/, ''), id);
    if ((stack.sim.requests.at(-1)!.body as { speed?: string }).speed === 'fast') fast.push(id);
  }
  assert.deepEqual(fast, ['claude-opus-4-8-fast'], 'fast mode where the model has it (Opus 4.7 and 4.6 -fast run at standard speed)');
});

test('client headers are forwarded, auth is replaced by the provider key, the unknown beta passes to Anthropic direct', async () => {
  await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'prompt-caching-scope-2026-01-05,context-1m-2025-08-07', 'x-app': 'cli' } });
  const h = stack.sim.requests.at(-1)!.headers;
  assert.equal(h['x-api-key'], 'sim-key');
  assert.equal(h.authorization, undefined);
  assert.equal(h['anthropic-version'], '2023-06-01');
  assert.equal(h['anthropic-beta'], 'prompt-caching-scope-2026-01-05,context-1m-2025-08-07');
  assert.equal(h['x-app'], 'cli');
  assert.ok(!JSON.stringify(h).includes(stack.key), 'the client key never reaches the upstream');
});

test('Bearer auth works like x-api-key (Claude Code with ANTHROPIC_AUTH_TOKEN)', async () => {
  const bearer = new Anthropic({ authToken: stack.key, apiKey: null, baseURL: stack.anthropicBase, maxRetries: 0 });
  const reply = await bearer.messages.create({ model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(reply.type, 'message');
});
