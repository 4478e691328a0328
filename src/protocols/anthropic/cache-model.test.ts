import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CacheStore, computeCacheUsage, markResponseBegun, planCache } from './cache-model.ts';
import { buildPrompt } from './prompt.ts';
import { MINUTE, T0, cc, filler, request, run, text } from '../../simulator/test-fixtures.ts';
import type { JsonObject } from '../../json/json-object.ts';
import type { MessagesRequest } from './wire.ts';

/** Tokens of the prefix ending at the block with this path. */
function prefixTokens(body: MessagesRequest, path: string): number {
  const position = buildPrompt(body).positions.find((p) => p.path === path);
  assert.ok(position, `no position ${path}`);
  return position.cumulativeTokens;
}

const BIG = filler(1500, 'big');

/** Turn 1 of a conversation: one big user block with a breakpoint. */
function turn1(): MessagesRequest {
  return request({ messages: [{ role: 'user', content: [text(BIG, true)] }] });
}

/** `n` extra user blocks after the big one, the last of them marked. */
function withExtraBlocks(n: number): MessagesRequest {
  const extra = Array.from({ length: n }, (_, i) => text(`extra ${i}`, i === n - 1 ? true : undefined));
  return request({ messages: [{ role: 'user', content: [text(BIG), ...extra] }] });
}

test('a prefix below the model minimum neither writes nor reads, with no error', () => {
  const store = new CacheStore();
  const small = request({ messages: [{ role: 'user', content: [text(filler(500), true)] }] });
  for (const start of [T0, T0 + 1000]) {
    const plan = run(store, small, start);
    assert.equal(plan.usage.cache_creation_input_tokens, 0);
    assert.equal(plan.usage.cache_read_input_tokens, 0);
    assert.equal(plan.usage.input_tokens, buildPrompt(small).totalTokens);
  }
  // The same 2000-token prompt caches on Sonnet 4.6 (minimum 1024) but not on Haiku 4.5 (4096).
  const mid = (model: string): MessagesRequest =>
    request({ model, messages: [{ role: 'user', content: [text(filler(2000), true)] }] });
  assert.ok(run(store, mid('claude-sonnet-4-6'), T0).usage.cache_creation_input_tokens > 0);
  const haiku = run(store, mid('claude-haiku-4-5-20251001'), T0);
  assert.equal(haiku.usage.cache_creation_input_tokens, 0);
  assert.equal(haiku.usage.cache_read_input_tokens, 0);
  assert.equal(store.entries.size, 1);
});

test('turn 2 reads exactly the prefix turn 1 wrote and writes the rest', () => {
  const store = new CacheStore();
  const first = turn1();
  const written = prefixTokens(first, 'messages.0.content.0');
  const p1 = run(store, first, T0);
  assert.deepEqual(p1.usage, computeCacheUsage(written, 0, 0, written));
  assert.equal(p1.usage.cache_creation_input_tokens, written);
  assert.equal(p1.usage.input_tokens, 0);

  const second = request({
    messages: [
      { role: 'user', content: [text(BIG)] },
      { role: 'assistant', content: 'answer' },
      { role: 'user', content: [text('next question', true)] },
    ],
  });
  const total = buildPrompt(second).totalTokens;
  const p2 = run(store, second, T0 + MINUTE);
  assert.equal(p2.usage.cache_read_input_tokens, written);
  assert.equal(p2.usage.cache_creation_input_tokens, total - written);
  assert.equal(p2.usage.cache_creation.ephemeral_5m_input_tokens, total - written);
  assert.equal(p2.usage.input_tokens, 0);
  // Identity: the three counters add up to the whole prompt.
  const u = p2.usage;
  assert.equal(u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens, total);
});

test('tokens after the last breakpoint are input_tokens', () => {
  const store = new CacheStore();
  const body = request({ messages: [{ role: 'user', content: [text(BIG, true), text('uncached tail')] }] });
  const plan = run(store, body, T0);
  const cached = prefixTokens(body, 'messages.0.content.0');
  assert.equal(plan.usage.cache_creation_input_tokens, cached);
  assert.equal(plan.usage.input_tokens, buildPrompt(body).totalTokens - cached);
});

