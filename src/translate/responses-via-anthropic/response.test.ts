import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../../protocols/anthropic/wire.ts';
import type { ToolNameMap } from './request.ts';
import { mapStatus, translateResponse } from './response.ts';
import { responseError, translateError } from './errors.ts';

const MAP: ToolNameMap = {
  exec_command: { name: 'exec_command', kind: 'function' },
  apply_patch: { name: 'apply_patch', kind: 'custom' },
  multi_agent_v1__spawn_agent: { name: 'spawn_agent', namespace: 'multi_agent_v1', kind: 'function' },
};
const OPTS = { createdAt: 1764000000, model: 'anthropic/claude-opus-4.8', toolNameMap: MAP, idBase: 'sr7f3a' };

const MESSAGE: Message = {
  id: 'msg_01Q7',
  type: 'message',
  role: 'assistant',
  model: 'claude-opus-4-8',
  content: [
    { type: 'thinking', thinking: 'plan', signature: 'sig' },
    { type: 'text', text: 'Three things at once.' },
    { type: 'tool_use', id: 'toolu_1', name: 'exec_command', input: { cmd: 'ls' } },
    { type: 'tool_use', id: 'toolu_2', name: 'multi_agent_v1__spawn_agent', input: { task: 'summarize' } },
    { type: 'tool_use', id: 'toolu_3', name: 'apply_patch', input: { input: '*** Begin Patch\n*** End Patch' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 120, cache_creation_input_tokens: 2048, cache_read_input_tokens: 30208, output_tokens: 187, output_tokens_details: { thinking_tokens: 40 } },
};

const carrier = (blocks: unknown[]) => `srant1:${Buffer.from(JSON.stringify(blocks)).toString('base64url')}`;

test('an Anthropic message with thinking, text and three kinds of tool call becomes a Response with names mapped back', () => {
  assert.deepEqual(translateResponse(MESSAGE, OPTS), {
    id: 'resp_sr7f3a',
    object: 'response',
    created_at: 1764000000,
    status: 'completed',
    error: null,
    incomplete_details: null,
    model: 'anthropic/claude-opus-4.8',
    output: [
      { type: 'reasoning', id: 'rs_sr7f3a_0', summary: [{ type: 'summary_text', text: 'plan' }], encrypted_content: carrier([{ type: 'thinking', thinking: 'plan', signature: 'sig' }]), status: 'completed' },
      { type: 'message', id: 'msg_sr7f3a_1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Three things at once.', annotations: [] }] },
      { type: 'function_call', id: 'fc_sr7f3a_2', call_id: 'toolu_1', name: 'exec_command', arguments: '{"cmd":"ls"}', status: 'completed' },
      { type: 'function_call', id: 'fc_sr7f3a_3', call_id: 'toolu_2', name: 'spawn_agent', namespace: 'multi_agent_v1', arguments: '{"task":"summarize"}', status: 'completed' },
      { type: 'custom_tool_call', id: 'ctc_sr7f3a_4', call_id: 'toolu_3', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch', status: 'completed' },
    ],
    usage: {
      // 120 + 30208 read + 2048 written: Responses input_tokens includes cached tokens.
      input_tokens: 32376,
      input_tokens_details: { cached_tokens: 30208, cache_write_tokens: 2048 },
      output_tokens: 187,
      output_tokens_details: { reasoning_tokens: 40 },
      total_tokens: 32563,
    },
  });
});

test('redacted thinking, display "omitted" and an unsigned block: encrypted_content only where the block can be replayed', () => {
  const r = translateResponse({ ...MESSAGE, content: [
    { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va' },
    { type: 'thinking', thinking: '', signature: 'EuYBomitted' },
    { type: 'thinking', thinking: 'cut short', signature: '' },
    // Upstream key order is not ours: the carrier is built in a fixed order.
    { signature: 'S', thinking: 'T', type: 'thinking' } as never,
  ] }, OPTS);
  assert.deepEqual(r.output, [
    { type: 'reasoning', id: 'rs_sr7f3a_0', summary: [], encrypted_content: carrier([{ type: 'redacted_thinking', data: 'EmwKAhgBEgy3va' }]), status: 'completed' },
    { type: 'reasoning', id: 'rs_sr7f3a_1', summary: [], encrypted_content: carrier([{ type: 'thinking', thinking: '', signature: 'EuYBomitted' }]), status: 'completed' },
    { type: 'reasoning', id: 'rs_sr7f3a_2', summary: [{ type: 'summary_text', text: 'cut short' }], status: 'completed' },
    { type: 'reasoning', id: 'rs_sr7f3a_3', summary: [{ type: 'summary_text', text: 'T' }], encrypted_content: carrier([{ type: 'thinking', thinking: 'T', signature: 'S' }]), status: 'completed' },
  ]);
});

test('max_tokens -> incomplete with the last item marked incomplete; refusal -> content_filter; no thinking count -> 0', () => {
  const cut = translateResponse({ ...MESSAGE, content: [{ type: 'text', text: 'Part one. Part tw' }], stop_reason: 'max_tokens', usage: { input_tokens: 10, output_tokens: 5 } }, OPTS);
  assert.equal(cut.status, 'incomplete');
  assert.deepEqual(cut.incomplete_details, { reason: 'max_output_tokens' });
  assert.equal(cut.output[0]!.status, 'incomplete');
  assert.deepEqual(cut.usage, { input_tokens: 10, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 });
  assert.deepEqual(mapStatus('refusal'), { status: 'incomplete', incomplete_details: { reason: 'content_filter' } });
  assert.deepEqual(mapStatus('model_context_window_exceeded'), { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  assert.deepEqual(mapStatus('end_turn'), { status: 'completed', incomplete_details: null });
});

test('a custom tool whose input is not {input: string} keeps the JSON text; an undeclared tool name passes as a function', () => {
  const r = translateResponse({ ...MESSAGE, content: [
    { type: 'tool_use', id: 't1', name: 'apply_patch', input: { patch: 'x' } },
    { type: 'tool_use', id: 't2', name: 'constructor', input: {} },
  ] }, OPTS);
  assert.deepEqual(r.output, [
    { type: 'custom_tool_call', id: 'ctc_sr7f3a_0', call_id: 't1', name: 'apply_patch', input: '{"patch":"x"}', status: 'completed' },
    { type: 'function_call', id: 'fc_sr7f3a_1', call_id: 't2', name: 'constructor', arguments: '{}', status: 'completed' },
  ]);
});

test('errors: HTTP bodies keep status in the OpenAI shape; in-band errors get the codes Codex acts on', () => {
  assert.deepEqual(translateError(429, { type: 'error', error: { type: 'rate_limit_error', message: 'Please try again in 2s.' } }), {
    status: 429, body: { error: { message: 'Please try again in 2s.', type: 'rate_limit_exceeded', param: null, code: 'rate_limit_exceeded' } },
  });
  assert.deepEqual(responseError({ type: 'overloaded_error', message: 'Overloaded' }), { code: 'server_error', message: 'Overloaded' });
  assert.deepEqual(responseError({ type: 'invalid_request_error', message: 'prompt is too long: 1 tokens > 0 maximum' }).code, 'context_length_exceeded');
  assert.deepEqual(responseError({ type: 'invalid_request_error', message: 'bad' }).code, 'invalid_prompt');
  assert.deepEqual(responseError({ type: 'billing_error', message: 'pay' }).code, 'insufficient_quota');
});
