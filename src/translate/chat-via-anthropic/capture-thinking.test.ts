import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, StreamEvent } from '../../protocols/anthropic/wire.ts';
import { captureEvent, captureFromMessage, capturedTurn, initialCapture } from './capture-thinking.ts';

const message = (content: unknown[], extra: Partial<Message> = {}): Message =>
  ({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-opus-5-5', content, stop_reason: 'tool_use', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 }, ...extra }) as Message;
const use = (id: string) => ({ type: 'tool_use', id, name: 'exec', input: {} });

test('a JSON answer with tool calls keeps its thinking blocks, in order and in canonical key order, under its tool call ids', () => {
  const got = captureFromMessage(message([
    { signature: 'S1', thinking: 'plan', type: 'thinking' }, { type: 'redacted_thinking', data: 'R' }, { type: 'text', text: 'Running.' }, use('toolu_1'), use('toolu_2'),
  ]), true);
  assert.deepEqual(got, { ids: ['toolu_1', 'toolu_2'], blocks: [{ type: 'thinking', thinking: 'plan', signature: 'S1' }, { type: 'redacted_thinking', data: 'R' }] });
  assert.deepEqual(Object.keys(got!.blocks[0]!), ['type', 'thinking', 'signature']);
});

test('nothing is kept for an answer without tool calls, or with a block that cannot be replayed; an answer without thinking while thinking was on keeps an empty list', () => {
  assert.equal(captureFromMessage(message([{ type: 'thinking', thinking: 't', signature: 'S' }, { type: 'text', text: 'Done.' }], { stop_reason: 'end_turn' }), true), undefined);
  assert.equal(captureFromMessage(message([{ type: 'thinking', thinking: 't', signature: '' }, use('toolu_1')]), true), undefined);
  assert.deepEqual(captureFromMessage(message([{ type: 'text', text: 'x' }, use('toolu_1')]), true), { ids: ['toolu_1'], blocks: [] });
  assert.equal(captureFromMessage(message([{ type: 'text', text: 'x' }, use('toolu_1')]), false), undefined, 'thinking off: nothing to say');
});

const streamed: StreamEvent[] = [
  { type: 'message_start', message: message([], { stop_reason: null }) },
  { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Step 1 of ' } },
  { type: 'ping' },
  { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'the task.' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'SimSig1abc' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Running.' } },
  { type: 'content_block_stop', index: 1 },
  { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'exec', input: {} } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{}' } },
  { type: 'content_block_stop', index: 2 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } },
  { type: 'message_stop' },
] as StreamEvent[];

test('a streamed answer: deltas joined into the block, kept once message_stop arrived; the same as the JSON answer', () => {
  let s = initialCapture();
  for (const e of streamed.slice(0, -1)) s = captureEvent(s, e);
  assert.equal(capturedTurn(s, true), undefined, 'not before message_stop: a cut answer is not kept');
  const before = s;
  s = captureEvent(s, streamed.at(-1)!);
  assert.notEqual(s, before);
  const got = capturedTurn(s, true);
  assert.deepEqual(got, { ids: ['toolu_1'], blocks: [{ type: 'thinking', thinking: 'Step 1 of the task.', signature: 'SimSig1abc' }] });
  assert.deepEqual(got, captureFromMessage(message([{ type: 'thinking', thinking: 'Step 1 of the task.', signature: 'SimSig1abc' }, { type: 'text', text: 'Running.' }, use('toolu_1')]), true));
  // An error event instead of message_stop: nothing kept.
  let cut = initialCapture();
  for (const e of [...streamed.slice(0, -2), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } as StreamEvent]) cut = captureEvent(cut, e);
  assert.equal(capturedTurn(cut, true), undefined);
});

test('display "omitted": the block is the signature alone, kept with its empty text', () => {
  let s = initialCapture();
  for (const e of [streamed[0]!, streamed[1]!, streamed[5]!, streamed[6]!, ...streamed.slice(10)]) s = captureEvent(s, e);
  assert.deepEqual(capturedTurn(s, true), { ids: ['toolu_1'], blocks: [{ type: 'thinking', thinking: '', signature: 'SimSig1abc' }] });
});
