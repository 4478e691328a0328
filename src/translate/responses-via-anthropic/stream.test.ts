import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { StreamEvent } from '../../protocols/anthropic/wire.ts';
import type { ResponsesRequest } from '../shared/wire-openai-responses.ts';
import { cuts, fixture, parseOutput, run, type Reducer } from '../shared/sse-test-helpers.ts';
import { translateRequest } from './request.ts';
import { finish, initialState, reduce, type State, type StreamOptions } from './stream.ts';
import { translateResponse } from './response.ts';

const BYTES = fixture(new URL('./__fixtures__/anthropic-codex-turn.sse', import.meta.url));
// The tool names come from translating the Codex request, as in production.
const CODEX = JSON.parse(readFileSync(new URL('./__fixtures__/codex-request.json', import.meta.url), 'utf8')) as ResponsesRequest;
const OPTS: StreamOptions = { createdAt: 1764000000, model: 'anthropic/claude-opus-4.8', toolNameMap: translateRequest(CODEX, { model: 'm' }).toolNameMap, idBase: 'sr7f3a' };
const reducer = (): Reducer<State, StreamEvent> => ({ initial: initialState(OPTS), reduce, finish, parse: (d) => JSON.parse(d) as StreamEvent });

const TEXT = 'Délégation puis notes ✍️.';
const PATCH = '*** Begin Patch\n*** Add File: NOTES.md\n+héllo\n*** End Patch';
const THINKING = 'Spawn a helper, write notes, then wait.';
// The thinking block exactly as Anthropic streamed it (deltas joined), carried for the client to send back.
const CARRIER = `srant1:${Buffer.from(JSON.stringify([{ type: 'thinking', thinking: THINKING, signature: 'EuYBCkQYAiJA' }])).toString('base64url')}`;
const RS = { type: 'reasoning', id: 'rs_sr7f3a_0', summary: [{ type: 'summary_text', text: THINKING }], encrypted_content: CARRIER, status: 'completed' };
const MSG = { id: 'msg_sr7f3a_1', type: 'message', status: 'completed', content: [{ type: 'output_text', text: TEXT, annotations: [] }], role: 'assistant' };
const FC1 = { type: 'function_call', id: 'fc_sr7f3a_2', call_id: 'toolu_01Spawn', name: 'spawn_agent', namespace: 'multi_agent_v1', arguments: '{"task": "summarize README.md"}', status: 'completed' };
const CTC = { type: 'custom_tool_call', id: 'ctc_sr7f3a_3', call_id: 'toolu_01Patch', name: 'apply_patch', input: PATCH, status: 'completed' };
const FC3 = { type: 'function_call', id: 'fc_sr7f3a_4', call_id: 'toolu_01Wait', name: 'wait', namespace: 'multi_agent_v1', arguments: '{}', status: 'completed' };
const response = (status: string, output: unknown[], usage: unknown = null, extra: object = {}) => ({
  id: 'resp_sr7f3a', object: 'response', created_at: 1764000000, status, error: null, incomplete_details: null, model: 'anthropic/claude-opus-4.8', output, usage, ...extra,
});
const USAGE = { input_tokens: 30328, input_tokens_details: { cached_tokens: 30208, cache_write_tokens: 0 }, output_tokens: 187, output_tokens_details: { reasoning_tokens: 40 }, total_tokens: 30515 };

