import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatCompletion } from '../shared/wire-openai-chat.ts';
import { mapFinishReason, translateResponse } from './response.ts';
import { translateError } from './errors.ts';

const COMPLETION: ChatCompletion = {
  id: 'gen-1764-abc',
  object: 'chat.completion',
  created: 1764000000,
  model: 'qwen/qwen3-coder-plus',
  choices: [{
    index: 0,
    message: {
      role: 'assistant',
      content: 'Reading both.',
      reasoning_content: 'Provider-side reasoning, unsigned.',
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/a.ts"}' } },
        { id: 'call_2', type: 'function', function: { name: 'Bash', arguments: '{"command": "npm te' } },
        { id: '', type: 'function', function: { name: 'Now', arguments: '' } },
      ],
    },
    finish_reason: 'tool_calls',
  }],
  usage: { prompt_tokens: 21000, completion_tokens: 58, total_tokens: 21058, prompt_tokens_details: { cached_tokens: 18432, cache_write_tokens: 1200 }, completion_tokens_details: { reasoning_tokens: 12 } },
};

test('a chat.completion with text and several tool calls becomes an Anthropic message', () => {
  assert.deepEqual(translateResponse(COMPLETION, { model: 'qwen/qwen3-coder-plus' }), {
    id: 'msg_gen-1764-abc',
    type: 'message',
    role: 'assistant',
    model: 'qwen/qwen3-coder-plus',
    content: [
      { type: 'text', text: 'Reading both.' },
      { type: 'tool_use', id: 'call_1', name: 'Read', input: { file_path: '/a.ts' } },
      // Unparsable arguments are kept whole, not replaced by {}.
      { type: 'tool_use', id: 'call_2', name: 'Bash', input: { _raw: '{"command": "npm te' } },
      // No id from the provider: a stable one; "" arguments = no arguments.
      { type: 'tool_use', id: 'toolu_gen-1764-abc_2', name: 'Now', input: {} },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: {
      // 21000 prompt tokens include 18432 read and 1200 written: Anthropic's input_tokens excludes both.
      input_tokens: 1368,
      cache_creation_input_tokens: 1200,
      cache_read_input_tokens: 18432,
      output_tokens: 58,
      output_tokens_details: { thinking_tokens: 12 },
    },
  });
});

test('usage edge cases: no cache fields, DeepSeek names, over-reporting never goes negative, no usage at all', () => {
  const u = (usage: ChatCompletion['usage']) => translateResponse({ ...COMPLETION, usage }, { model: 'm' }).usage;
  assert.deepEqual(u({ prompt_tokens: 100, completion_tokens: 5, total_tokens: 105 }), { input_tokens: 100, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 5 });
  assert.deepEqual(u({ prompt_tokens: 100, completion_tokens: 5, total_tokens: 105, prompt_cache_hit_tokens: 64 }), { input_tokens: 36, cache_creation_input_tokens: 0, cache_read_input_tokens: 64, output_tokens: 5 });
  assert.equal(u({ prompt_tokens: 10, completion_tokens: 1, total_tokens: 11, prompt_tokens_details: { cached_tokens: 20 } }).input_tokens, 0);
  assert.deepEqual(u(undefined), { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 });
});

test('finish reasons, and tool calls under "stop" still mean tool_use', () => {
  assert.deepEqual((['stop', 'length', 'tool_calls', 'content_filter', 'function_call', null] as const).map((r) => mapFinishReason(r, false)), ['end_turn', 'max_tokens', 'tool_use', 'refusal', 'tool_use', 'end_turn']);
  assert.equal(mapFinishReason('stop', true), 'tool_use');
  assert.equal(mapFinishReason('length', true), 'max_tokens');
  const noText = translateResponse({ ...COMPLETION, choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: 'I cannot help with that.' }, finish_reason: 'content_filter' }] }, { model: 'm' });
  assert.deepEqual([noText.content, noText.stop_reason], [[{ type: 'text', text: 'I cannot help with that.' }], 'refusal']);
});

test('upstream errors: status kept, Anthropic shape, context-length errors in the wording Claude Code knows', () => {
  assert.deepEqual(translateError(400, { error: { message: "This model's maximum context length is 131072 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } }), {
    status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: "prompt is too long: This model's maximum context length is 131072 tokens." } },
  });
  assert.deepEqual(translateError(429, '{"error":{"message":"Rate limit exceeded: free-models-per-min","code":429}}'), { status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limit exceeded: free-models-per-min' } } });
  assert.deepEqual(translateError(503, 'upstream connect error'), { status: 503, body: { type: 'error', error: { type: 'api_error', message: 'upstream connect error' } } });
  assert.deepEqual(translateError(401, { error: 'Invalid API key' }).body.error, { type: 'authentication_error', message: 'Invalid API key' });
});