test('5m lifetime from the start of the writing request: hit at 4:59, miss at 5:00 and 5:01', () => {
  for (const [after, hit] of [
    [4 * MINUTE + 59_000, true],
    [5 * MINUTE, false],
    [5 * MINUTE + 1000, false],
  ] as const) {
    const store = new CacheStore();
    run(store, turn1(), T0);
    const plan = run(store, turn1(), T0 + after);
    assert.equal(plan.usage.cache_read_input_tokens > 0, hit, `read after ${after} ms`);
    assert.equal(plan.usage.cache_creation_input_tokens > 0, !hit);
  }
});

test('a hit refreshes the lifetime from the reading request start', () => {
  const store = new CacheStore();
  run(store, turn1(), T0);
  assert.ok(run(store, turn1(), T0 + 4 * MINUTE).hit, 'hit at 4:00');
  assert.ok(run(store, turn1(), T0 + 8 * MINUTE).hit, 'hit at 8:00 thanks to the refresh at 4:00');
  assert.equal(run(store, turn1(), T0 + 13 * MINUTE + 1).hit, null, 'miss 5:00 after the last read');
});

test('a 1h entry survives 30 minutes; a 5m one does not', () => {
  const oneHour = request({ messages: [{ role: 'user', content: [text(BIG, '1h')] }] });
  const store = new CacheStore();
  const write = run(store, oneHour, T0);
  assert.equal(write.usage.cache_creation.ephemeral_1h_input_tokens, write.c);
  assert.equal(write.usage.cache_creation.ephemeral_5m_input_tokens, 0);
  assert.ok(run(store, oneHour, T0 + 30 * MINUTE).hit);
  assert.ok(run(store, oneHour, T0 + 89 * MINUTE).hit, 'refreshed at 30:00');

  const fiveMinutes = new CacheStore();
  run(fiveMinutes, turn1(), T0);
  assert.equal(run(fiveMinutes, turn1(), T0 + 30 * MINUTE).hit, null);
});

test('an entry is readable only once the writing response has begun', () => {
  const store = new CacheStore();
  const writer = run(store, turn1(), T0, { begin: false });
  assert.ok(writer.writes.length > 0);
  // A parallel request with the same prefix misses and writes too (protocols.md 2.7).
  const parallel = run(store, turn1(), T0, { begin: false });
  assert.equal(parallel.hit, null);
  assert.equal(parallel.usage.cache_creation_input_tokens, writer.usage.cache_creation_input_tokens);

  // A request that started before the writer's response began misses even when evaluated later.
  const earlyTick = store.currentTick();
  markResponseBegun(store, writer, T0 + 2000);
  const prompt = buildPrompt(turn1());
  const early = planCache(store, { scope: `key\u0000claude-sonnet-4-6`, model: 'claude-sonnet-4-6', prompt, startMs: T0 + 1000, startTick: earlyTick });
  assert.equal(early.hit, null);
  // Same clock reading as the writer's response start (a ManualClock that did not move), but the
  // request arrived before it: still a miss.
  const sameMs = planCache(store, { scope: `key\u0000claude-sonnet-4-6`, model: 'claude-sonnet-4-6', prompt, startMs: T0 + 2000, startTick: earlyTick });
  assert.equal(sameMs.hit, null);
  assert.ok(planCache(store, { scope: `key\u0000claude-sonnet-4-6`, model: 'claude-sonnet-4-6', prompt, startMs: T0 + 2000 }).hit);
  assert.ok(run(store, turn1(), T0 + 3000).hit, 'a later request hits');
});

test('lookback: 20 positions per breakpoint, counting the breakpoint itself', () => {
  for (const [extra, hit] of [
    [19, true],
    [20, false],
    [21, false],
  ] as const) {
    const store = new CacheStore();
    run(store, turn1(), T0);
    const plan = run(store, withExtraBlocks(extra), T0 + 1000);
    assert.equal(plan.hit !== null, hit, `breakpoint ${extra} positions after the write`);
    if (hit) assert.equal(plan.usage.cache_read_input_tokens, prefixTokens(turn1(), 'messages.0.content.0'));
    else assert.equal(plan.usage.cache_creation_input_tokens, buildPrompt(withExtraBlocks(extra)).totalTokens);
  }
});