const EXPECTED: Array<[string, object]> = [
  ['response.created', { response: response('in_progress', []) }],
  ['response.in_progress', { response: response('in_progress', []) }],
  ['response.output_item.added', { output_index: 0, item: { type: 'reasoning', id: 'rs_sr7f3a_0', summary: [], status: 'in_progress' } }],
  ['response.reasoning_summary_part.added', { item_id: 'rs_sr7f3a_0', output_index: 0, summary_index: 0, part: { type: 'summary_text', text: '' } }],
  ['response.reasoning_summary_text.delta', { item_id: 'rs_sr7f3a_0', output_index: 0, summary_index: 0, delta: THINKING }],
  ['response.reasoning_summary_text.done', { item_id: 'rs_sr7f3a_0', output_index: 0, summary_index: 0, text: THINKING }],
  ['response.reasoning_summary_part.done', { item_id: 'rs_sr7f3a_0', output_index: 0, summary_index: 0, part: { type: 'summary_text', text: THINKING } }],
  ['response.output_item.done', { output_index: 0, item: RS }],
  ['response.output_item.added', { output_index: 1, item: { ...MSG, status: 'in_progress', content: [] } }],
  ['response.content_part.added', { item_id: 'msg_sr7f3a_1', output_index: 1, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }],
  ['response.output_text.delta', { item_id: 'msg_sr7f3a_1', output_index: 1, content_index: 0, delta: 'Délégation ', logprobs: [] }],
  ['response.output_text.delta', { item_id: 'msg_sr7f3a_1', output_index: 1, content_index: 0, delta: 'puis notes ✍️.', logprobs: [] }],
  ['response.output_text.done', { item_id: 'msg_sr7f3a_1', output_index: 1, content_index: 0, text: TEXT, logprobs: [] }],
  ['response.content_part.done', { item_id: 'msg_sr7f3a_1', output_index: 1, content_index: 0, part: { type: 'output_text', text: TEXT, annotations: [] } }],
  ['response.output_item.done', { output_index: 1, item: MSG }],
  ['response.output_item.added', { output_index: 2, item: { ...FC1, arguments: '', status: 'in_progress' } }],
  ['response.function_call_arguments.delta', { item_id: 'fc_sr7f3a_2', output_index: 2, delta: '{"task": "summ' }],
  ['response.function_call_arguments.delta', { item_id: 'fc_sr7f3a_2', output_index: 2, delta: 'arize README.md"}' }],
  ['response.function_call_arguments.done', { item_id: 'fc_sr7f3a_2', output_index: 2, name: 'spawn_agent', arguments: '{"task": "summarize README.md"}' }],
  ['response.output_item.done', { output_index: 2, item: FC1 }],
  ['response.output_item.added', { output_index: 3, item: { ...CTC, input: '', status: 'in_progress' } }],
  ['response.custom_tool_call_input.delta', { item_id: 'ctc_sr7f3a_3', output_index: 3, delta: PATCH }],
  ['response.custom_tool_call_input.done', { item_id: 'ctc_sr7f3a_3', output_index: 3, input: PATCH }],
  ['response.output_item.done', { output_index: 3, item: CTC }],
  ['response.output_item.added', { output_index: 4, item: { ...FC3, arguments: '', status: 'in_progress' } }],
  ['response.function_call_arguments.delta', { item_id: 'fc_sr7f3a_4', output_index: 4, delta: '{}' }],
  ['response.function_call_arguments.done', { item_id: 'fc_sr7f3a_4', output_index: 4, name: 'wait', arguments: '{}' }],
  ['response.output_item.done', { output_index: 4, item: FC3 }],
  ['response.completed', { response: response('completed', [RS, MSG, FC1, CTC, FC3], USAGE) }],
];
const withSeq = (list: Array<[string, object]>, from = 0) => list.map(([type, payload], i) => ({ event: type, data: { type, sequence_number: from + i, ...payload } }));

test('the recorded Anthropic stream becomes the exact Responses event sequence, whatever the chunking', () => {
  const reference = run([BYTES], reducer());
  assert.deepEqual(parseOutput(reference), withSeq(EXPECTED));
  assert.ok(reference[0]!.startsWith('event: response.created\ndata: {"type":"response.created","sequence_number":0,'));
  for (const { label, chunks } of cuts(BYTES)) assert.deepEqual(run(chunks, reducer()), reference, label);
});

