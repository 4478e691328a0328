import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSseEvents, splitString, type AnthropicMessage } from './write-response.ts';

const message: AnthropicMessage = {
  id: 'msg_sim_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-6',
  content: [
    { type: 'text', text: 'Step 1: calling Bash.' },
    { type: 'tool_use', id: 'toolu_sim_1', name: 'Bash', input: { command: 'echo hi' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: {
    input_tokens: 5,
    cache_creation_input_tokens: 100,
    cache_read_input_tokens: 2000,
    cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 0 },
    output_tokens: 40,
    service_tier: 'standard',
  },
};

test('SSE events follow the Anthropic sequence and rebuild the message', () => {
  const events = buildSseEvents(message);
  const names = events.map((e) => e.event);
  assert.deepEqual(names.slice(0, 3), ['message_start', 'ping', 'content_block_start']);
  assert.deepEqual(names.slice(-2), ['message_delta', 'message_stop']);
  for (const e of events) assert.equal(e.data.type, e.event);
  // Rebuild the content from the deltas.
  const blocks: Record<number, { text: string; json: string; start: Record<string, unknown> }> = {};
  let deltas = 0;
  for (const { data } of events) {
    const index = data.index as number;
    if (data.type === 'content_block_start') blocks[index] = { text: '', json: '', start: data.content_block as Record<string, unknown> };
    if (data.type === 'content_block_delta') {
      const delta = data.delta as Record<string, string>;
      const block = blocks[index];
      assert.ok(block);
      if (delta.type === 'text_delta') block.text += delta.text;
      if (delta.type === 'input_json_delta') block.json += delta.partial_json;
      deltas++;
    }
  }
  assert.ok(deltas >= 4);
  assert.equal(blocks[0]?.text, 'Step 1: calling Bash.');
  assert.deepEqual(JSON.parse(blocks[1]?.json ?? ''), { command: 'echo hi' });
  assert.deepEqual(blocks[1]?.start, { type: 'tool_use', id: 'toolu_sim_1', name: 'Bash', input: {} });
  const start = events[0]?.data.message as AnthropicMessage;
  assert.deepEqual(start.content, []);
  assert.equal(start.stop_reason, null);
  assert.deepEqual(start.usage, { ...message.usage, output_tokens: 1 });
  const delta = events.at(-2)?.data;
  assert.deepEqual(delta?.delta, { stop_reason: 'tool_use', stop_sequence: null });
  assert.deepEqual(delta?.usage, { input_tokens: 5, cache_creation_input_tokens: 100, cache_read_input_tokens: 2000, output_tokens: 40 });
});

test('splitString keeps code points whole and never returns nothing', () => {
  assert.deepEqual(splitString('', 3), ['']);
  assert.deepEqual(splitString('{}', 3), ['{', '}']);
  assert.equal(splitString('a😀b😀c', 3).join(''), 'a😀b😀c');
  assert.ok(splitString('a😀b😀c', 3).every((p) => !/[\uD800-\uDBFF]$/.test(p)));
});
