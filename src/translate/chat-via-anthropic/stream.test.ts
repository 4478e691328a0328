import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StreamEvent } from '../../protocols/anthropic/wire.ts';
import { cuts, fixture, parseOutput, run, type Reducer } from '../shared/sse-test-helpers.ts';
import { finish, initialState, reduce, type State, type StreamOptions } from './stream.ts';

const BYTES = fixture(new URL('./__fixtures__/anthropic-thinking-text-tools.sse', import.meta.url));
const OPTS: StreamOptions = { created: 1764000000, model: 'anthropic/claude-opus-4.8', includeUsage: true };
const reducer = (opts: StreamOptions = OPTS): Reducer<State, StreamEvent> => ({ initial: initialState(opts), reduce, finish, parse: (d) => JSON.parse(d) as StreamEvent });

const ID = 'chatcmpl-msg_01XFDUDYJgAACzvnptvVoYEL';
const chunk = (delta: object, finish_reason: string | null = null) => ({
  id: ID, object: 'chat.completion.chunk', created: 1764000000, model: 'anthropic/claude-opus-4.8',
  choices: [{ index: 0, delta, logprobs: null, finish_reason }], usage: null,
});
const EXPECTED = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ reasoning_content: 'The user wants the tests run. ' }),
  chunk({ reasoning_content: 'Read package.json first.' }),
  chunk({ content: 'Je vais lire ' }),
  chunk({ content: 'le fichier — café ☕ 😀.' }),
  // Tool-call indexes count tool calls (0, 1), not Anthropic blocks (2, 3); the empty partial_json is skipped.
  chunk({ tool_calls: [{ index: 0, id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'read', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"filePath": "/repo/pack' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: 'age.json"}' } }] }),
  chunk({ tool_calls: [{ index: 1, id: 'toolu_01B7Zx2mQ4kP8sLr3Vw5nH6d', type: 'function', function: { name: 'bash', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 1, function: { arguments: '{"command": "npm' } }] }),
  chunk({ tool_calls: [{ index: 1, function: { arguments: ' test", "description": "Run tests"}' } }] }),
  chunk({}, 'tool_calls'),
  {
    id: ID, object: 'chat.completion.chunk', created: 1764000000, model: 'anthropic/claude-opus-4.8', choices: [],
    // message_start's input side, overwritten by the cumulative message_delta; cached tokens are inside prompt_tokens.
    usage: { prompt_tokens: 19687, completion_tokens: 212, total_tokens: 19899, prompt_tokens_details: { cached_tokens: 18200, cache_write_tokens: 1450 }, completion_tokens_details: { reasoning_tokens: 120 } },
  },
  '[DONE]',
];

test('the recorded Anthropic stream becomes the expected chunk sequence, whatever the chunking', () => {
  const reference = run([BYTES], reducer());
  assert.deepEqual(parseOutput(reference).map((f) => f.data), EXPECTED);
  assert.ok(reference.every((f) => f.startsWith('data: ') && f.endsWith('\n\n') && !f.includes('event:')), 'chat frames are bare data: frames');
  assert.equal(reference.at(-1), 'data: [DONE]\n\n');
  for (const { label, chunks } of cuts(BYTES)) assert.deepEqual(run(chunks, reducer()), reference, label);
});

test('reassembled from the chunks the way a client does: text, reasoning, two complete tool calls', () => {
  const data = parseOutput(run([BYTES], reducer())).map((f) => f.data).filter((d): d is ReturnType<typeof chunk> => typeof d === 'object' && (d as { choices: unknown[] }).choices.length > 0);
  let content = '';
  let reasoning = '';
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  for (const d of data) {
    const delta = d.choices[0]!.delta as { content?: string; reasoning_content?: string; tool_calls?: Array<{ index: number; id?: string; function: { name?: string; arguments: string } }> };
    content += delta.content ?? '';
    reasoning += delta.reasoning_content ?? '';
    for (const tc of delta.tool_calls ?? []) {
      calls[tc.index] ??= { id: tc.id!, name: tc.function.name!, arguments: '' };
      calls[tc.index]!.arguments += tc.function.arguments;
    }
  }
  assert.equal(content, 'Je vais lire le fichier — café ☕ 😀.');
  assert.equal(reasoning, 'The user wants the tests run. Read package.json first.');
  assert.deepEqual(calls.map((c) => ({ ...c, arguments: JSON.parse(c.arguments) })), [
    { id: 'toolu_01A09q90qw90lq917835lq9', name: 'read', arguments: { filePath: '/repo/package.json' } },
    { id: 'toolu_01B7Zx2mQ4kP8sLr3Vw5nH6d', name: 'bash', arguments: { command: 'npm test', description: 'Run tests' } },
  ]);
});

test('without include_usage: no usage fields and no usage chunk', () => {
  const frames = parseOutput(run([BYTES], reducer({ ...OPTS, includeUsage: false }))).map((f) => f.data);
  assert.equal(frames.length, EXPECTED.length - 1);
  assert.ok(frames.slice(0, -1).every((d) => !('usage' in (d as object))));
  assert.deepEqual((frames.at(-2) as { choices: Array<{ finish_reason: string }> }).choices[0]!.finish_reason, 'tool_calls');
});

const ABRUPT_ERROR = { error: { message: 'The upstream stream ended before the message was complete.', type: 'server_error', param: null, code: 'api_error' } };

test('an abrupt end (no message_stop) ends with an error frame and no [DONE], at every cut point', () => {
  const cutAt = BYTES.indexOf('event: message_delta');
  const head = BYTES.subarray(0, cutAt);
  const out = parseOutput(run([head], reducer())).map((f) => f.data);
  assert.deepEqual(out, [...EXPECTED.slice(0, 11), ABRUPT_ERROR]);
  // Cut anywhere before message_stop, even inside a frame: the last frame is the error, never [DONE].
  const stop = BYTES.indexOf('event: message_stop');
  for (let i = 0; i < stop; i += 7) {
    const frames = parseOutput(run([BYTES.subarray(0, i)], reducer())).map((f) => f.data);
    assert.deepEqual(frames.at(-1), ABRUPT_ERROR, `cut at ${i}`);
    assert.ok(!frames.includes('[DONE]'));
  }
});

test('an upstream error event becomes a data: {"error"} frame and ends the stream', () => {
  const sse = [
    'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_E","type":"message","role":"assistant","model":"x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}\n\n',
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}\n\n',
    'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    'event: message_stop\ndata: {"type":"message_stop"}\n\n',
  ].join('');
  const out = run([Buffer.from(sse)], reducer({ ...OPTS, includeUsage: false }));
  assert.deepEqual(parseOutput(out).map((f) => f.data), [
    { id: 'chatcmpl-msg_E', object: 'chat.completion.chunk', created: 1764000000, model: 'anthropic/claude-opus-4.8', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] },
    { id: 'chatcmpl-msg_E', object: 'chat.completion.chunk', created: 1764000000, model: 'anthropic/claude-opus-4.8', choices: [{ index: 0, delta: { content: 'Hel' }, logprobs: null, finish_reason: null }] },
    { error: { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded_error' } },
  ]);
});

test('content before message_start is refused; an empty upstream stream is an error; unknown events are ignored', () => {
  const early = run([Buffer.from('event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n')], reducer());
  assert.match((parseOutput(early)[0]!.data as { error: { message: string } }).error.message, /before message_start/);
  assert.equal(parseOutput(run([], reducer())).length, 1);
  const withUnknown = Buffer.concat([BYTES.subarray(0, BYTES.indexOf('event: ping')), Buffer.from('event: brand_new\ndata: {"type":"brand_new","x":1}\n\n'), BYTES.subarray(BYTES.indexOf('event: ping'))]);
  assert.deepEqual(run([withUnknown], reducer()), run([BYTES], reducer()));
});

test('a tool with no arguments still streams parseable arguments ("{}")', () => {
  const sse = [
    'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_N","type":"message","role":"assistant","model":"x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}\n\n',
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_N","name":"now","input":{}}}\n\n',
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":9}}\n\n',
    'event: message_stop\ndata: {"type":"message_stop"}\n\n',
  ].join('');
  const data = parseOutput(run([Buffer.from(sse)], reducer())).map((f) => f.data) as Array<{ choices: Array<{ delta: { tool_calls?: Array<{ function: { arguments: string } }> } }>; usage: unknown }>;
  const args = data.flatMap((d) => d.choices?.[0]?.delta.tool_calls ?? []).map((t) => t.function.arguments).join('');
  assert.equal(args, '{}');
  // Input side from message_start (3), output from message_delta (9).
  assert.deepEqual(data.at(-2)!.usage, { prompt_tokens: 3, completion_tokens: 9, total_tokens: 12, prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 } });
});