test('lookback continues from an earlier breakpoint', () => {
  const store = new CacheStore();
  run(store, turn1(), T0);
  const body = withExtraBlocks(40);
  const content = body.messages[0]?.content as JsonObject[];
  (content[10] as JsonObject).cache_control = cc(); // a second breakpoint near the previous write
  const plan = run(store, body, T0 + 1000);
  assert.equal(plan.usage.cache_read_input_tokens, prefixTokens(turn1(), 'messages.0.content.0'));
});

test('a run of 30 consecutive tool_result blocks counts as one lookback position', () => {
  const toolUses = Array.from({ length: 30 }, (_, i) => ({ type: 'tool_use', id: `t${i}`, name: 'Read', input: { i } }));
  const results = Array.from({ length: 30 }, (_, i): JsonObject => ({ type: 'tool_result', tool_use_id: `t${i}`, content: `r${i}` }));
  (results[29] as JsonObject).cache_control = cc();
  const conversation = (last: JsonObject[]): MessagesRequest =>
    request({
      messages: [
        { role: 'user', content: [text(BIG)] },
        { role: 'assistant', content: [text('reading'), ...toolUses] },
        { role: 'user', content: last },
      ],
    });
  const store = new CacheStore();
  run(store, turn1(), T0);
  const plan = run(store, conversation(results), T0 + 1000);
  assert.equal(plan.usage.cache_read_input_tokens, prefixTokens(turn1(), 'messages.0.content.0'));

  // Control: the same number of text blocks is 30 positions and misses.
  const texts = Array.from({ length: 30 }, (_, i) => text(`r${i}`, i === 29 ? true : undefined));
  const control = new CacheStore();
  run(control, turn1(), T0);
  assert.equal(run(control, conversation(texts), T0 + 1000).hit, null);
});

test('mixed TTL billing: reads A, 1h writes B-A, 5m writes C-B', () => {
  const tools = [{ name: 'Read', description: filler(1100, 'tool'), input_schema: { type: 'object' }, cache_control: cc('1h') }];
  const system = [text(filler(600, 'sys'), '1h')];
  const body = (systemText: string, question: string): MessagesRequest =>
    request({
      tools,
      system: [text(systemText, '1h')],
      messages: [{ role: 'user', content: [text(question, '5m'), text('tail after the last breakpoint')] }],
    });
  const first = body(system[0]?.text as string, `question ${filler(50)}`);
  const t = prefixTokens(first, 'tools.0');
  const s = prefixTokens(first, 'system.0');
  const q = prefixTokens(first, 'messages.0.content.0');
  const total = buildPrompt(first).totalTokens;

  const store = new CacheStore();
  const p1 = run(store, first, T0);
  assert.deepEqual([p1.a, p1.b, p1.c], [0, s, q]);
  assert.deepEqual(p1.usage, {
    input_tokens: total - q,
    cache_creation_input_tokens: q,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: q - s, ephemeral_1h_input_tokens: s },
  });

  // Same tools and system, new question: read up to system (A), no 1h beyond A, 5m = C - A.
  const second = body(system[0]?.text as string, `another ${filler(50)}`);
  const q2 = prefixTokens(second, 'messages.0.content.0');
  const p2 = run(store, second, T0 + 1000);
  assert.deepEqual([p2.a, p2.b, p2.c], [s, 0, q2]);
  assert.deepEqual(p2.usage.cache_creation, { ephemeral_5m_input_tokens: q2 - s, ephemeral_1h_input_tokens: 0 });
  assert.equal(p2.usage.cache_read_input_tokens, s);

  // Changed system: read the tools prefix (A), 1h write up to the system breakpoint (B), 5m to C.
  const third = body(filler(600, 'sys2'), `question ${filler(50)}`);
  const s3 = prefixTokens(third, 'system.0');
  const q3 = prefixTokens(third, 'messages.0.content.0');
  const p3 = run(store, third, T0 + 2000);
  assert.deepEqual([p3.a, p3.b, p3.c], [t, s3, q3]);
  assert.deepEqual(p3.usage, {
    input_tokens: buildPrompt(third).totalTokens - q3,
    cache_creation_input_tokens: q3 - t,
    cache_read_input_tokens: t,
    cache_creation: { ephemeral_5m_input_tokens: q3 - s3, ephemeral_1h_input_tokens: s3 - t },
  });
});

