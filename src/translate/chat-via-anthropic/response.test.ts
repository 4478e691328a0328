import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../../protocols/anthropic/wire.ts';
import { mapStopReason, translateResponse } from './response.ts';
import { translateError } from './errors.ts';

const MESSAGE: Message = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  type: 'message',
  role: 'assistant',
  model: 'claude-opus-4-8',
  content: [
    { type: 'thinking', thinking: 'Check both files.', signature: 'EqQBCkYIBxgC' },
    { type: 'text', text: 'Reading both files.' },
    { type: 'tool_use', id: 'toolu_01A', name: 'read', input: { filePath: '/repo/a.ts' } },
    { type: 'tool_use', id: 'toolu_01B', name: 'read', input: { filePath: '/repo/b.ts', limit: 10 } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: {
    input_tokens: 37,
    cache_creation_input_tokens: 1450,
    cache_read_input_tokens: 18200,
    cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 450 },
    output_tokens: 212,
    output_tokens_details: { thinking_tokens: 120 },
  },
};

test('an Anthropic message with thinking, text and two tool calls becomes one chat.completion', () => {
  assert.deepEqual(translateResponse(MESSAGE, { created: 1764000000, model: 'anthropic/claude-opus-4.8' }), {
    id: 'chatcmpl-msg_01XFDUDYJgAACzvnptvVoYEL',
    object: 'chat.completion',
    created: 1764000000,
    model: 'anthropic/claude-opus-4.8',
    choices: [{
      index: 0,
      message: {
        role: 'assistant',
        content: 'Reading both files.',
        refusal: null,
        tool_calls: [
          { id: 'toolu_01A', type: 'function', function: { name: 'read', arguments: '{"filePath":"/repo/a.ts"}' } },
          { id: 'toolu_01B', type: 'function', function: { name: 'read', arguments: '{"filePath":"/repo/b.ts","limit":10}' } },
        ],
        reasoning_content: 'Check both files.',
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    }],
    usage: {
      // 37 uncached + 18200 read + 1450 written: OpenAI's prompt_tokens includes cached tokens.
      prompt_tokens: 19687,
      completion_tokens: 212,
      total_tokens: 19899,
      prompt_tokens_details: { cached_tokens: 18200, cache_write_tokens: 1450 },
      completion_tokens_details: { reasoning_tokens: 120 },
    },
  });
});

test('cache writes without a 5m/1h split still count into prompt_tokens; no thinking count -> no details', () => {
  const r = translateResponse({ ...MESSAGE, content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', usage: { input_tokens: 5, cache_creation_input_tokens: 100, cache_read_input_tokens: 0, output_tokens: 2 } }, { created: 1, model: 'm' });
  assert.deepEqual(r.usage, { prompt_tokens: 105, completion_tokens: 2, total_tokens: 107, prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 100 } });
  assert.equal(r.choices[0]!.message.content, 'ok');
  assert.equal('tool_calls' in r.choices[0]!.message, false);
  assert.equal('reasoning_content' in r.choices[0]!.message, false);
});

test('content is null beside tool calls only, "" for an empty answer', () => {
  const toolsOnly = translateResponse({ ...MESSAGE, content: [MESSAGE.content[2]!] }, { created: 1, model: 'm' });
  assert.equal(toolsOnly.choices[0]!.message.content, null);
  assert.equal(translateResponse({ ...MESSAGE, content: [] }, { created: 1, model: 'm' }).choices[0]!.message.content, '');
});

test('stop reasons', () => {
  assert.deepEqual(
    (['end_turn', 'stop_sequence', 'max_tokens', 'tool_use', 'refusal', 'pause_turn', 'model_context_window_exceeded', null] as const).map(mapStopReason),
    ['stop', 'stop', 'length', 'tool_calls', 'content_filter', 'stop', 'length', 'stop'],
  );
});

test('upstream error bodies keep their status and become OpenAI errors', () => {
  assert.deepEqual(translateError(529, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}'), {
    status: 529, body: { error: { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded_error' } },
  });
  assert.deepEqual(translateError(400, { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' } }), {
    status: 400, body: { error: { message: 'prompt is too long: 210000 tokens > 200000 maximum', type: 'invalid_request_error', param: null, code: 'context_length_exceeded' } },
  });
  assert.deepEqual(translateError(429, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }).body.error.code, 'rate_limit_exceeded');
  // Not Anthropic's shape (a gateway's HTML page): the raw text is the message.
  assert.deepEqual(translateError(502, '<html>Bad Gateway</html>'), { status: 502, body: { error: { message: '<html>Bad Gateway</html>', type: 'server_error', param: null, code: 'api_error' } } });
});
