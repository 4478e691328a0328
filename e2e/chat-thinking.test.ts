/**
 * Claude's thinking through a chat.completions tool loop (issue 22: "the thinking-carry tool loop on a
 * Claude model whose thinking cannot be disabled (chat completions, 8+ tool rounds, no 400, cache
 * reads every turn after the first)"). The official `openai` SDK, as any chat agent drives it (the
 * answer's message appended, one tool message per call, nothing else: a chat client has no field for
 * a signed thinking block), through Synrouter to the Anthropic simulator, which signs its thinking
 * and refuses a tool-loop continuation whose last assistant turn does not open with the block the
 * model wrote for that turn (simulator/thinking.ts).
 *
 * Synrouter keeps each answer's thinking in the session state and puts it back where the client's
 * tool call ids say, so every request goes through, thinking stays on with one config, and every
 * turn after the first reads all the previous turn read and wrote (nothing before the new tail ever
 * changes). Also on a model whose thinking the client asked for (Sonnet 4.6 with reasoning_effort):
 * thinking stays on through the tool loop instead of being switched off at each tool round. On the
 * PostgreSQL store, the same loop alternating between two instances turn by turn (a balancer with no
 * stickiness): the block one instance kept is put back by the other.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { startSynrouter } from '../src/server/http-server.ts';
import { startRoundRobin } from './support/round-robin.ts';
import { startStack, testStore, type Stack } from './support/stack.ts';
import { signThinking, toolStepThought } from '../src/simulator/thinking.ts';

const ROUNDS = 9;

let stack: Stack;
let client: OpenAI;
before(async () => {
  stack = await startStack({ simulator: { rounds: ROUNDS } });
  client = new OpenAI({ apiKey: stack.key, baseURL: stack.openaiBase, maxRetries: 0 });
});
after(() => stack.close());

const SYSTEM = 'You are a coding agent in a large repository; think before you act. '.repeat(120);
const tools: OpenAI.Chat.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'bash', description: 'Run a shell command. '.repeat(40), parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } } },
];

type Block = Record<string, unknown>;
interface Upstream { thinking?: unknown; output_config?: unknown; messages: Array<{ role: string; content: Block[] | string }> }

/** One chat answer, streamed or not, as the client keeps it; plus the reasoning text it was shown. */
async function ask(client: OpenAI, params: Omit<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, 'stream'>, stream: boolean): Promise<{ msg: OpenAI.Chat.ChatCompletionMessageParam & { tool_calls?: OpenAI.Chat.ChatCompletionMessageToolCall[] }; finish: string | null; reasoning: string }> {
  if (!stream) {
    const r = await client.chat.completions.create({ ...params, stream: false });
    const m = r.choices[0]!.message as OpenAI.Chat.ChatCompletionMessage & { reasoning_content?: string };
    // What the client sends back: role, content, tool_calls (reasoning_content is display only).
    return { msg: { role: 'assistant', content: m.content, ...(m.tool_calls ? { tool_calls: m.tool_calls } : {}) }, finish: r.choices[0]!.finish_reason, reasoning: m.reasoning_content ?? '' };
  }
  const calls: Array<{ id: string; name: string; args: string }> = [];
  let content = '';
  let reasoning = '';
  let finish: string | null = null;
  for await (const chunk of await client.chat.completions.create({ ...params, stream: true })) {
    const c = chunk.choices[0];
    if (!c) continue;
    content += c.delta.content ?? '';
    reasoning += (c.delta as { reasoning_content?: string }).reasoning_content ?? '';
    for (const tc of c.delta.tool_calls ?? []) {
      calls[tc.index] ??= { id: '', name: '', args: '' };
      if (tc.id) calls[tc.index]!.id = tc.id;
      if (tc.function?.name) calls[tc.index]!.name = tc.function.name;
      calls[tc.index]!.args += tc.function?.arguments ?? '';
    }
    finish = c.finish_reason ?? finish;
  }
  const toolCalls = calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.args } }));
  return { msg: { role: 'assistant', content: content || null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) }, finish, reasoning };
}

