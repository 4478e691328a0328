import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cuts, fixture, parseOutput, run, type Reducer } from '../shared/sse-test-helpers.ts';
import { finish, initialState, reduce, type State } from './stream.ts';
import { parseChatFrame, type ChatStreamEvent } from '../../protocols/openai/chat-stream.ts';

const BYTES = fixture(new URL('./__fixtures__/openrouter-chat-stream.sse', import.meta.url));
const reducer = (): Reducer<State, ChatStreamEvent> => ({ initial: initialState({ model: 'qwen/qwen3-coder-plus' }), reduce, finish, parse: parseChatFrame });

const ev = (type: string, data: object) => ({ event: type, data: { type, ...data } });
const EXPECTED = [
  ev('message_start', { message: {
    id: 'msg_gen-1764000000-Qw3n', type: 'message', role: 'assistant', model: 'qwen/qwen3-coder-plus', content: [], stop_reason: null, stop_sequence: null,
    usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
  } }),
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Je lis ' } }),
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'le fichier — café ☕ 😀.' } }),
  ev('content_block_stop', { index: 0 }),
  ev('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'call_a1b2', name: 'Read', input: {} } }),
  ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"file_path":' } }),
  ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: ' "/repo/a.ts"}' } }),
  ev('content_block_stop', { index: 1 }),
  // The second call is held until finish_reason and comes out whole (calls may interleave).
  ev('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'call_c3d4', name: 'Bash', input: {} } }),
  ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{"command": "npm test"}' } }),
  ev('content_block_stop', { index: 2 }),
  // The real usage arrives only now; cached and written tokens come out of input_tokens.
  ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 1368, cache_creation_input_tokens: 1200, cache_read_input_tokens: 18432, output_tokens: 58, output_tokens_details: { thinking_tokens: 12 } } }),
  ev('message_stop', {}),
];

test('the recorded chat stream becomes the exact Anthropic event sequence, whatever the chunking', () => {
  const reference = run([BYTES], reducer());
  assert.deepEqual(parseOutput(reference), EXPECTED);
  assert.ok(reference.every((f) => /^event: [a-z_]+\ndata: \{"type":"[a-z_]+"/.test(f) && f.endsWith('\n\n')));
  for (const { label, chunks } of cuts(BYTES)) assert.deepEqual(run(chunks, reducer()), reference, label);
});

test('reassembled the way the Anthropic SDK does: one text block, two tool inputs that parse', () => {
  const frames = parseOutput(run([BYTES], reducer())).map((f) => f.data as { type: string; index?: number; delta?: { text?: string; partial_json?: string } });
  const blocks = new Map<number, string>();
  for (const f of frames) if (f.type === 'content_block_delta') blocks.set(f.index!, (blocks.get(f.index!) ?? '') + (f.delta!.text ?? f.delta!.partial_json ?? ''));
  assert.deepEqual([...blocks.values()].slice(1).map((s) => JSON.parse(s)), [{ file_path: '/repo/a.ts' }, { command: 'npm test' }]);
  assert.equal(blocks.get(0), 'Je lis le fichier — café ☕ 😀.');
  // Starts and stops pair up, in order, with no interleaving.
  const seq = frames.filter((f) => f.type === 'content_block_start' || f.type === 'content_block_stop').map((f) => `${f.type === 'content_block_start' ? '+' : '-'}${f.index}`);
  assert.deepEqual(seq, ['+0', '-0', '+1', '-1', '+2', '-2']);
});

const ABRUPT = ev('error', { error: { type: 'api_error', message: 'The upstream stream ended before the completion finished.' } });

test('an abrupt end before finish_reason gives an error event, at every cut point', () => {
  const finishAt = BYTES.indexOf('"finish_reason":"tool_calls"');
  const lineStart = BYTES.lastIndexOf('data: ', finishAt);
  // What streamed live (text, the first call) then the error; the held second call never went out.
  assert.deepEqual(parseOutput(run([BYTES.subarray(0, lineStart)], reducer())), [...EXPECTED.slice(0, 8), ABRUPT]);
  for (let i = 0; i < lineStart; i += 5) {
    const frames = parseOutput(run([BYTES.subarray(0, i)], reducer()));
    assert.deepEqual(frames.at(-1), ABRUPT, `cut at ${i}`);
  }
});

test('after finish_reason a missing usage chunk and [DONE] is forgiven; usage is then unknown (zeros)', () => {
  const usageAt = BYTES.lastIndexOf('data: ', BYTES.indexOf('"usage"'));
  const frames = parseOutput(run([BYTES.subarray(0, usageAt)], reducer()));
  assert.deepEqual(frames.slice(0, -2), EXPECTED.slice(0, -2));
  assert.deepEqual(frames.at(-2), ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 } }));
  assert.deepEqual(frames.at(-1), ev('message_stop', {}));
});

