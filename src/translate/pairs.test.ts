import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAIRS } from './pairs.ts';

test('sampling parameters newer Claude models reject are dropped with a warning; older models keep them', () => {
  const chat = { model: 'x', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2, top_p: 0.5 };
  const newer = PAIRS['openai-chat->anthropic']!.translateRequest(structuredClone(chat), { upstreamModel: 'claude-opus-4-8' });
  assert.equal((newer.body as Record<string, unknown>).temperature, undefined);
  assert.equal((newer.body as Record<string, unknown>).top_p, undefined);
  assert.deepEqual(newer.warnings.filter((w) => w.code === 'dropped_field').map((w) => w.param).sort(), ['temperature', 'top_p']);
  const older = PAIRS['openai-chat->anthropic']!.translateRequest(structuredClone(chat), { upstreamModel: 'claude-sonnet-4-6' });
  assert.equal((older.body as Record<string, unknown>).temperature, 0.2);
  const one = PAIRS['openai-chat->anthropic']!.translateRequest({ ...structuredClone(chat), temperature: 1, top_p: 1 }, { upstreamModel: 'claude-opus-4-8' });
  assert.equal((one.body as Record<string, unknown>).temperature, 1);
});

test('chat completions on a model that always thinks (Opus 5.5): thinking stays on, a forced tool choice becomes auto (registry facts)', () => {
  const chat = PAIRS['openai-chat->anthropic']!;
  const tools = [{ type: 'function', function: { name: 'bash', parameters: { type: 'object' } } }];
  const body = (b: unknown) => chat.translateRequest(b, { upstreamModel: 'claude-opus-5-5' });
  const forced = body({ model: 'x', messages: [{ role: 'user', content: 'ls' }], tools, tool_choice: 'required', parallel_tool_calls: false });
  const f = forced.body as Record<string, unknown>;
  assert.deepEqual([f.thinking, f.tool_choice], [{ type: 'adaptive' }, { type: 'auto', disable_parallel_tool_use: true }]);
  assert.deepEqual(forced.warnings.map((w) => w.param), ['tool_choice']);
  const none = body({ model: 'x', messages: [{ role: 'user', content: 'hi' }], reasoning_effort: 'none' });
  assert.deepEqual([(none.body as Record<string, unknown>).thinking, (none.body as Record<string, unknown>).output_config], [{ type: 'adaptive' }, { effort: 'low' }], 'never "disabled"');
  // A tool loop whose assistant turn came back without its thinking block: thinking stays on (it cannot be disabled).
  const loop = body({
    model: 'x', tools,
    messages: [
      { role: 'user', content: 'ls' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'bash', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'a' },
    ],
  });
  assert.deepEqual((loop.body as Record<string, unknown>).thinking, { type: 'adaptive' });
  assert.ok(!loop.warnings.some((w) => w.code === 'thinking_disabled'));
  // Sonnet 5.5 forbids forced tool use but may think or not as asked.
  const sonnet = chat.translateRequest({ model: 'x', messages: [{ role: 'user', content: 'ls' }], tools, tool_choice: 'required' }, { upstreamModel: 'anthropic/claude-sonnet-5.5' }).body as Record<string, unknown>;
  assert.deepEqual([sonnet.thinking, sonnet.tool_choice], [undefined, { type: 'auto' }]);
  // Opus 4.8 keeps the forced choice (thinking goes instead), as before.
  const opus48 = chat.translateRequest({ model: 'x', messages: [{ role: 'user', content: 'ls' }], tools, tool_choice: 'required', reasoning_effort: 'high' }, { upstreamModel: 'claude-opus-4-8' }).body as Record<string, unknown>;
  assert.deepEqual([opus48.thinking, opus48.tool_choice], [{ type: 'disabled' }, { type: 'any' }]);
});