test('what a client reassembles from the deltas equals what the done events and the final response say', () => {
  const frames = parseOutput(run([BYTES], reducer())).map((f) => f.data as Record<string, unknown>);
  const deltas = (type: string, id: string) => frames.filter((f) => f.type === type && f.item_id === id).map((f) => f.delta).join('');
  assert.equal(deltas('response.reasoning_summary_text.delta', 'rs_sr7f3a_0'), THINKING);
  assert.equal(deltas('response.output_text.delta', 'msg_sr7f3a_1'), TEXT);
  assert.deepEqual(JSON.parse(deltas('response.function_call_arguments.delta', 'fc_sr7f3a_2')), { task: 'summarize README.md' });
  assert.equal(deltas('response.custom_tool_call_input.delta', 'ctc_sr7f3a_3'), PATCH);
  const final = frames.at(-1)!.response as { output: Array<{ id: string }>; usage: unknown };
  const doneItems = frames.filter((f) => f.type === 'response.output_item.done').map((f) => f.item);
  assert.deepEqual(final.output, doneItems);
  assert.deepEqual(frames.map((f) => f.sequence_number), frames.map((_, i) => i));
});

test('an abrupt end fails the response with the items finished so far; no completed event', () => {
  const head = BYTES.subarray(0, BYTES.indexOf('event: message_delta'));
  const frames = parseOutput(run([head], reducer()));
  // Everything up to the wait call's arguments.done; its item was never released (the stop reason never came).
  assert.deepEqual(frames.slice(0, -1), withSeq(EXPECTED.slice(0, 27)));
  assert.deepEqual(frames.at(-1), withSeq([['response.failed', {
    response: response('failed', [RS, MSG, FC1, CTC], null, { error: { code: 'server_error', message: 'The upstream stream ended before the response was complete.' } }),
  }]], 27)[0]);
  const stop = BYTES.indexOf('event: message_stop');
  for (let i = 0; i < stop; i += 11) {
    const last = parseOutput(run([BYTES.subarray(0, i)], reducer())).at(-1)!;
    assert.equal(last.event, 'response.failed', `cut at ${i}`);
  }
});

const start = 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_X","type":"message","role":"assistant","model":"x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}\n\n';
const textBlock = 'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Part one. Part tw"}}\n\nevent: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n';

test('an upstream error event becomes response.failed and ends the stream', () => {
  const sse = start + 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n' + textBlock;
  const frames = parseOutput(run([Buffer.from(sse)], reducer()));
  assert.deepEqual(frames.map((f) => f.event), ['response.created', 'response.in_progress', 'response.failed']);
  assert.deepEqual((frames[2]!.data as { response: { error: unknown; status: string } }).response.error, { code: 'server_error', message: 'Overloaded' });
});

test('max_tokens: the held last item is released as incomplete and the response is response.incomplete', () => {
  const sse = start + textBlock + 'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":64}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n';
  const frames = parseOutput(run([Buffer.from(sse)], reducer()));
  const itemDone = frames.find((f) => f.event === 'response.output_item.done')!.data as { item: { status: string } };
  assert.equal(itemDone.item.status, 'incomplete');
  const last = frames.at(-1)!;
  assert.equal(last.event, 'response.incomplete');
  const r = (last.data as { response: { status: string; incomplete_details: unknown; output: Array<{ status: string }>; usage: { output_tokens: number; input_tokens: number } } }).response;
  assert.deepEqual([r.status, r.incomplete_details, r.output[0]!.status, r.usage.input_tokens, r.usage.output_tokens], ['incomplete', { reason: 'max_output_tokens' }, 'incomplete', 5, 64]);
});

// ---- thinking: deltas and signature pieces joined into the reasoning item's carrier ----

const ev = (data: object) => `event: ${(data as { type: string }).type}\ndata: ${JSON.stringify(data)}\n\n`;
const THOUGHT = ['Première idée — ', 'lire ✍️ le "README"', '.\n'];
const SIG = ['EuYBCkQY', 'AiJA+/=', 'xyz'];
const THINKING_SSE = Buffer.from([
  start,
  ev({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
  ...THOUGHT.map((t) => ev({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: t } })),
  ...SIG.map((s) => ev({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: s } })),
  ev({ type: 'content_block_stop', index: 0 }),
  ev({ type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va' } }),
  ev({ type: 'content_block_stop', index: 1 }),
  // display "omitted": no thinking_delta, one signature_delta (protocols.md §1.5)
  ev({ type: 'content_block_start', index: 2, content_block: { type: 'thinking', thinking: '', signature: '' } }),
  ev({ type: 'content_block_delta', index: 2, delta: { type: 'signature_delta', signature: 'EuYBomitted' } }),
  ev({ type: 'content_block_stop', index: 2 }),
  ev({ type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'toolu_9', name: 'exec_command', input: {} } }),
  ev({ type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '{"cmd":"ls"}' } }),
  ev({ type: 'content_block_stop', index: 3 }),
  ev({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 90, output_tokens_details: { thinking_tokens: 60 } } }),
  ev({ type: 'message_stop' }),
].join(''));
const carrier = (blocks: unknown[]) => `srant1:${Buffer.from(JSON.stringify(blocks)).toString('base64url')}`;