test('Claude Code style: the message marker moves every turn and still reads the previous turn', () => {
  const system = [text('x-anthropic-billing-header: cc_version=2.1.197'), text('You are a Claude agent.', true), text(filler(1500, 'main'), true)];
  const tools = [{ name: 'Bash', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }];
  const messages: MessagesRequest['messages'] = [{ role: 'user', content: [text('<reminder>'), text('fix the bug', true)] }];
  const store = new CacheStore();
  let previousTotal = 0;
  for (let turn = 1; turn <= 4; turn++) {
    const body = request({ system, tools, messages: structuredClone(messages) });
    const total = buildPrompt(body).totalTokens;
    const plan = run(store, body, T0 + turn * 10_000);
    if (turn === 1) {
      assert.equal(plan.usage.cache_read_input_tokens, 0);
      assert.equal(plan.usage.cache_creation_input_tokens, total);
    } else {
      assert.equal(plan.usage.cache_read_input_tokens, previousTotal, `turn ${turn} reads all of turn ${turn - 1}`);
      assert.equal(plan.usage.cache_creation_input_tokens, total - previousTotal);
    }
    previousTotal = total;
    // Next turn: drop the marker from the old last block, answer with a tool call, mark the result.
    for (const message of messages) {
      if (Array.isArray(message.content)) for (const block of message.content) delete block.cache_control;
    }
    messages.push(
      { role: 'assistant', content: [text(`step ${turn}`), { type: 'tool_use', id: `toolu_${turn}`, name: 'Bash', input: { command: 'ls' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${turn}`, content: `out ${turn}`, cache_control: cc() }] },
    );
  }
});

test('automatic caching: the top-level breakpoint follows the conversation', () => {
  const store = new CacheStore();
  const messages: MessagesRequest['messages'] = [{ role: 'user', content: BIG }];
  const first = run(store, request({ messages, cache_control: cc() }), T0);
  assert.equal(first.usage.cache_creation_input_tokens, buildPrompt(request({ messages })).totalTokens);
  messages.push({ role: 'assistant', content: 'ok' }, { role: 'user', content: 'more' });
  const second = run(store, request({ messages, cache_control: cc() }), T0 + 1000);
  assert.equal(second.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
  assert.equal(second.usage.input_tokens, 0);
});

test('the cache is scoped per API key and per model', () => {
  const store = new CacheStore();
  run(store, turn1(), T0, { scope: 'key-a\u0000claude-sonnet-4-6' });
  assert.equal(run(store, turn1(), T0 + 1000, { scope: 'key-b\u0000claude-sonnet-4-6' }).hit, null);
  assert.ok(run(store, turn1(), T0 + 2000, { scope: 'key-a\u0000claude-sonnet-4-6' }).hit);
});

test('nothing is cached behind a breakpoint implicitly', () => {
  const store = new CacheStore();
  // Turn 1 writes only at its breakpoint (the second block), not at the first block.
  run(store, request({ messages: [{ role: 'user', content: [text(BIG), text('q1', true)] }] }), T0);
  const plan = run(store, request({ messages: [{ role: 'user', content: [text(BIG), text('q2', true)] }] }), T0 + 1000);
  assert.equal(plan.hit, null);
});

test('expired entries are never read, and are swept out at most once a second of clock time', () => {
  const store = new CacheStore();
  const entry = (expiresAt: number) => ({ tokens: 2000, ttl: '5m' as const, expiresAt, readable: true, readableAt: T0, readableTick: 0, writtenAt: T0 });
  store.prune(T0); // the first sweep
  store.entries.set(CacheStore.key('s', 'a'), entry(T0 + 100));
  store.entries.set(CacheStore.key('s', 'b'), entry(T0 + 10 * MINUTE));
  assert.equal(store.lookup('s', 'a', T0 + 500, 1), undefined, 'expired: never read');
  store.prune(T0 + 500);
  assert.equal(store.entries.size, 2, 'no second sweep within a second');
  store.prune(T0 + 1000);
  assert.deepEqual([...store.entries.keys()], [CacheStore.key('s', 'b')], 'the next sweep drops only the expired entry');
  assert.ok(store.lookup('s', 'b', T0 + 1000, 1));
});
