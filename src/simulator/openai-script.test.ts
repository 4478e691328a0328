import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countChatToolRounds, countChatToolCalls, chatToolChoice, chatTools, lastChatToolOutput } from './openai-chat.ts';
import {
  countResponsesToolCalls,
  countResponsesToolRounds,
  lastResponsesToolOutput,
  responsesToolChoice,
  responsesTools,
} from './openai-responses.ts';
import { callInput, parallelCalls, pickTool, scriptOpenAIReply, type ScriptState, type ScriptTool } from './openai-script.ts';

const readFile: ScriptTool = {
  kind: 'function',
  name: 'read_file',
  parameters: { type: 'object', properties: { path: { type: 'string' }, limit: { type: 'integer' } }, required: ['path'] },
};
const execCommand: ScriptTool = { kind: 'function', name: 'exec_command', parameters: { type: 'object' } };
const bash: ScriptTool = { kind: 'function', name: 'bash', parameters: { type: 'object', properties: { command: { type: 'string' }, why: { type: 'string' } }, required: ['why'] } };
const exec: ScriptTool = { kind: 'custom', name: 'exec', namespace: 'functions' };

function state(fields: Partial<ScriptState>): ScriptState {
  return { tools: [], toolChoice: { mode: 'auto' }, roundsDone: 0, callsSoFar: 0, lastToolOutput: undefined, parallel: 1, ...fields };
}

test('tool preference: exec_command, then shell/bash/Bash, then the first function tool; custom only without functions', () => {
  const auto = { mode: 'auto' as const };
  assert.equal(pickTool([readFile, bash, execCommand], auto)?.name, 'exec_command');
  assert.equal(pickTool([readFile, bash], auto)?.name, 'bash');
  assert.equal(pickTool([readFile, exec], auto)?.name, 'read_file');
  assert.equal(pickTool([exec], auto)?.name, 'exec');
  assert.equal(pickTool([execCommand], { mode: 'none' }), undefined);
  assert.equal(pickTool([execCommand, readFile], { mode: 'required', names: ['read_file'] })?.name, 'read_file');
});

test('call inputs: Codex exec_command, a command string or argv, schema-required arguments, freeform input', () => {
  assert.equal(callInput(execCommand, 2, 0), '{"cmd":"echo synrouter-step-2"}');
  assert.equal(callInput(execCommand, 2, 1), '{"cmd":"echo synrouter-step-2-2"}');
  assert.deepEqual(JSON.parse(callInput(bash, 1, 0)), { why: 'sim', command: 'echo synrouter-step-1' });
  const argvShell: ScriptTool = { kind: 'function', name: 'shell', parameters: { type: 'object', properties: { command: { type: 'array' } } } };
  assert.deepEqual(JSON.parse(callInput(argvShell, 1, 0)), { command: ['bash', '-lc', 'echo synrouter-step-1'] });
  assert.deepEqual(JSON.parse(callInput(readFile, 1, 0)), { path: '.' }, 'a path that exists wherever the agent runs');
  assert.equal(callInput(exec, 3, 0), 'echo synrouter-step-3');
});

test('replies: tool rounds until `rounds`, numbered calls, then a text quoting the last tool output', () => {
  const first = scriptOpenAIReply(state({ tools: [execCommand] }), 2);
  assert.equal(first.finish, 'tool_calls');
  assert.equal(first.text, null);
  assert.deepEqual(first.calls, [{ kind: 'function', number: 1, name: 'exec_command', input: '{"cmd":"echo synrouter-step-1"}' }]);

  const parallel = scriptOpenAIReply(state({ tools: [execCommand], roundsDone: 1, callsSoFar: 1, parallel: 2 }), 2);
  assert.deepEqual(parallel.calls.map((c) => [c.number, c.input]), [
    [2, '{"cmd":"echo synrouter-step-2"}'],
    [3, '{"cmd":"echo synrouter-step-2-2"}'],
  ]);

  const long = 'x'.repeat(150);
  const done = scriptOpenAIReply(state({ tools: [execCommand], roundsDone: 2, callsSoFar: 3, lastToolOutput: long }), 2);
  assert.equal(done.finish, 'stop');
  assert.equal(done.text, `Done after 2 tool calls. Last tool result: ${'x'.repeat(100)}`);
  assert.deepEqual(done.calls, []);

  const required = scriptOpenAIReply(state({ tools: [execCommand], roundsDone: 5, toolChoice: { mode: 'required' } }), 2);
  assert.equal(required.finish, 'tool_calls', 'tool_choice required forces a call past `rounds`');

  const custom = scriptOpenAIReply(state({ tools: [exec] }), 1);
  assert.deepEqual(custom.calls, [{ kind: 'custom', number: 1, name: 'exec', namespace: 'functions', input: 'echo synrouter-step-1' }]);

  const hostedOnly = scriptOpenAIReply(state({ tools: [] }), 3);
  assert.equal(hostedOnly.text, 'Done after 0 tool calls.');
});

