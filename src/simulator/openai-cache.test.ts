import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  OPENAI_CACHE_TTL_MS,
  OpenAICacheStore,
  cachedTokensFor,
  commitOpenAICache,
  evaluateOpenAICache,
  openAICacheScope,
  planOpenAICache,
  type OpenAICachePlan,
} from './openai-cache.ts';
import { chatPrompt, responsesPrompt, type OpenAIPrompt } from './openai-prompt.ts';
import { MINUTE, T0, filler } from './test-fixtures.ts';
import type { JsonObject } from '../json/json-object.ts';

function chat(messages: JsonObject[], extra: JsonObject = {}): JsonObject {
  return { model: 'gpt-5.5', messages, ...extra };
}

const system = { role: 'system', content: filler(1500, 'system') };

/** Runs one request through the cache as the simulator does: arrive at `atMs`, begin the response at once. */
function run(store: OpenAICacheStore, prompt: OpenAIPrompt, atMs: number, scope = openAICacheScope('k', 'gpt-5.5', undefined, prompt)): OpenAICachePlan {
  const plan = evaluateOpenAICache(store, { scope, prompt, startMs: atMs });
  commitOpenAICache(store, plan);
  return plan;
}

test('token count: ceil(UTF-8 bytes / 4) per unit (tools, each message), summed', () => {
  const tools = [{ type: 'function', function: { name: 'f', parameters: {} } }];
  const body = chat([system, { role: 'user', content: 'héllo' }], { tools });
  const prompt = chatPrompt(body);
  const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v), 'utf8');
  const canonical = [
    tools,
    { role: 'system', content: [{ type: 'text', text: system.content }] },
    { role: 'user', content: [{ type: 'text', text: 'héllo' }] },
  ];
  const expected = canonical.map((v) => Math.ceil(bytes(v) / 4));
  assert.deepEqual(
    prompt.units.map((u) => u.tokens),
    expected,
  );
  assert.equal(prompt.totalTokens, expected.reduce((a, b) => a + b, 0));
  assert.deepEqual(prompt.units.map((u) => u.kind), ['tools', 'message:system', 'message:user']);
});

test('canonical form: string and part content, easy-form items, ids and markers do not change the prompt', () => {
  const a = chatPrompt(chat([{ role: 'user', content: 'hi' }]));
  const b = chatPrompt(chat([{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] }]));
  assert.equal(a.units[0]?.hash, b.units[0]?.hash);

  const r1 = responsesPrompt({ model: 'm', instructions: 'be brief', input: 'hi' });
  const r2 = responsesPrompt({
    model: 'm',
    instructions: 'be brief',
    input: [{ type: 'message', id: 'msg_123', role: 'user', content: [{ type: 'input_text', text: 'hi', prompt_cache_breakpoint: { mode: 'explicit' } }] }],
  });
  assert.deepEqual(r1.units.map((u) => u.hash), r2.units.map((u) => u.hash));
  assert.deepEqual(r1.units.map((u) => u.kind), ['instructions', 'message']);

  const other = responsesPrompt({ model: 'm', instructions: 'be brief', input: 'hi!' });
  assert.notEqual(other.units[1]?.hash, r1.units[1]?.hash);
  assert.equal(other.units[0]?.hash, r1.units[0]?.hash, 'the hash chains: equal heads, equal hashes');
});

test('cachedTokensFor: whole 128-token increments, nothing under 1024', () => {
  assert.equal(cachedTokensFor(1023), 0);
  assert.equal(cachedTokensFor(1024), 1024);
  assert.equal(cachedTokensFor(1151), 1024);
  assert.equal(cachedTokensFor(1152), 1152);
  assert.equal(cachedTokensFor(5000), 4992);
});

test('a second request sharing a long prefix reads it: multiple of 128, >= 1024, <= the shared prefix', () => {
  const store = new OpenAICacheStore();
  const first = chatPrompt(chat([system, { role: 'user', content: 'task one' }]));
  const p1 = run(store, first, T0);
  assert.equal(p1.cachedTokens, 0, 'a cold cache reads nothing');
  assert.ok(first.totalTokens >= 1024);

  const second = chatPrompt(chat([system, { role: 'user', content: 'task one' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'go on' }]));
  const p2 = run(store, second, T0 + MINUTE);
  assert.equal(p2.sharedTokens, first.totalTokens, 'the whole first prompt is a prefix of the second');
  assert.equal(p2.cachedTokens, Math.floor(first.totalTokens / 128) * 128);
  assert.equal(p2.cachedTokens % 128, 0);
  assert.ok(p2.cachedTokens >= 1024 && p2.cachedTokens <= p2.sharedTokens);

  // A request that diverges after the system message shares only tools+system.
  const third = chatPrompt(chat([system, { role: 'user', content: 'another task' }]));
  const p3 = run(store, third, T0 + 2 * MINUTE);
  const systemTokens = third.units[0]?.cumulativeTokens ?? 0;
  assert.equal(p3.sharedTokens, systemTokens);
  assert.equal(p3.cachedTokens, Math.floor(systemTokens / 128) * 128);
});

