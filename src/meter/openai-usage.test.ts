import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatMeter, fromChatUsage } from './openai-usage.ts';
import { meterStream } from '../testing/meter-stream.ts';
import { anthropicUsageFromChat, usageFromChat } from '../translate/shared/convert-usage.ts';

// DeepSeek's usage (protocols.md §7): prompt_tokens includes the cache hits, reported in its own field.
const deepseek = { prompt_tokens: 1000, completion_tokens: 20, total_tokens: 1020, prompt_cache_hit_tokens: 768, prompt_cache_miss_tokens: 232 };

test('DeepSeek prompt_cache_hit_tokens are cache reads in the meter, as in the translator', () => {
  const want = { input: 232, cacheRead: 768, cacheWrite5m: 0, cacheWrite1h: 0, output: 20 };
  assert.deepEqual(fromChatUsage(deepseek), want);
  assert.deepEqual(usageFromChat(deepseek), want);
  assert.equal(usageFromChat, fromChatUsage, 'one shared function');
  assert.deepEqual(anthropicUsageFromChat(deepseek), { input_tokens: 232, cache_creation_input_tokens: 0, cache_read_input_tokens: 768, output_tokens: 20 });
});

test('OpenAI cached_tokens and cache_write_tokens; both cached fields present count once; a 0 placeholder does not hide hits', () => {
  assert.deepEqual(fromChatUsage({ prompt_tokens: 2000, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 1024, cache_write_tokens: 500 } }), { input: 476, cacheRead: 1024, cacheWrite5m: 500, cacheWrite1h: 0, output: 5 });
  assert.equal(fromChatUsage({ prompt_tokens: 1000, prompt_tokens_details: { cached_tokens: 768 }, prompt_cache_hit_tokens: 768 }).cacheRead, 768);
  assert.equal(fromChatUsage({ prompt_tokens: 1000, prompt_tokens_details: { cached_tokens: 0 }, prompt_cache_hit_tokens: 768 }).input, 232);
  assert.deepEqual(fromChatUsage(null), { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0 });
  assert.equal(fromChatUsage({ prompt_tokens: 10, prompt_cache_hit_tokens: 64 }).input, 0, 'floored at 0');
});

test('the stream watcher meters DeepSeek cache hits from the final chunk', () => {
  const sse = [
    { id: 'c1', model: 'deepseek/deepseek-v4-flash', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] },
    { id: 'c1', model: 'deepseek/deepseek-v4-flash', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: deepseek },
  ].map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + 'data: [DONE]\n\n';
  const s = meterStream(new ChatMeter(), new TextEncoder().encode(sse)).result();
  assert.deepEqual(s.usage, { input: 232, cacheRead: 768, cacheWrite5m: 0, cacheWrite1h: 0, output: 20 });
  assert.equal(s.model, 'deepseek/deepseek-v4-flash');
  assert.equal(s.completed, true);
});

test('a chat stream is complete at [DONE], or once it has finished and given its usage; cut between the two it is not', () => {
  const sse = (chunks: object[], done = false) => Buffer.from(chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : ''));
  const text = { id: 'c', model: 'm', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] };
  const finish = { id: 'c', model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
  const usage = { id: 'c', model: 'm', choices: [], usage: { prompt_tokens: 10, completion_tokens: 2 } };
  const completed = (buf: Buffer) => meterStream(new ChatMeter(), buf).result().completed;
  assert.equal(completed(sse([text, finish])), false, 'finished, but the usage chunk never came');
  assert.equal(completed(sse([text, finish, usage])), true, 'no [DONE], but finished with usage');
  assert.equal(completed(sse([text])), false);
  assert.equal(completed(sse([text, finish, usage], true)), true);
});
