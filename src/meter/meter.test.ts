import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnthropicMeter, fromAnthropicUsage } from './anthropic-usage.ts';
import { meterStream } from '../testing/meter-stream.ts';
import { costOf, directCostOf } from './cost.ts';
import { createRegistry } from '../route/registry.ts';

const STREAM = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"claude-opus-4-8","usage":{"input_tokens":12,"cache_creation_input_tokens":100,"cache_read_input_tokens":20480,"cache_creation":{"ephemeral_5m_input_tokens":60,"ephemeral_1h_input_tokens":40},"output_tokens":1}}}\n\n',
  'event: ping\ndata: {"type":"ping"}\n\n',
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
  'event: some_future_event\ndata: {"type":"some_future_event"}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"input_tokens":12,"cache_creation_input_tokens":100,"cache_read_input_tokens":20480,"output_tokens":58}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
].join('');

test('the stream watcher takes message_start then the cumulative message_delta, at every split', () => {
  const bytes = Buffer.from(STREAM);
  for (let i = 0; i <= bytes.length; i += 7) {
    const s = meterStream(new AnthropicMeter(), bytes.subarray(0, i), bytes.subarray(i)).result();
    assert.deepEqual(s.usage, { input: 12, cacheRead: 20480, cacheWrite5m: 60, cacheWrite1h: 40, output: 58 });
    assert.equal(s.model, 'claude-opus-4-8');
    assert.equal(s.stopReason, 'tool_use');
    assert.equal(s.completed, true);
  }
});

test('frames are judged by their data: an error or usage under a content event name is still seen', () => {
  const s = meterStream(new AnthropicMeter(), Buffer.from([
    'event: message_start\ndata: {"type":"message_start","message":{"model":"m","usage":{"input_tokens":5,"output_tokens":1}}}\n\n',
    // An upstream that names its events loosely: only the event name matches the skipped kinds.
    'event: content_block_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}\n\n',
    'event: ping\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
  ].join(''))).result();
  assert.equal(s.usage.output, 9);
  assert.equal(s.stopReason, 'end_turn');
  assert.deepEqual(s.error, { code: 'UPSTREAM_overloaded_error', message: 'Overloaded' });
});

test('a stream cut before message_delta keeps the message_start numbers', () => {
  const s = meterStream(new AnthropicMeter(), Buffer.from(STREAM.slice(0, STREAM.indexOf('event: ping')))).result();
  assert.equal(s.usage.cacheRead, 20480);
  assert.equal(s.usage.output, 1);
  assert.equal(s.completed, false);
});

test('cache writes without a 5m/1h split count as 5m (protocols.md §8.6)', () => {
  assert.deepEqual(fromAnthropicUsage({ input_tokens: 1, cache_creation_input_tokens: 50, output_tokens: 2 }), { input: 1, cacheRead: 0, cacheWrite5m: 50, cacheWrite1h: 0, output: 2 });
  // A split missing its 5m field: the rest of the total is 5m, nothing is dropped.
  assert.deepEqual(fromAnthropicUsage({ input_tokens: 1, cache_creation_input_tokens: 50, cache_creation: { ephemeral_1h_input_tokens: 20 }, output_tokens: 2 }), { input: 1, cacheRead: 0, cacheWrite5m: 30, cacheWrite1h: 20, output: 2 });
  assert.deepEqual(fromAnthropicUsage({ cache_creation_input_tokens: 50, cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 40 } }), { input: 0, cacheRead: 0, cacheWrite5m: 10, cacheWrite1h: 40, output: 0 });
});

test('cost at the response model prices, and the direct cost of the same tokens', () => {
  const p = createRegistry().pricesFor('claude-opus-4-8')!;
  const u = { input: 1_000_000, cacheRead: 1_000_000, cacheWrite5m: 1_000_000, cacheWrite1h: 1_000_000, output: 1_000_000 };
  assert.equal(costOf(u, p), 5 + 0.5 + 6.25 + 10 + 25);
  assert.equal(directCostOf(u, p), 4 * 5 + 25);
  assert.equal(costOf(u, null), null);
});