/** A whole tool loop; returns the upstream requests and ledger rows it made. */
async function toolLoop(o: { model: string; stream: boolean; label: string; reasoning_effort?: OpenAI.ReasoningEffort; via?: OpenAI }) {
  const startRows = (await stack.turns()).length;
  const startSim = stack.sim.requests.length;
  // A system prompt of its own per test: turn 1 meets a cold cache.
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'system', content: `${o.label}. ${SYSTEM}` }, { role: 'user', content: 'Run the tests please.' }];
  let final = '';
  let shown = 0;
  for (let i = 0; i < ROUNDS + 2; i++) {
    const { msg, finish, reasoning } = await ask(o.via ?? client, { model: o.model, messages, tools, ...(o.reasoning_effort ? { reasoning_effort: o.reasoning_effort } : {}), prompt_cache_key: o.label }, o.stream);
    if (reasoning) shown++;
    messages.push(msg);
    if (finish !== 'tool_calls') {
      final = typeof msg.content === 'string' ? msg.content : '';
      break;
    }
    for (const tc of msg.tool_calls ?? []) messages.push({ role: 'tool', tool_call_id: tc.id, content: `ok: ${tc.id}` });
  }
  assert.match(final, new RegExp(`^Done after ${ROUNDS} tool calls\\.`), 'the loop ran all its tool rounds and answered');
  assert.equal(shown, ROUNDS + 1, 'every answer showed its thinking as reasoning_content');
  const sims = stack.sim.requests.slice(startSim).filter((r) => r.path === '/v1/messages');
  const rows = (await stack.turns()).slice(startRows);
  return { sims, rows };
}

function assertCarried(sims: Stack['sim']['requests'], thinking: unknown, effort: unknown) {
  assert.equal(sims.length, ROUNDS + 1);
  assert.ok(sims.every((r) => r.status === 200), `no 400: the simulator accepted every request (${sims.map((r) => r.status).join(', ')})`);
  const firstSeen = new Map<number, string>();
  sims.forEach((r, n) => {
    const body = r.body as Upstream;
    assert.deepEqual(body.thinking, thinking, `turn ${n + 1}: thinking on, one config`);
    assert.deepEqual(body.output_config, effort, `turn ${n + 1}: one effort`);
    const assistants = body.messages.filter((m) => m.role === 'assistant');
    assert.equal(assistants.length, n);
    assistants.forEach((a, k) => {
      const first = (a.content as Block[])[0]!;
      // The block the simulator signed for tool round k + 1, unchanged, in Anthropic's key order ...
      assert.deepEqual(Object.keys(first), ['type', 'thinking', 'signature'], `turn ${n + 1}, assistant ${k + 1}`);
      assert.equal(first.signature, signThinking(toolStepThought(k + 1, 'bash')), `turn ${n + 1}, assistant ${k + 1}: its own round's block`);
      // ... and the same bytes on every later turn.
      const bytes = JSON.stringify(first);
      if (!firstSeen.has(k)) firstSeen.set(k, bytes);
      assert.equal(bytes, firstSeen.get(k), `turn ${n + 1}, assistant ${k + 1}: byte-identical to its first replay`);
    });
  });
}

function assertCacheReads(rows: Awaited<ReturnType<Stack['turns']>>) {
  assert.equal(rows.length, ROUNDS + 1);
  assert.ok(rows.every((r) => r.status === 200 && r.endpoint === 'chat' && r.provider === 'anthropic'), 'every turn a 200 on the chat endpoint');
  assert.equal(new Set(rows.map((r) => r.session_id)).size, 1, 'one session');
  assert.ok(rows[0]!.cache_write_5m_tokens + rows[0]!.cache_write_1h_tokens > 0, 'turn 1 writes the cache');
  for (let n = 1; n < rows.length; n++) {
    const prev = rows[n - 1]!;
    const r = rows[n]!;
    assert.ok(r.cache_read_tokens > 0, `turn ${n + 1} reads the cache`);
    // Nothing invalidated: this turn reads at least all the previous turn read and wrote.
    assert.ok(
      r.cache_read_tokens >= prev.cache_read_tokens + prev.cache_write_5m_tokens + prev.cache_write_1h_tokens,
      `turn ${n + 1}: read ${r.cache_read_tokens}, previous read ${prev.cache_read_tokens} + wrote ${prev.cache_write_5m_tokens + prev.cache_write_1h_tokens}`,
    );
  }
}

