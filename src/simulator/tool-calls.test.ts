import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callArguments, pickTool, type OfferedTool } from './tool-calls.ts';

const fn = (name: string, properties: Record<string, object> = {}, required: string[] = []): OfferedTool => ({ kind: 'function', name, parameters: { type: 'object', properties, required } });
const str = { type: 'string' };
const auto = { mode: 'auto' as const };
/** The call a first reply makes with a client's tool list. */
const first = (tools: OfferedTool[]) => {
  const tool = pickTool(tools, auto)!;
  return [tool.name, callArguments(tool, 1)];
};

// The shapes of the clients' own tools (clients.md), in the order they list them.
test("each client's first try runs a harmless real command in its shell tool", () => {
  assert.deepEqual(first([fn('update_plan', { plan: { type: 'array' } }, ['plan']), fn('exec_command', { cmd: str, workdir: str }, ['cmd']), fn('write_stdin', { session_id: { type: 'integer' } }, ['session_id'])]),
    ['exec_command', { cmd: 'echo synrouter-step-1' }], 'Codex');
  assert.deepEqual(first([fn('Agent', { prompt: str }, ['prompt']), fn('Bash', { command: str, description: str, timeout: { type: 'number' } }, ['command']), fn('Edit', { file_path: str }, ['file_path'])]),
    ['Bash', { command: 'echo synrouter-step-1', description: 'Step 1' }], 'Claude Code');
  assert.deepEqual(first([fn('background_process', { command: str }, ['command']), fn('bash', { command: str, description: str, workdir: str }, ['command', 'description']), fn('edit', { filePath: str }, ['filePath'])]),
    ['bash', { command: 'echo synrouter-step-1', description: 'Step 1' }], 'Kilo (alphabetical tools)');
  assert.deepEqual(first([fn('apply_patch', { input: str }, ['input']), fn('edit', { path: str }, ['path']), fn('exec', { command: str, workdir: str, timeout: { type: 'number' } }, ['command']), fn('ls', { path: str })]),
    ['exec', { command: 'echo synrouter-step-1' }], 'OpenClaw');
  assert.deepEqual(first([fn('terminal', { command: str, timeout: { type: 'integer' } }, ['command']), fn('read_file', { path: str }, ['path'])]),
    ['terminal', { command: 'echo synrouter-step-1' }], 'Hermes');
  assert.deepEqual(first([fn('shell', { command: { type: 'array', items: str } }, ['command'])]), ['shell', { command: ['bash', '-lc', 'echo synrouter-step-1'] }], 'older Codex: argv');
  assert.deepEqual(first([fn('run', { cmd: str }, ['cmd'])]), ['run', { cmd: 'echo synrouter-step-1' }], 'a tool asking for a command string');
  assert.deepEqual(first([{ kind: 'custom', name: 'exec' }]), ['exec', 'echo synrouter-step-1'], 'Codex code mode');
});

test('without a shell tool: a listing of the working directory, else a tool that changes nothing, with paths that exist', () => {
  assert.deepEqual(first([fn('write_file', { path: str, content: str }, ['path', 'content']), fn('list_dir', { path: str }, ['path'])]), ['list_dir', { path: '.' }]);
  assert.deepEqual(first([fn('apply_patch', { input: str }, ['input']), fn('read', { file_path: str }, ['file_path']), fn('grep', { pattern: str }, ['pattern'])]), ['read', { file_path: '.' }]);
  assert.deepEqual(first([fn('search_files', { pattern: str }, ['pattern'])]), ['search_files', { pattern: '*' }]);
  assert.deepEqual(first([fn('write_file', { path: str }, ['path'])]), ['write_file', { path: '.' }], 'only a writer: called all the same');
  // A choice still rules: none calls nothing, a named tool is that tool.
  assert.equal(pickTool([fn('exec_command')], { mode: 'none' }), undefined);
  assert.equal(pickTool([fn('exec_command'), fn('read')], { mode: 'required', names: ['read'] })?.name, 'read');
});
