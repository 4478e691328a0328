import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ProxyError } from '../../errors.ts';
import type { ChatRequest } from '../shared/wire-openai-chat.ts';
import { translateRequest } from './request.ts';

const load = (name: string): unknown => JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
const KILO = load('kilo-chat-request.json') as ChatRequest;

test('a Kilo/OpenClaw-shaped body with several tool calls per turn becomes the exact Anthropic body', () => {
  const { body, warnings } = translateRequest(KILO, { model: 'claude-sonnet-4-6' });
  assert.deepEqual(body, load('kilo-chat-request.anthropic.json'));
  // Key order is part of the contract (byte-stable prefix): compare the serialisation too.
  assert.equal(JSON.stringify(body), JSON.stringify(load('kilo-chat-request.anthropic.json')));
  assert.deepEqual(warnings, []);
});

test('same body twice -> byte-identical JSON, and the input is not mutated', () => {
  const before = JSON.stringify(KILO);
  const a = JSON.stringify(translateRequest(KILO, { model: 'claude-sonnet-4-6' }).body);
  const b = JSON.stringify(translateRequest(structuredClone(KILO), { model: 'claude-sonnet-4-6' }).body);
  assert.equal(a, b);
  assert.equal(JSON.stringify(KILO), before);
});

test('turn after turn the translated messages are a byte-stable prefix (appends only)', () => {
  // Earlier turns of the same conversation: cut after each complete exchange.
  for (const cut of [2, 5, 7]) {
    const earlier = { ...KILO, messages: KILO.messages.slice(0, cut) };
    const prev = JSON.stringify(translateRequest(earlier, { model: 'm' }).body.messages);
    const next = JSON.stringify(translateRequest(KILO, { model: 'm' }).body.messages);
    // Drop the closing `]}]` of the last message: what remains must open the longer conversation.
    assert.ok(next.startsWith(prev.slice(0, -3)), `cut ${cut}`);
  }
});

const OPENCLAW_BASE: ChatRequest = {
  model: 'proxy/claude',
  stream: true,
  stream_options: { include_usage: true },
  tool_choice: 'auto',
  parallel_tool_calls: false,
  max_completion_tokens: 16000,
  max_tokens: 999, // max_completion_tokens wins
  reasoning_effort: 'high',
  stop: 'END',
  temperature: 1,
  safety_identifier: 'user-42',
  user: 'ignored-when-safety-identifier-is-set',
  messages: [
    { role: 'developer', content: [{ type: 'text', text: 'Stable part.', cache_control: { type: 'ephemeral', ttl: '1h' } }, { type: 'text', text: 'Dynamic part.' }] },
    { role: 'user', content: [
      { type: 'text', text: 'What is in these?', cache_control: { type: 'ephemeral' } },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'high' } },
    ] },
  ],
  tools: [{ type: 'function', function: { name: 'exec', description: 'Run.', parameters: { properties: { cmd: { type: 'string' } } } } }],
};

test('OpenClaw-style options: cache_control carried, images, tool_choice, parallel, stop, effort, user id', () => {
  const { body, warnings } = translateRequest(OPENCLAW_BASE, { model: 'claude-opus-4-8' });
  assert.deepEqual(body, {
    model: 'claude-opus-4-8',
    max_tokens: 16000,
    system: [
      { type: 'text', text: 'Stable part.', cache_control: { type: 'ephemeral', ttl: '1h' } },
      { type: 'text', text: 'Dynamic part.' },
    ],
    messages: [{ role: 'user', content: [
      { type: 'text', text: 'What is in these?', cache_control: { type: 'ephemeral' } },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ] }],
    // Parameters without `type` get `type: "object"` in front (Anthropic requires it).
    tools: [{ name: 'exec', description: 'Run.', input_schema: { type: 'object', properties: { cmd: { type: 'string' } } } }],
    tool_choice: { type: 'auto', disable_parallel_tool_use: true },
    thinking: { type: 'adaptive' },
    output_config: { effort: 'high' },
    stop_sequences: ['END'],
    temperature: 1,
    metadata: { user_id: 'user-42' },
    stream: true,
  });
  assert.deepEqual(warnings, []);
  // The client's cache_control object is copied, not shared.
  assert.notEqual((body.system as Array<{ cache_control?: object }>)[0]!.cache_control, (OPENCLAW_BASE.messages[0]!.content as Array<{ cache_control?: object }>)[0]!.cache_control);
});

