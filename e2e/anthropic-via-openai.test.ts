/**
 * An Anthropic client (the official SDK, as Claude Code would be) on a model that only an
 * OpenAI-compatible provider declared in the config serves: Synrouter translates Messages to chat
 * completions and the answer back, streaming included, and meters the provider's usage.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { declaredProvider } from '../src/upstream/providers.ts';
import { ChatMeter } from '../src/meter/openai-usage.ts';
import { startStack, type Stack } from './support/stack.ts';

let stack: Stack;
let client: Anthropic;
before(async () => {
  stack = await startStack({
    config: (c) => ({
      ...c,
      models: [...c.models, { id: 'acme/coder-1', name: 'Acme Coder 1', context: 200_000, prices: { input: 1, output: 2, cacheRead: 0.1, cacheWrite5m: 1, cacheWrite1h: 1 } }],
      providers: { ...c.providers, acme: { spec: declaredProvider('acme', { protocol: 'openai', baseUrl: 'http://placeholder/v1', serves: ['acme/coder-1'] }), baseUrl: '', apiKeys: ['acme-key'] } },
    }),
  });
  // The simulator's URL is known only now: point the declared provider at its OpenAI endpoints.
  (stack.app.deps.config.providers.acme as { baseUrl: string }).baseUrl = `${stack.sim.url}/v1`;
  client = new Anthropic({ apiKey: stack.key, baseURL: stack.anthropicBase, maxRetries: 0 });
});
after(() => stack.close());

const tools: Anthropic.Tool[] = [{ name: 'bash', description: 'Run a shell command', input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } }];
const SYSTEM = [{ type: 'text' as const, text: 'You are a coding agent. '.repeat(300), cache_control: { type: 'ephemeral' as const } }];

for (const stream of [false, true]) {
  test(`Anthropic ${stream ? 'streaming' : 'JSON'} tool loop on an OpenAI-compatible provider`, async () => {
    const start = (await stack.turns()).length;
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Run the tests.' }];
    let last: Anthropic.Message | undefined;
    for (let i = 0; i < 6; i++) {
      const params = { model: 'acme/coder-1', max_tokens: 1024, system: SYSTEM, tools, messages };
      last = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
      messages.push({ role: 'assistant', content: last.content });
      if (last.stop_reason !== 'tool_use') break;
      const call = last.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
      assert.equal(typeof (call.input as { command?: unknown }).command, 'string', 'tool arguments parsed into input');
      messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: `ran: synrouter-output ${call.id}` }] });
    }
    assert.equal(last!.stop_reason, 'end_turn');
    assert.match(JSON.stringify(last!.content), /synrouter-output/, 'the final answer saw the tool output');
    const upstream = stack.sim.requests.at(-1)!;
    assert.equal(upstream.path, '/v1/chat/completions');
    const body = upstream.body as { model: string; messages: Array<{ role: string }>; prompt_cache_key?: string };
    assert.equal(body.model, 'acme/coder-1');
    assert.ok(body.messages.some((m) => m.role === 'tool'), 'tool_result blocks became tool messages');
    assert.ok(!JSON.stringify(body).includes('cache_control'), 'no Anthropic cache markers sent to an OpenAI provider');
    const rows = (await stack.turns()).slice(start);
    assert.ok(rows.length >= 2 && rows.every((r) => r.status === 200 && r.provider === 'acme' && r.client_protocol === 'anthropic'));
    assert.ok(rows.slice(1).every((r) => r.cache_read_tokens > 0), "the provider's automatic prefix cache is read and metered");
  });
}

test('a meter that throws on a translated stream never ends the client\'s stream: the answer arrives whole and the turn has its row', async () => {
  const event = ChatMeter.prototype.event;
  ChatMeter.prototype.event = () => { throw new Error('meter broke (test)'); };
  try {
    const start = (await stack.turns()).length;
    const answer = await client.messages.stream({ model: 'acme/coder-1', max_tokens: 256, messages: [{ role: 'user', content: 'Say hello.' }] }).finalMessage();
    assert.equal(answer.stop_reason, 'end_turn');
    const rows = (await stack.turns()).slice(start);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status, 200);
  } finally {
    ChatMeter.prototype.event = event;
  }
});
