import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { MessageCreateParams } from '../../protocols/anthropic/wire.ts';
import { translateRequest } from './request.ts';

const load = (name: string): unknown => JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
const CC = load('claude-code-request.json') as MessageCreateParams;

test('a Claude Code body (3 system blocks, role:system messages, thinking, tool_use/tool_result) becomes the exact chat body', () => {
  const { body, warnings } = translateRequest(CC, { model: 'qwen/qwen3-coder-plus' });
  assert.equal(JSON.stringify(body), JSON.stringify(load('claude-code-request.chat.json')));
  assert.deepEqual(warnings, []);
});

test('determinism, no mutation, and a stable prefix when cache_control markers move between turns', () => {
  const before = JSON.stringify(CC);
  const a = JSON.stringify(translateRequest(CC, { model: 'm' }).body);
  assert.equal(JSON.stringify(translateRequest(structuredClone(CC), { model: 'm' }).body), a);
  assert.equal(JSON.stringify(CC), before);
  // Claude Code moves its message breakpoint every turn (clients.md): the translation must not see it.
  const moved = structuredClone(CC);
  delete (moved.messages[5]!.content as Array<{ cache_control?: unknown }>)[0]!.cache_control;
  (moved.messages[3]!.content as Array<{ cache_control?: unknown }>)[1]!.cache_control = { type: 'ephemeral', ttl: '1h' };
  assert.equal(JSON.stringify(translateRequest(moved, { model: 'm' }).body), a);
  // An earlier turn of the same conversation is a prefix of this one.
  const earlier = { ...CC, messages: CC.messages.slice(0, 4) };
  const prev = JSON.stringify(translateRequest(earlier, { model: 'm' }).body.messages);
  assert.ok(JSON.stringify(translateRequest(CC, { model: 'm' }).body.messages).startsWith(prev.slice(0, -1)));
});

test('tool_choice, parallel, stop sequences, max_completion_tokens, structured output, non-streaming', () => {
  const base: MessageCreateParams = {
    model: 'x', max_tokens: 2000, messages: [{ role: 'user', content: 'title?' }],
    tools: [{ name: 'f', input_schema: { type: 'object' } }],
    tool_choice: { type: 'any', disable_parallel_tool_use: true },
    stop_sequences: ['</done>'],
    temperature: 0.2,
    top_k: 5,
    output_config: { format: { type: 'json_schema', schema: { type: 'object', properties: { title: { type: 'string' } } } } },
    thinking: { type: 'disabled' },
    stream: false,
  };
  const { body, warnings } = translateRequest(base, { model: 'deepseek/deepseek-v4-pro', maxTokensField: 'max_completion_tokens' });
  assert.deepEqual(body, {
    model: 'deepseek/deepseek-v4-pro',
    messages: [{ role: 'user', content: 'title?' }],
    tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    tool_choice: 'required',
    parallel_tool_calls: false,
    max_completion_tokens: 2000,
    stop: ['</done>'],
    temperature: 0.2,
    response_format: { type: 'json_schema', json_schema: { name: 'response', schema: { type: 'object', properties: { title: { type: 'string' } } } } },
    stream: false,
  });
  assert.deepEqual(warnings.map((w) => w.param), ['top_k']);
  const pick = (tc: MessageCreateParams['tool_choice']) => translateRequest({ ...base, tool_choice: tc }, { model: 'm' }).body.tool_choice;
  assert.deepEqual([pick({ type: 'auto' }), pick({ type: 'none' }), pick({ type: 'tool', name: 'f' })], ['auto', 'none', { type: 'function', function: { name: 'f' } }]);
});

test('Anthropic-defined tools are dropped with a warning; server-tool blocks and tool_reference too', () => {
  const { body, warnings } = translateRequest({
    model: 'x', max_tokens: 10,
    tools: [{ name: 'web_search', type: 'web_search_20250305', input_schema: undefined as never }, { name: 'Read', input_schema: { type: 'object' } }],
    messages: [
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'x' }, { type: 'tool_reference', tool_name: 'Read' }] }] },
      { role: 'assistant', content: [{ type: 'server_tool_use', id: 's', name: 'web_search', input: {} }, { type: 'text', text: 'ok' }] },
    ],
  }, { model: 'm' });
  assert.deepEqual(body.tools, [{ type: 'function', function: { name: 'Read', parameters: { type: 'object' } } }]);
  assert.deepEqual(body.messages, [{ role: 'tool', tool_call_id: 't', content: 'x' }, { role: 'assistant', content: 'ok' }]);
  assert.deepEqual(warnings.map((w) => [w.code, w.param]), [
    ['dropped_content', 'messages[0].content[0].content[1]'],
    ['dropped_content', 'messages[1].content[0]'],
    ['dropped_tool', 'tools[0]'],
  ]);
});

test('a turn of tool results with text and images: tool messages first, then one user message', () => {
  const { body } = translateRequest({
    model: 'x', max_tokens: 10,
    messages: [{ role: 'user', content: [
      { type: 'text', text: 'also look at this' },
      { type: 'tool_result', tool_use_id: 't1', content: 'one' },
      { type: 'image', source: { type: 'url', url: 'https://example.com/x.png' } },
      { type: 'tool_result', tool_use_id: 't2', is_error: true, content: 'boom' },
    ] }],
  }, { model: 'm' });
  assert.deepEqual(body.messages, [
    { role: 'tool', tool_call_id: 't1', content: 'one' },
    { role: 'tool', tool_call_id: 't2', content: 'Error: boom' },
    { role: 'user', content: [{ type: 'text', text: 'also look at this' }, { type: 'image_url', image_url: { url: 'https://example.com/x.png' } }] },
  ]);
});

test('max_tokens above the model limit the route knows is lowered, with a warning', () => {
  const { body, warnings } = translateRequest({ model: 'x', max_tokens: 64000, messages: [{ role: 'user', content: 'hi' }] }, { model: 'm', maxOutputTokens: 8192 });
  assert.equal(body.max_tokens, 8192);
  assert.deepEqual(warnings.map((w) => w.param), ['max_tokens']);
});