test('an output limit cuts the reply to text and stops with `length`', () => {
  const cut = scriptOpenAIReply(state({ lastToolOutput: 'y'.repeat(200), maxOutputTokens: 5 }), 0);
  assert.equal(cut.finish, 'length');
  assert.equal(cut.outputTokens, 5);
  assert.ok(Buffer.byteLength(cut.text ?? '') <= 20);
  assert.ok(cut.text?.startsWith('Done after'));
});

test('parallelCalls: header or option, capped, and 1 with parallel_tool_calls:false', () => {
  assert.equal(parallelCalls(undefined, undefined), 1);
  assert.equal(parallelCalls(2, true), 2);
  assert.equal(parallelCalls(2, false), 1);
  assert.equal(parallelCalls(99, undefined), 8);
});

test('chat: rounds are assistant turns with tool_calls; tool choice and tools are read', () => {
  const body = {
    model: 'm',
    tools: [
      { type: 'function', function: { name: 'exec_command', parameters: {} } },
      { type: 'custom', custom: { name: 'apply_patch' } },
    ],
    messages: [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'exec_command', arguments: '{}' } }, { id: 'b', type: 'function', function: { name: 'exec_command', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'a', content: 'out a' },
      { role: 'tool', tool_call_id: 'b', content: [{ type: 'text', text: 'out b' }] },
    ],
  };
  assert.equal(countChatToolRounds(body), 1);
  assert.equal(countChatToolCalls(body), 2);
  assert.equal(lastChatToolOutput(body), 'out b');
  assert.deepEqual(chatTools(body).map((t) => [t.kind, t.name]), [['function', 'exec_command'], ['custom', 'apply_patch']]);
  assert.deepEqual(chatToolChoice({ type: 'function', function: { name: 'x' } }), { mode: 'required', names: ['x'] });
  assert.deepEqual(chatToolChoice('none'), { mode: 'none' });
  assert.deepEqual(chatToolChoice({ type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'y' } }] } }), {
    mode: 'auto',
    names: ['y'],
  });
});

test('responses: rounds are runs of call items; namespace, custom and additional_tools tools are callable, hosted ones not', () => {
  const body = {
    model: 'm',
    tools: [
      { type: 'web_search' },
      { type: 'namespace', name: 'multi_agent_v1', description: 'd', tools: [{ type: 'function', name: 'spawn', parameters: {} }] },
    ],
    input: [
      { type: 'additional_tools', role: 'developer', tools: [{ type: 'namespace', name: 'functions', tools: [{ type: 'custom', name: 'exec' }] }] },
      { role: 'user', content: 'go' },
      { type: 'reasoning', id: 'rs_1', summary: [] },
      { type: 'function_call', call_id: 'a', name: 'spawn', arguments: '{}' },
      { type: 'function_call', call_id: 'b', name: 'spawn', arguments: '{}' },
      { type: 'function_call_output', call_id: 'a', output: 'A' },
      { type: 'function_call_output', call_id: 'b', output: 'B' },
      { type: 'custom_tool_call', call_id: 'c', name: 'exec', input: 'ls' },
      { type: 'custom_tool_call_output', call_id: 'c', output: [{ type: 'input_text', text: 'C' }] },
    ],
  };
  assert.equal(countResponsesToolRounds(body), 2);
  assert.equal(countResponsesToolCalls(body), 3);
  assert.equal(lastResponsesToolOutput(body), 'C');
  assert.deepEqual(responsesTools(body), [
    { kind: 'function', name: 'spawn', parameters: {}, namespace: 'multi_agent_v1' },
    { kind: 'custom', name: 'exec', namespace: 'functions' },
  ]);
  assert.deepEqual(responsesToolChoice({ type: 'function', name: 'spawn' }), { mode: 'required', names: ['spawn'] });
  assert.deepEqual(responsesToolChoice('auto'), { mode: 'auto' });
});