test('prompts under 1024 tokens are never cached', () => {
  const store = new OpenAICacheStore();
  const short = chatPrompt(chat([{ role: 'system', content: filler(900, 'short') }, { role: 'user', content: 'hi' }]));
  assert.ok(short.totalTokens < 1024);
  const p1 = run(store, short, T0);
  assert.deepEqual(p1.writes, []);
  assert.equal(store.entries.size, 0);
  const p2 = run(store, short, T0 + 1000);
  assert.equal(p2.cachedTokens, 0);
});

test('a shared prefix under 1024 tokens reads nothing even when both prompts are long', () => {
  const store = new OpenAICacheStore();
  const head = { role: 'system', content: filler(600, 'head') };
  run(store, chatPrompt(chat([head, { role: 'user', content: filler(800, 'a') }])), T0);
  const p = run(store, chatPrompt(chat([head, { role: 'user', content: filler(800, 'b') }])), T0 + 1000);
  assert.equal(p.cachedTokens, 0);
  assert.equal(p.sharedTokens, 0, 'the 600-token head was never stored (prefixes under 1024 are not)');
});

test('scope: API key, model and prompt_cache_key isolate; without a key the prompt head routes', () => {
  const store = new OpenAICacheStore();
  const prompt = chatPrompt(chat([system, { role: 'user', content: 'x' }]));
  const scope = (key: string, model: string, cacheKey?: string): string => openAICacheScope(key, model, cacheKey, prompt);
  run(store, prompt, T0, scope('k', 'gpt-5.5', 'thread-1'));
  assert.equal(run(store, prompt, T0 + 1, scope('k', 'gpt-5.5', 'thread-2')).cachedTokens, 0, 'different prompt_cache_key');
  assert.equal(run(store, prompt, T0 + 2, scope('other', 'gpt-5.5', 'thread-1')).cachedTokens, 0, 'different API key');
  assert.equal(run(store, prompt, T0 + 3, scope('k', 'openai/gpt-5.5', 'thread-1')).cachedTokens, 0, 'different model');
  assert.ok(run(store, prompt, T0 + 4, scope('k', 'gpt-5.5', 'thread-1')).cachedTokens >= 1024, 'same key');

  // No prompt_cache_key: the hash of the first ~256 tokens is part of the scope.
  const a = chatPrompt(chat([{ role: 'system', content: filler(1500, 'A') }]));
  const b = chatPrompt(chat([{ role: 'system', content: filler(1500, 'B') }]));
  assert.notEqual(openAICacheScope('k', 'm', undefined, a), openAICacheScope('k', 'm', undefined, b));
  const sameHead = chatPrompt(chat([{ role: 'system', content: filler(1500, 'A') }, { role: 'user', content: 'later' }]));
  assert.equal(openAICacheScope('k', 'm', undefined, a), openAICacheScope('k', 'm', undefined, sameHead));
});

test('lifetime: 10 minutes idle from the last use; a hit refreshes it', () => {
  const store = new OpenAICacheStore();
  const prompt = chatPrompt(chat([system, { role: 'user', content: 'x' }]));
  run(store, prompt, T0);
  assert.ok(run(store, prompt, T0 + 9 * MINUTE).cachedTokens > 0, 'alive at 9 minutes');
  // The hit at 9 minutes refreshed the entry to 19 minutes.
  assert.ok(run(store, prompt, T0 + 18 * MINUTE).cachedTokens > 0, 'refreshed by the hit');
  assert.equal(run(store, prompt, T0 + 18 * MINUTE + OPENAI_CACHE_TTL_MS).cachedTokens, 0, 'expired after 10 idle minutes');
});

test('entries are written when the response begins, not on arrival', () => {
  const store = new OpenAICacheStore();
  const prompt = chatPrompt(chat([system, { role: 'user', content: 'x' }]));
  const scope = openAICacheScope('k', 'gpt-5.5', undefined, prompt);
  const pending = evaluateOpenAICache(store, { scope, prompt, startMs: T0 });
  assert.equal(planOpenAICache(store, { scope, prompt, startMs: T0 + 1 }).cachedTokens, 0, 'concurrent request misses');
  commitOpenAICache(store, pending);
  assert.ok(planOpenAICache(store, { scope, prompt, startMs: T0 + 2 }).cachedTokens > 0);
});

test('Responses prompts: tools, instructions and items are units; a replayed history extends the prefix', () => {
  const store = new OpenAICacheStore();
  const tools = [{ type: 'function', name: 'exec_command', parameters: { type: 'object' } }];
  const base = { model: 'gpt-5.5', instructions: filler(1300, 'instr'), tools, prompt_cache_key: 't' };
  const turn1 = responsesPrompt({ ...base, input: [{ role: 'user', content: 'list files' }] });
  assert.deepEqual(turn1.units.map((u) => u.kind), ['tools', 'instructions', 'message']);
  const scope = (p: OpenAIPrompt): string => openAICacheScope('k', 'gpt-5.5', 't', p);
  run(store, turn1, T0, scope(turn1));
  const turn2 = responsesPrompt({
    ...base,
    input: [
      { role: 'user', content: 'list files' },
      { type: 'function_call', id: 'fc_1', call_id: 'c1', name: 'exec_command', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c1', output: 'a.txt' },
    ],
  });
  const p2 = run(store, turn2, T0 + MINUTE, scope(turn2));
  assert.equal(p2.sharedTokens, turn1.totalTokens);
  assert.equal(p2.cachedTokens, Math.floor(turn1.totalTokens / 128) * 128);
});