for (const stream of [false, true]) {
  test(`the thinking-carry tool loop on Opus 5.5 (thinking cannot be disabled), chat completions ${stream ? 'streaming' : 'JSON'}: ${ROUNDS} tool rounds, no 400, cache reads every turn after the first`, async () => {
    const { sims, rows } = await toolLoop({ model: 'claude-opus-5-5', stream, label: `opus-${stream}` });
    assertCarried(sims, { type: 'adaptive' }, undefined);
    assertCacheReads(rows);
    assert.ok(rows.every((r) => r.cost_usd !== null && r.cost_usd > 0), 'priced at Opus 5.5 rates');

    // The simulator would have refused the loop without the carry: the last request, its last
    // assistant turn without the block, or with another round's block, is a 400.
    const last = sims.at(-1)!.body as Upstream;
    const strip = (content: Block[]) => content.filter((b) => b.type !== 'thinking');
    const swap = (content: Block[]) => [(last.messages.find((m) => m.role === 'assistant')!.content as Block[])[0]!, ...strip(content)];
    for (const [what, edit, expect] of [['without its block', strip, /Expected `thinking` or `redacted_thinking`, but found `text`/], ['with round 1\'s block', swap, /bound to a different conversation/]] as const) {
      const messages = last.messages.map((m, i) => (i === last.messages.length - 2 ? { ...m, content: edit(m.content as Block[]) } : m));
      const r = await fetch(`${stack.sim.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'sim-key', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: JSON.stringify({ ...last, messages, stream: false }) });
      assert.equal(r.status, 400, what);
      assert.match(((await r.json()) as { error: { message: string } }).error.message, expect, what);
    }
  });
}

test('chat completions with reasoning_effort on Sonnet 4.6: thinking stays on through the tool loop (one thinking config and effort), cache reads every turn after the first', async () => {
  const { sims, rows } = await toolLoop({ model: 'anthropic/claude-sonnet-4.6', stream: true, label: 'sonnet-effort', reasoning_effort: 'medium' });
  assertCarried(sims, { type: 'adaptive' }, { effort: 'medium' });
  assertCacheReads(rows);
});

test('a shadow key (the engine\'s edits modelled, not sent) still gets the thinking carried: the Opus 5.5 tool loop goes through', async () => {
  const { key } = await stack.app.deps.keys.create({ name: 'shadow', mode: 'coding', shadow: true });
  const via = new OpenAI({ apiKey: key, baseURL: stack.openaiBase, maxRetries: 0 });
  const { sims } = await toolLoop({ model: 'claude-opus-5-5', stream: false, label: 'shadow', via });
  assertCarried(sims, { type: 'adaptive' }, undefined);
});

test('on PostgreSQL, two instances alternating turn by turn: the block one instance kept, the other puts back (Opus 5.5, streaming)', { skip: testStore() === 'postgres' ? false : 'several instances need the PostgreSQL store' }, async () => {
  const env = { SYNROUTER_LOG_LEVEL: 'silent', SYNROUTER_ANTHROPIC_API_KEY: 'sim-key', SYNROUTER_ANTHROPIC_BASE_URL: stack.sim.url };
  const second = await startSynrouter(loadConfig({ env, overrides: { port: 0, host: '127.0.0.1', dbPath: join(mkdtempSync(join(tmpdir(), 'sr-thinking-')), 'unused.db'), databaseUrl: stack.databaseUrl! } }), { clock: stack.sim.clock });
  const lb = await startRoundRobin([stack.app.url, second.url]);
  try {
    const via = new OpenAI({ apiKey: stack.key, baseURL: `${lb.url}/api/v1`, maxRetries: 0 });
    const startRows = (await stack.turns()).length;
    const { sims } = await toolLoop({ model: 'claude-opus-5-5', stream: true, label: 'two-instances', via });
    assert.deepEqual(lb.served, Array.from({ length: ROUNDS + 1 }, (_, i) => i % 2), 'each turn on the other instance');
    assertCarried(sims, { type: 'adaptive' }, undefined);
    await second.deps.ledger.flush();
    // Two writers of the ledger: its ids follow each instance's flushes, the turns' start times their order.
    assertCacheReads((await stack.turns()).slice(startRows).sort((x, y) => x.ts - y.ts || x.id - y.id));
  } finally {
    await lb.close();
    await second.close({ graceMs: 1000 });
  }
});