test('a tool-loop continuation turns thinking off (Anthropic would refuse it), keeps the effort, and says so', () => {
  const req: ChatRequest = {
    ...OPENCLAW_BASE,
    messages: [
      ...OPENCLAW_BASE.messages,
      { role: 'assistant', content: null, tool_calls: [{ id: 'call1', type: 'function', function: { name: 'exec', arguments: '{"cmd":"ls"}' } }] },
      { role: 'tool', tool_call_id: 'call1', content: [{ type: 'text', text: 'a.ts', cache_control: { type: 'ephemeral' } }] },
    ],
  };
  const { body, warnings } = translateRequest(req, { model: 'claude-opus-4-8' });
  assert.deepEqual(body.thinking, { type: 'disabled' });
  assert.deepEqual(body.output_config, { effort: 'high' });
  assert.deepEqual(warnings.map((w) => w.code), ['thinking_disabled']);
  // Tool message parts keep their cache_control on the nested text block.
  assert.deepEqual(body.messages.at(-1), { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call1', content: [{ type: 'text', text: 'a.ts', cache_control: { type: 'ephemeral' } }] }] });
});

test('thinking yields to forced tool use; sampling Anthropic refuses with thinking is dropped, each with a warning', () => {
  const forced = translateRequest({ ...OPENCLAW_BASE, tool_choice: 'required' }, { model: 'm' });
  assert.deepEqual([forced.body.thinking, forced.body.tool_choice, forced.body.output_config], [{ type: 'disabled' }, { type: 'any', disable_parallel_tool_use: true }, { effort: 'high' }]);
  assert.deepEqual(forced.warnings.map((w) => w.code), ['thinking_disabled']);
  const sampled = translateRequest({ ...OPENCLAW_BASE, temperature: 0.2, top_p: 0.5 }, { model: 'm' });
  assert.equal('temperature' in sampled.body || 'top_p' in sampled.body, false);
  assert.deepEqual(sampled.warnings.map((w) => w.param), ['temperature', 'top_p']);
  // Without thinking, sampling passes as sent.
  const plain = translateRequest({ ...OPENCLAW_BASE, reasoning_effort: null, temperature: 0.2, top_p: 0.5 }, { model: 'm' }).body;
  assert.deepEqual([plain.temperature, plain.top_p, plain.thinking], [0.2, 0.5, undefined]);
});

test('reasoning_effort mapping: none, minimal, budget style, absent', () => {
  const base: ChatRequest = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 8000 };
  const pick = (r: ChatRequest, style?: 'adaptive' | 'budget') => {
    const b = translateRequest(r, { model: 'm', ...(style ? { thinkingStyle: style } : {}) }).body;
    return { thinking: b.thinking, output_config: b.output_config };
  };
  assert.deepEqual(pick(base), { thinking: undefined, output_config: undefined });
  assert.deepEqual(pick({ ...base, reasoning_effort: 'none' }), { thinking: { type: 'disabled' }, output_config: undefined });
  assert.deepEqual(pick({ ...base, reasoning_effort: 'minimal' }), { thinking: { type: 'adaptive' }, output_config: { effort: 'low' } });
  assert.deepEqual(pick({ ...base, reasoning_effort: 'xhigh' }), { thinking: { type: 'adaptive' }, output_config: { effort: 'xhigh' } });
  assert.deepEqual(pick({ ...base, reasoning_effort: 'medium' }, 'budget'), { thinking: { type: 'enabled', budget_tokens: 2000 }, output_config: undefined });
  assert.deepEqual(pick({ ...base, reasoning_effort: 'low' }, 'budget'), { thinking: { type: 'enabled', budget_tokens: 1024 } , output_config: undefined });
  assert.deepEqual(pick({ ...base, reasoning_effort: 'max' }, 'budget'), { thinking: { type: 'enabled', budget_tokens: 7999 }, output_config: undefined });
  assert.throws(() => translateRequest({ ...base, reasoning_effort: 'extreme' }, { model: 'm' }), (e: unknown) => e instanceof ProxyError && e.status === 400 && e.param === 'reasoning_effort');
});

test('no max tokens from the client -> the documented default; late system messages stay in place as user text', () => {
  const { body } = translateRequest({
    messages: [
      { role: 'system', content: 'S' },
      { role: 'user', content: 'U1' },
      { role: 'system', content: 'Now be brief.' },
      { role: 'assistant', content: 'A1' },
    ],
  }, { model: 'm' });
  assert.equal(body.max_tokens, 32000);
  assert.deepEqual(body.system, [{ type: 'text', text: 'S' }]);
  assert.deepEqual(body.messages, [
    { role: 'user', content: [{ type: 'text', text: 'U1' }, { type: 'text', text: '<system-reminder>\nNow be brief.\n</system-reminder>' }] },
    { role: 'assistant', content: [{ type: 'text', text: 'A1' }] },
  ]);
  assert.equal(translateRequest({ messages: [{ role: 'user', content: 'x' }] }, { model: 'm', defaultMaxTokens: 4096 }).body.max_tokens, 4096);
});

test('invalid tool-call arguments are a 400 naming the field, never {}', () => {
  const req: ChatRequest = { messages: [
    { role: 'user', content: 'go' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a": 1' } }] },
    { role: 'tool', tool_call_id: 'c', content: 'ok' },
  ] };
  assert.throws(() => translateRequest(req, { model: 'm' }), (e: unknown) =>
    e instanceof ProxyError && e.code === 'BODY_INVALID' && e.status === 400 && e.param === 'messages[1].tool_calls[0].function.arguments');
  const arr = structuredClone(req);
  (arr.messages[1] as { tool_calls: Array<{ function: { arguments: string } }> }).tool_calls[0]!.function.arguments = '[1,2]';
  assert.throws(() => translateRequest(arr, { model: 'm' }), /must encode a JSON object/);
  // An empty string is "no arguments".
  const empty = structuredClone(req);
  (empty.messages[1] as { tool_calls: Array<{ function: { arguments: string } }> }).tool_calls[0]!.function.arguments = '';
  assert.deepEqual(translateRequest(empty, { model: 'm' }).body.messages[1], { role: 'assistant', content: [{ type: 'tool_use', id: 'c', name: 'f', input: {} }] });
});

test('what cannot be translated is refused or reported, not silently changed', () => {
  const u = (content: unknown): ChatRequest => ({ messages: [{ role: 'user', content } as never] });
  assert.throws(() => translateRequest(u([{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }]), { model: 'm' }), /Audio/);
  assert.throws(() => translateRequest(u([{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }]), { model: 'm' }), /https:\/\/ or base64/);
  assert.throws(() => translateRequest({ ...u('x'), n: 2 }, { model: 'm' }), /n > 1/);
  assert.throws(() => translateRequest({ ...u('x'), tools: [{ type: 'custom', custom: { name: 'c' } }] }, { model: 'm' }), /Custom/);
  const { body, warnings } = translateRequest({ ...u('x'), seed: 7, presence_penalty: 0.5, logprobs: false, response_format: { type: 'json_object' }, prompt_cache_key: 'ses_1', store: false }, { model: 'm' });
  assert.deepEqual(warnings.map((w) => w.param).sort(), ['presence_penalty', 'response_format', 'seed']);
  assert.equal('seed' in body || 'prompt_cache_key' in body || 'store' in body, false);
});

test('tool_choice without tools is not sent; a named function becomes {type:"tool"}; json_schema -> output_config.format', () => {
  assert.equal(translateRequest({ messages: [{ role: 'user', content: 'x' }], tool_choice: 'auto' }, { model: 'm' }).body.tool_choice, undefined);
  const { body } = translateRequest({
    messages: [{ role: 'user', content: 'x' }],
    tools: [{ type: 'function', function: { name: 'f' } }],
    tool_choice: { type: 'function', function: { name: 'f' } },
    response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
  }, { model: 'm' });
  assert.deepEqual(body.tools, [{ name: 'f', input_schema: { type: 'object' } }]);
  assert.deepEqual(body.tool_choice, { type: 'tool', name: 'f' });
  assert.deepEqual(body.output_config, { format: { type: 'json_schema', schema: { type: 'object' } } });
});
