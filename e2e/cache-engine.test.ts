/**
 * The cache engine through a running Synrouter: a client that marks nothing gets cache reads from its
 * second turn, the session id is derived when the client sends none (and taken from Claude Code's
 * metadata.user_id when it does), big tool results are trimmed once and replayed, the ledger says
 * what the engine did and why a turn missed, and sessions with the same fingerprint use the same
 * upstream key.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startStack, type Stack } from './support/stack.ts';

let stack: Stack;
let client: Anthropic;
before(async () => {
  stack = await startStack({ env: { SYNROUTER_ANTHROPIC_API_KEY: 'sim-a,sim-b,sim-c' } });
  client = new Anthropic({ apiKey: stack.key, baseURL: stack.anthropicBase, maxRetries: 0 });
});
after(() => stack.close());

const SYSTEM = 'You are a meticulous coding agent. Follow the repository conventions. '.repeat(150);
const tools: Anthropic.Tool[] = ['Bash', 'Read', 'Edit'].map((name) => ({ name, description: `${name} tool. `.repeat(80), input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } }));

async function agentLoop(task: string, opts: { resultChars?: number; metadata?: Anthropic.Metadata } = {}) {
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: task }];
  for (let i = 0; i < 6; i++) {
    const reply = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 512, system: SYSTEM, tools, messages, ...(opts.metadata ? { metadata: opts.metadata } : {}) });
    messages.push({ role: 'assistant', content: reply.content });
    if (reply.stop_reason !== 'tool_use') break;
    const call = reply.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: `output of ${call.id}\n` + 'log line\n'.repeat((opts.resultChars ?? 400) / 9) }] });
  }
  return messages;
}

test('a client that marks nothing reads the cache from its second turn; one derived session id', async () => {
  const start = (await stack.turns()).length;
  await agentLoop('Fix the failing test in src/app.ts');
  const rows = (await stack.turns()).slice(start);
  assert.equal(rows.length, 4);
  assert.equal(new Set(rows.map((r) => r.session_id)).size, 1);
  assert.match(rows[0]!.session_id!, /^drv_/);
  assert.equal(rows[0]!.cache_read_tokens, 0);
  assert.equal(rows[0]!.miss_reason, 'new_session');
  for (const r of rows.slice(1)) {
    assert.ok(r.cache_read_tokens > 0, 'later turns read');
    assert.equal(r.miss_reason, null);
    const total = r.input_tokens + r.cache_read_tokens + r.cache_write_5m_tokens + r.cache_write_1h_tokens;
    assert.ok(r.cache_read_tokens / total > 0.8, `most of the prompt is read (${r.cache_read_tokens}/${total})`);
  }
  // The client marked nothing: alone, it would have paid the uncached price on every turn.
  for (const r of rows) assert.ok(Math.abs(r.cost_client_usd! - r.cost_direct_usd!) < 1e-12, 'client-only cost = direct cost without markers');
  assert.ok(rows.slice(1).every((r) => r.cost_usd! < r.cost_client_usd! * 0.5), 'Synrouter halves (at least) every later turn');
  const engine = JSON.parse(rows[1]!.engine!) as Array<{ kind: string; detail: string }>;
  assert.ok(engine.some((c) => c.kind === 'breakpoint' && c.detail.includes('rolling')));
  const sent = stack.sim.requests.at(-1)!.body as { system: Array<{ cache_control?: unknown }> };
  assert.ok(Array.isArray(sent.system) && sent.system.at(-1)!.cache_control, 'the system prompt got a breakpoint');
});

test("Claude Code's session id is taken from metadata.user_id; another task is another session", async () => {
  const start = (await stack.turns()).length;
  await agentLoop('Task one', { metadata: { user_id: JSON.stringify({ device_id: 'd', account_uuid: '', session_id: 'cc-session-1' }) } });
  await agentLoop('Task two');
  const rows = (await stack.turns()).slice(start);
  assert.ok(rows.slice(0, 4).every((r) => r.session_id === 'cc-session-1'));
  assert.ok(rows.slice(4).every((r) => r.session_id !== 'cc-session-1' && r.session_id?.startsWith('drv_')));
});

test('sessions with the same fingerprint go to the same upstream key, and read each other\'s stable prefix', async () => {
  const before = stack.sim.requests.length;
  await agentLoop('Session alpha');
  await agentLoop('Session beta');
  const keys = new Set(stack.sim.requests.slice(before).map((r) => r.headers['x-api-key']));
  assert.equal(keys.size, 1, 'one upstream key for one fingerprint');
  const rows = (await stack.turns()).slice(-8);
  assert.ok(rows[4]!.cache_read_tokens > 0, "beta's first turn reads the tools + system cached by alpha");
});

test('different fingerprints spread over the upstream keys; each one keeps to its key', async () => {
  const keyOf = new Map<string, Set<string>>();
  for (let agent = 0; agent < 8; agent++) {
    const system = `Agent ${agent}: you are a meticulous coding agent. `.repeat(150);
    for (const task of ['first task', 'second task']) {
      const before = stack.sim.requests.length;
      await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, system, tools, messages: [{ role: 'user', content: task }] });
      const used = stack.sim.requests.slice(before).map((r) => String(r.headers['x-api-key']));
      keyOf.set(system, new Set([...(keyOf.get(system) ?? []), ...used]));
    }
  }
  for (const keys of keyOf.values()) assert.equal(keys.size, 1, 'one fingerprint, one upstream key');
  const all = new Set([...keyOf.values()].flatMap((k) => [...k]));
  assert.ok(all.size > 1, `8 fingerprints used ${all.size} of the 3 keys: the keys are shared out, not always the first`);
});

test('a verbose tool result is trimmed once and forwarded with the same bytes on every later turn', async () => {
  const before = stack.sim.requests.length;
  await agentLoop('Run the whole test suite', { resultChars: 120_000 });
  const sent = stack.sim.requests.slice(before).map((r) => r.body as { messages: Array<{ content: unknown }> });
  const firstResult = (b: { messages: Array<{ content: unknown }> }) => (b.messages[2]!.content as Array<{ content: string }>)[0]!.content;
  const trimmed = firstResult(sent[1]!);
  assert.ok(trimmed.length < 25_000 && trimmed.includes('Synrouter trimmed'), 'trimmed to head + tail with a marker');
  for (const b of sent.slice(2)) assert.equal(firstResult(b), trimmed, 'replayed byte-identically');
  const rows = (await stack.turns()).slice(-sent.length);
  assert.ok(rows.slice(2).every((r) => r.cache_read_tokens > 0), 'the trimmed prefix is read on later turns');
});