test('an in-band error chunk becomes event: error with the type its status stands for', () => {
  const sse = 'data: {"id":"g1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n'
    + 'data: {"error":{"message":"Rate limit exceeded","code":429}}\n\ndata: [DONE]\n\n';
  assert.deepEqual(parseOutput(run([Buffer.from(sse)], reducer())).map((f) => f.data), [
    { type: 'message_start', message: { id: 'msg_g1', type: 'message', role: 'assistant', model: 'qwen/qwen3-coder-plus', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 } } },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
    { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limit exceeded' } },
  ]);
  assert.deepEqual(parseOutput(run([Buffer.from('data: [DONE]\n\n')], reducer())).map((f) => f.event), ['error']);
});

test('interleaved calls and text after a tool call lose nothing: the first call streams live, the rest come whole at finish_reason', () => {
  const c = (delta: object, finish: string | null = null) => ({ id: 'g2', object: 'chat.completion.chunk' as const, created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish as never }] });
  let s = initialState({ model: 'm' });
  const out: string[] = [];
  for (const e of [
    c({ tool_calls: [{ index: 0, id: 'call_x', function: { arguments: '{"a":' } }] }), // no name yet
    c({ tool_calls: [{ index: 0, function: { name: 'T', arguments: '1' } }] }),
    c({ tool_calls: [{ index: 1, id: 'call_y', function: { name: 'U', arguments: '{"b":' } }] }),
    c({ content: 'done' }),
    c({ tool_calls: [{ index: 0, function: { arguments: ',"c":3}' } }] }), // call 0 again, after call 1 began
    c({ tool_calls: [{ index: 1, function: { arguments: '2}' } }] }),
    c({}, 'tool_calls'),
  ]) { const step = reduce(s, e as ChatStreamEvent); s = step.state; out.push(...step.out); }
  out.push(...finish(s));
  const data = parseOutput(out).map((f) => f.data as Record<string, unknown>);
  assert.deepEqual(data.slice(1, -2), [
    { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'call_x', name: 'T', input: {} } },
    { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"a":1' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: ',"c":3}' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_y', name: 'U', input: {} } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"b":2}' } },
    { type: 'content_block_stop', index: 1 },
    { type: 'content_block_start', index: 2, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'done' } },
    { type: 'content_block_stop', index: 2 },
  ]);
  assert.equal((data.at(-2)!.delta as { stop_reason: string }).stop_reason, 'tool_use');
});

test('a provider that numbers every tool call 0 (new id = new call) still gives two tool_use blocks', () => {
  const c = (delta: object, finish: string | null = null) => ({ id: 'g3', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] }) as ChatStreamEvent;
  let s = initialState({ model: 'm' });
  const out: string[] = [];
  for (const e of [
    c({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'A', arguments: '{}' } }] }),
    c({ tool_calls: [{ index: 0, id: 'call_2', function: { name: 'B', arguments: '{"x":1}' } }] }),
    c({}, 'tool_calls'),
    '[DONE]' as const,
  ]) { const step = reduce(s, e); s = step.state; out.push(...step.out); }
  const starts = parseOutput(out).map((f) => f.data as { type: string; content_block?: { id: string; name: string } }).filter((d) => d.type === 'content_block_start');
  assert.deepEqual(starts.map((d) => [d.content_block!.id, d.content_block!.name]), [['call_1', 'A'], ['call_2', 'B']]);
});
