import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildResponse, buildResponseOutput, buildResponsesEvents, validateResponsesRequest } from './openai-responses.ts';
import type { OpenAIScriptedReply } from './openai-script.ts';
import { responsesUsage } from './openai-usage.ts';
import type { JsonObject } from '../json/json-object.ts';

function error(body: unknown): JsonObject | undefined {
  const result = validateResponsesRequest(body);
  if (result.ok) return undefined;
  const { message, param, code, status } = result.error;
  return { status, message, param, code };
}

test('a Codex-shaped request is valid: developer messages with ids, namespace/custom/hosted tools, unknown items and fields', () => {
  const body = {
    model: 'gpt-5.5',
    instructions: 'You are Codex.',
    input: [
      { type: 'additional_tools', role: 'developer', tools: [{ type: 'namespace', name: 'functions', tools: [{ type: 'custom', name: 'exec' }] }] },
      { type: 'message', id: 'msg_1', role: 'developer', content: [{ type: 'input_text', text: 'rules' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'go' }], internal_chat_message_metadata_passthrough: {} },
      { type: 'configuration_update', reasoning: { effort: 'low' } },
      { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'thinking' }], encrypted_content: 'xyz' },
      { type: 'function_call', id: 'fc_1', call_id: 'c1', name: 'exec_command', arguments: '{"cmd":"ls"}' },
      { type: 'function_call_output', call_id: 'c1', output: 'a.txt' },
      { type: 'custom_tool_call', id: 'ctc_1', call_id: 'c2', name: 'exec', input: 'ls' },
      { type: 'custom_tool_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'b.txt' }] },
      { role: 'assistant', content: 'done' },
    ],
    tools: [
      { type: 'function', name: 'exec_command', parameters: { type: 'object' }, strict: false },
      { type: 'namespace', name: 'multi_agent_v1', description: 'agents', tools: [{ type: 'function', name: 'spawn' }] },
      { type: 'web_search' },
    ],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { effort: 'low', summary: 'auto' },
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: 'thread-1',
    client_metadata: { a: 1 },
  };
  assert.equal(error(body), undefined);
  assert.equal(error({ model: 'm', input: 'just a string' }), undefined);
});

test('request errors: previous_response_id, unpaired calls and outputs, bad items, max_output_tokens', () => {
  assert.deepEqual(error({ model: 'm', input: 'hi', previous_response_id: 'resp_1' }), {
    status: 400,
    message: "Previous response with id 'resp_1' not found.",
    param: 'previous_response_id',
    code: 'previous_response_not_found',
  });
  assert.deepEqual(error({ model: 'm', input: [{ type: 'function_call_output', call_id: 'c9', output: 'x' }] }), {
    status: 400,
    message: 'No tool call found for function call output with call_id c9.',
    param: 'input',
    code: null,
  });
  assert.deepEqual(error({ model: 'm', input: [{ type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' }] }), {
    status: 400,
    message: 'No tool output found for function call c1.',
    param: 'input',
    code: null,
  });
  assert.equal(error({ input: 'hi' })?.param, 'model');
  assert.equal(error({ model: 'm', input: 42 })?.param, 'input');
  assert.equal(error({ model: 'm', input: [{ role: 'robot', content: 'x' }] })?.param, 'input[0].role');
  assert.equal(error({ model: 'm', input: [{ type: 'function_call', call_id: 'c', name: 'f' }] })?.param, 'input[0].arguments');
  assert.equal(error({ model: 'm', input: 'hi', tools: [{ type: 'namespace', name: 'n' }] })?.param, 'tools[0].tools');
  assert.equal(error({ model: 'm', input: 'hi', max_output_tokens: 8 })?.code, 'integer_below_min_value');
});

const meta = { id: 'resp_sim_1', createdAt: 1_767_225_600, messageId: 'msg_sim_1' };
const body = { model: 'gpt-5.5', input: 'hi', store: false };

function events(reply: OpenAIScriptedReply): JsonObject[] {
  const usage = responsesUsage(100, 0, reply.outputTokens);
  const status = reply.finish === 'length' ? 'incomplete' : 'completed';
  const final = buildResponse(meta, body, { status, output: buildResponseOutput(meta, reply), usage });
  return buildResponsesEvents(meta, body, final);
}

test('text turn: the exact event order of protocols.md 5.3, sequence numbers from 0', () => {
  const list = events({ text: 'Done after 0 tool calls.', calls: [], finish: 'stop', outputTokens: 6 });
  assert.deepEqual(
    list.map((e) => e.type),
    [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ],
  );
  assert.deepEqual(list.map((e) => e.sequence_number), list.map((_, i) => i));
  const deltas = list.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta);
  assert.equal(deltas.join(''), 'Done after 0 tool calls.');
  assert.equal((list[0]?.response as JsonObject).status, 'in_progress');
  assert.deepEqual((list[0]?.response as JsonObject).output, []);
  const completed = list.at(-1)?.response as JsonObject;
  assert.equal(completed.status, 'completed');
  assert.deepEqual(completed.usage, {
    input_tokens: 100,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 6,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 106,
  });
  assert.equal(completed.store, false);
});

test('function-call and custom-tool-call turns: argument/input fragments, ids fc_sim_<n> / call_sim_<n>', () => {
  const list = events({
    text: null,
    calls: [
      { kind: 'function', number: 3, name: 'spawn', namespace: 'multi_agent_v1', input: '{"task":"sim"}' },
      { kind: 'custom', number: 4, name: 'exec', input: 'echo synrouter-step-2' },
    ],
    finish: 'tool_calls',
    outputTokens: 12,
  });
  assert.deepEqual(
    list.map((e) => e.type),
    [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.completed',
    ],
  );
  assert.deepEqual(list[2]?.item, {
    id: 'fc_sim_3',
    type: 'function_call',
    status: 'in_progress',
    arguments: '',
    call_id: 'call_sim_3',
    name: 'spawn',
    namespace: 'multi_agent_v1',
  });
  assert.deepEqual(list[6], {
    type: 'response.function_call_arguments.done',
    sequence_number: 6,
    item_id: 'fc_sim_3',
    output_index: 0,
    name: 'spawn',
    arguments: '{"task":"sim"}',
  });
  assert.deepEqual((list[13]?.item as JsonObject).call_id, 'call_sim_4');
  assert.deepEqual((list[13]?.item as JsonObject).input, 'echo synrouter-step-2');
});

test('a reply cut by max_output_tokens ends with response.incomplete', () => {
  const list = events({ text: 'Done', calls: [], finish: 'length', outputTokens: 16 });
  const last = list.at(-1);
  assert.equal(last?.type, 'response.incomplete');
  assert.deepEqual((last?.response as JsonObject).incomplete_details, { reason: 'max_output_tokens' });
});
