import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inputFromSchema, scriptReply } from './script.ts';
import { request } from './test-fixtures.ts';
import type { JsonObject } from '../json/json-object.ts';

const readTool = {
  name: 'Read',
  input_schema: {
    type: 'object',
    properties: { path: { type: 'string' }, limit: { type: 'integer' }, all: { type: 'boolean' }, opts: { type: 'object' }, list: { type: 'array' }, optional: { type: 'string' } },
    required: ['path', 'limit', 'all', 'opts', 'list'],
  },
};

test('input from a schema fills required properties only', () => {
  assert.deepEqual(inputFromSchema(readTool.input_schema), { path: '.', limit: 1, all: true, opts: {}, list: [] });
  assert.deepEqual(inputFromSchema({ type: 'object' }), {});
});

test('prefers Bash, else the first tool; ids and commands number the steps', () => {
  const bash = { name: 'Bash', input_schema: { type: 'object' } };
  const reply = scriptReply(request({ tools: [readTool, bash], messages: [{ role: 'user', content: 'go' }] }));
  assert.equal(reply.stop_reason, 'tool_use');
  assert.deepEqual(reply.content[1], {
    type: 'tool_use',
    id: 'toolu_sim_1',
    name: 'Bash',
    input: { command: 'echo synrouter-step-1', description: 'Step 1' },
  });
  const first = scriptReply(request({ tools: [readTool], messages: [{ role: 'user', content: 'go' }] }));
  assert.equal((first.content[1] as JsonObject).name, 'Read');
  assert.equal(first.output_tokens, Math.ceil(Buffer.byteLength(JSON.stringify(first.content)) / 4));
});

test('ends the turn after `rounds` tool rounds, quoting the last tool result', () => {
  const tools = [{ name: 'Bash', input_schema: { type: 'object' } }];
  const messages: ReturnType<typeof request>['messages'] = [{ role: 'user', content: 'go' }];
  for (let round = 1; round <= 2; round++) {
    const reply = scriptReply(request({ tools, messages }), 2);
    assert.equal(reply.stop_reason, 'tool_use');
    messages.push(
      { role: 'assistant', content: reply.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_sim_${round}`, content: [{ type: 'text', text: `result ${round} ${'z'.repeat(200)}` }] }] },
    );
  }
  const final = scriptReply(request({ tools, messages }), 2);
  assert.equal(final.stop_reason, 'end_turn');
  assert.equal(final.content.length, 1);
  const answer = String(final.content[0]?.text);
  assert.ok(answer.startsWith('Done after 2 tool calls. Last tool result: result 2 zz'));
  assert.equal(answer.length, 'Done after 2 tool calls. Last tool result: '.length + 100);
});

test('tool_choice none never calls, any always calls; no tools ends the turn', () => {
  const tools = [{ name: 'Bash', input_schema: { type: 'object' } }];
  assert.equal(scriptReply(request({ tools, tool_choice: { type: 'none' }, messages: [{ role: 'user', content: 'go' }] })).stop_reason, 'end_turn');
  assert.equal(scriptReply(request({ tools, tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'go' }] }), 0).stop_reason, 'tool_use');
  assert.equal(scriptReply(request({ messages: [{ role: 'user', content: 'go' }] })).stop_reason, 'end_turn');
});

test('a reply longer than max_tokens stops with max_tokens', () => {
  const reply = scriptReply(request({ max_tokens: 10, tools: [{ name: 'Bash', input_schema: { type: 'object' } }], messages: [{ role: 'user', content: 'go' }] }));
  assert.equal(reply.stop_reason, 'max_tokens');
  assert.equal(reply.output_tokens, 10);
  assert.ok(Math.ceil(Buffer.byteLength(JSON.stringify(reply.content)) / 4) <= 10);
});