test('thinking deltas and signature_delta pieces become one reasoning item whose encrypted_content is the exact block, whatever the chunking', () => {
  const reference = run([THINKING_SSE], reducer());
  const frames = parseOutput(reference).map((f) => f.data as Record<string, unknown>);
  const thought = THOUGHT.join('');
  const block0 = { type: 'thinking', thinking: thought, signature: SIG.join('') };
  const done = frames.filter((f) => f.type === 'response.output_item.done').map((f) => f.item);
  assert.deepEqual(done, [
    { type: 'reasoning', id: 'rs_sr7f3a_0', summary: [{ type: 'summary_text', text: thought }], encrypted_content: carrier([block0]), status: 'completed' },
    { type: 'reasoning', id: 'rs_sr7f3a_1', summary: [], encrypted_content: carrier([{ type: 'redacted_thinking', data: 'EmwKAhgBEgy3va' }]), status: 'completed' },
    { type: 'reasoning', id: 'rs_sr7f3a_2', summary: [], encrypted_content: carrier([{ type: 'thinking', thinking: '', signature: 'EuYBomitted' }]), status: 'completed' },
    { type: 'function_call', id: 'fc_sr7f3a_3', call_id: 'toolu_9', name: 'exec_command', arguments: '{"cmd":"ls"}', status: 'completed' },
  ]);
  // The summary streams as it comes; only the first block shows text.
  assert.deepEqual(frames.filter((f) => f.type === 'response.reasoning_summary_text.delta').map((f) => [f.item_id, f.delta]), THOUGHT.map((t) => ['rs_sr7f3a_0', t]));
  assert.deepEqual(frames.filter((f) => String(f.type).startsWith('response.reasoning_summary_part')).map((f) => [f.type, f.item_id, f.part]), [
    ['response.reasoning_summary_part.added', 'rs_sr7f3a_0', { type: 'summary_text', text: '' }],
    ['response.reasoning_summary_part.done', 'rs_sr7f3a_0', { type: 'summary_text', text: thought }],
  ]);
  // No carrier before the block is complete: output_item.added has none.
  for (const f of frames.filter((x) => x.type === 'response.output_item.added' && (x.item as { type: string }).type === 'reasoning')) {
    assert.deepEqual(f.item, { type: 'reasoning', id: (f.item as { id: string }).id, summary: [], status: 'in_progress' });
  }
  const final = frames.at(-1) as { type: string; response: { output: unknown[]; usage: { output_tokens_details: unknown } } };
  assert.equal(final.type, 'response.completed');
  assert.deepEqual(final.response.output, done);
  assert.deepEqual(final.response.usage.output_tokens_details, { reasoning_tokens: 60 });
  // Same blocks, JSON path: the same items, byte for byte.
  const json = translateResponse({ id: 'msg_X', type: 'message', role: 'assistant', model: 'x', stop_reason: 'tool_use', stop_sequence: null, usage: {}, content: [
    block0 as never, { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va' }, { type: 'thinking', thinking: '', signature: 'EuYBomitted' },
    { type: 'tool_use', id: 'toolu_9', name: 'exec_command', input: { cmd: 'ls' } },
  ] }, OPTS);
  assert.equal(JSON.stringify(json.output), JSON.stringify(done));
  for (const { label, chunks } of cuts(THINKING_SSE)) assert.deepEqual(run(chunks, reducer()), reference, label);
});

test('a stream cut inside a thinking block never hands out a carrier: the reasoning item was not finished', () => {
  const cutAt = THINKING_SSE.indexOf('"signature_delta"');
  const frames = parseOutput(run([THINKING_SSE.subarray(0, cutAt)], reducer())).map((f) => f.data as Record<string, unknown>);
  assert.equal(frames.at(-1)!.type, 'response.failed');
  assert.ok(!JSON.stringify(frames).includes('srant1:'));
  // A block that stops without any signature (never seen in practice) gives a reasoning item without encrypted_content.
  const unsigned = Buffer.from(start + ev({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } })
    + ev({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hm' } }) + ev({ type: 'content_block_stop', index: 0 })
    + ev({ type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { output_tokens: 3 } }) + ev({ type: 'message_stop' }));
  const out = parseOutput(run([unsigned], reducer())).map((f) => f.data as Record<string, unknown>);
  assert.deepEqual(out.find((f) => f.type === 'response.output_item.done')!.item, { type: 'reasoning', id: 'rs_sr7f3a_0', summary: [{ type: 'summary_text', text: 'hm' }], status: 'incomplete' });
  assert.equal(out.at(-1)!.type, 'response.incomplete');
});

// ---- an answer without thinking to a request with thinking on ----

const NO_THINKING_SSE = Buffer.from([
  start,
  ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Listing.' } }),
  ev({ type: 'content_block_stop', index: 0 }),
  ev({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_7', name: 'exec_command', input: {} } }),
  ev({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"cmd":"ls"}' } }),
  ev({ type: 'content_block_stop', index: 1 }),
  ev({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 20 } }),
  ev({ type: 'message_stop' }),
].join(''));
const NO_THINKING_ITEM = { type: 'reasoning', id: 'rs_sr7f3a_0', summary: [], encrypted_content: 'srant1:W10', status: 'completed' };

test('thinking on and an answer without thinking: it opens with the reasoning item that says so, streamed and JSON alike', () => {
  const thinking = (): Reducer<State, StreamEvent> => ({ initial: initialState({ ...OPTS, thinking: true }), reduce, finish, parse: (d) => JSON.parse(d) as StreamEvent });
  const reference = run([NO_THINKING_SSE], thinking());
  const frames = parseOutput(reference).map((f) => f.data as Record<string, unknown>);
  assert.deepEqual(frames.slice(2, 4), [
    { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { type: 'reasoning', id: 'rs_sr7f3a_0', summary: [], status: 'in_progress' } },
    { type: 'response.output_item.done', sequence_number: 3, output_index: 0, item: NO_THINKING_ITEM },
  ]);
  const done = frames.filter((f) => f.type === 'response.output_item.done').map((f) => f.item as { id: string });
  assert.deepEqual(done.map((i) => i.id), ['rs_sr7f3a_0', 'msg_sr7f3a_1', 'fc_sr7f3a_2']);
  const final = frames.at(-1) as { type: string; response: { output: unknown[] } };
  assert.deepEqual(final.response.output, done);
  const message = { id: 'msg_X', type: 'message' as const, role: 'assistant' as const, model: 'x', stop_reason: 'tool_use' as const, stop_sequence: null, usage: {}, content: [
    { type: 'text' as const, text: 'Listing.' }, { type: 'tool_use' as const, id: 'toolu_7', name: 'exec_command', input: { cmd: 'ls' } },
  ] };
  assert.equal(JSON.stringify(translateResponse(message, { ...OPTS, thinking: true }).output), JSON.stringify(done));
  for (const { label, chunks } of cuts(NO_THINKING_SSE)) assert.deepEqual(run(chunks, thinking()), reference, label);
  // Thinking off: no such item (the answer is what it always was).
  assert.ok(!JSON.stringify(parseOutput(run([NO_THINKING_SSE], reducer()))).includes('srant1:'));
  assert.deepEqual(translateResponse(message, OPTS).output.map((i) => i.type), ['message', 'function_call']);
  // An answer that thought needs none.
  const thought = parseOutput(run([THINKING_SSE], thinking())).map((f) => f.data as Record<string, unknown>);
  assert.ok(!JSON.stringify(thought).includes('srant1:W10'));
});
