import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MESSAGE_OVERHEAD_TOKENS, countTokens } from './count-tokens.ts';
import { buildPrompt } from '../protocols/anthropic/prompt.ts';
import { cc, request, text } from './test-fixtures.ts';

test('a block counts ceil(UTF-8 bytes of its canonical JSON / 4), plus the message overhead on the first block', () => {
  // {"type":"text","text":"abc"} is 28 bytes -> 7 tokens; "é" is 2 bytes in UTF-8.
  assert.equal(countTokens(request({ messages: [{ role: 'user', content: [text('abc')] }] })), 7 + MESSAGE_OVERHEAD_TOKENS);
  assert.equal(countTokens(request({ messages: [{ role: 'user', content: [text('abcé')] }] })), 8 + MESSAGE_OVERHEAD_TOKENS);
  const two = buildPrompt(request({ messages: [{ role: 'user', content: [text('abc'), text('abc')] }] }));
  assert.deepEqual(
    two.positions.map((p) => p.tokens),
    [7 + MESSAGE_OVERHEAD_TOKENS, 7],
  );
  assert.deepEqual(
    two.positions.map((p) => p.cumulativeTokens),
    [10, 17],
  );
});

test('cache_control is not counted and does not change the prefix hash, also inside tool_result content', () => {
  const plain = buildPrompt(
    request({
      tools: [{ name: 't', input_schema: { type: 'object' } }],
      system: [text('sys')],
      messages: [
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: [text('out')] }] },
      ],
    }),
  );
  const marked = buildPrompt(
    request({
      tools: [{ name: 't', input_schema: { type: 'object' }, cache_control: cc('1h') }],
      system: [text('sys', '1h')],
      messages: [
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'a', content: [text('out', true)], cache_control: cc() }],
        },
      ],
    }),
  );
  assert.deepEqual(
    marked.positions.map((p) => [p.tokens, p.hash]),
    plain.positions.map((p) => [p.tokens, p.hash]),
  );
  assert.equal(marked.markers.length, 4);
});

test('string system and string content equal a single text block', () => {
  const asString = buildPrompt(request({ system: 'sys', messages: [{ role: 'user', content: 'hi' }] }));
  const asBlocks = buildPrompt(request({ system: [text('sys')], messages: [{ role: 'user', content: [text('hi')] }] }));
  assert.deepEqual(
    asString.positions.map((p) => [p.tokens, p.hash]),
    asBlocks.positions.map((p) => [p.tokens, p.hash]),
  );
});

test('tool_choice / thinking / effort change the messages hashes only', () => {
  const base = {
    tools: [{ name: 't', input_schema: { type: 'object' } }],
    system: [text('sys')],
    messages: [{ role: 'user' as const, content: [text('hi')] }],
  };
  const a = buildPrompt(request(base));
  for (const change of [
    { tool_choice: { type: 'any' } },
    { thinking: { type: 'enabled', budget_tokens: 2000 } },
    { output_config: { effort: 'low' } },
  ]) {
    const b = buildPrompt(request({ ...base, ...change }));
    assert.equal(b.positions[0]?.hash, a.positions[0]?.hash, 'tools prefix kept');
    assert.equal(b.positions[1]?.hash, a.positions[1]?.hash, 'system prefix kept');
    assert.notEqual(b.positions[2]?.hash, a.positions[2]?.hash, 'messages prefix changed');
  }
  // Explicit defaults count as omitted.
  const defaults = buildPrompt(
    request({ ...base, tool_choice: { type: 'auto' }, thinking: { type: 'disabled' }, output_config: { effort: 'high' } }),
  );
  assert.equal(defaults.positions[2]?.hash, a.positions[2]?.hash);
});

test('role and key order are part of the prefix identity', () => {
  const user = buildPrompt(request({ messages: [{ role: 'user', content: 'x' }] }));
  const assistant = buildPrompt(request({ messages: [{ role: 'assistant', content: 'x' }] }));
  assert.notEqual(user.positions[0]?.hash, assistant.positions[0]?.hash);
  const ab = buildPrompt(request({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x', citations: null }] }] }));
  const ba = buildPrompt(request({ messages: [{ role: 'user', content: [{ citations: null, type: 'text', text: 'x' }] }] }));
  assert.notEqual(ab.positions[0]?.hash, ba.positions[0]?.hash);
});
