import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ProxyError } from '../../errors.ts';
import type { ResponsesRequest } from '../shared/wire-openai-responses.ts';
import { translateRequest } from './request.ts';

const load = (name: string): unknown => JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
const CODEX = load('codex-request.json') as ResponsesRequest;
const is400 = (param: string) => (e: unknown) => e instanceof ProxyError && e.status === 400 && e.param === param;

test('a Codex body (developer messages, function calls, namespace + custom tools) becomes the exact Anthropic body', () => {
  const { body, warnings, toolNameMap } = translateRequest(CODEX, { model: 'claude-opus-4-8' });
  assert.equal(JSON.stringify(body), JSON.stringify(load('codex-request.anthropic.json')));
  assert.deepEqual(warnings.map((w) => [w.code, w.param]), [['dropped_tool', 'tools[3]'], ['dropped_item', 'input[5]']]);
  assert.deepEqual(toolNameMap, {
    exec_command: { name: 'exec_command', kind: 'function' },
    apply_patch: { name: 'apply_patch', kind: 'custom' },
    multi_agent_v1__spawn_agent: { name: 'spawn_agent', namespace: 'multi_agent_v1', kind: 'function' },
    multi_agent_v1__wait: { name: 'wait', namespace: 'multi_agent_v1', kind: 'function' },
  });
});

test('determinism: same body twice -> byte-identical JSON; the input is not mutated; appends keep the prefix', () => {
  const before = JSON.stringify(CODEX);
  const a = JSON.stringify(translateRequest(CODEX, { model: 'm' }).body);
  assert.equal(JSON.stringify(translateRequest(structuredClone(CODEX), { model: 'm' }).body), a);
  assert.equal(JSON.stringify(CODEX), before);
  const input = CODEX.input as unknown[];
  for (const cut of [4, 8, 10, 13]) {
    const prev = JSON.stringify(translateRequest({ ...CODEX, input: input.slice(0, cut) as never }, { model: 'm' }).body.messages);
    assert.ok(JSON.stringify(translateRequest(CODEX, { model: 'm' }).body.messages).startsWith(prev.slice(0, -3)), `cut ${cut}`);
  }
});

test('gpt-6.1-sol "code mode" shape: tools inside an additional_tools item, configuration_update, no parallel calls', () => {
  const req: ResponsesRequest = {
    model: 'gpt-6.1-sol',
    input: [
      { type: 'additional_tools', role: 'developer', id: 'at_1', tools: [
        { type: 'namespace', name: 'functions', description: '', tools: [
          { type: 'custom', name: 'exec', description: 'Run JavaScript that calls nested tools.' },
          { type: 'function', name: 'wait', description: 'Wait.', parameters: { type: 'object', properties: { ms: { type: 'number' } } } },
        ] },
      ] },
      { type: 'configuration_update', reasoning: { effort: 'low' } },
      { type: 'message', role: 'developer', content: 'Be terse.' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }], internal_chat_message_metadata_passthrough: { a: 1 } },
    ],
    reasoning: { effort: 'low', context: 'all_turns' },
    text: { verbosity: 'low' },
    parallel_tool_calls: false,
    tool_choice: 'auto',
    max_output_tokens: 20000,
    prompt_cache_key: 'thread-1',
  };
  const { body, warnings, toolNameMap } = translateRequest(req, { model: 'claude-opus-4-8' });
  assert.deepEqual(body, {
    model: 'claude-opus-4-8',
    max_tokens: 20000,
    system: [{ type: 'text', text: 'Be terse.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    tools: [
      { name: 'functions__exec', description: 'Run JavaScript that calls nested tools.', input_schema: { type: 'object', properties: { input: { type: 'string' } }, required: ['input'] } },
      { name: 'functions__wait', description: 'Wait.', input_schema: { type: 'object', properties: { ms: { type: 'number' } } } },
    ],
    tool_choice: { type: 'auto', disable_parallel_tool_use: true },
    thinking: { type: 'adaptive' },
    output_config: { effort: 'low' },
  });
  assert.deepEqual(warnings.map((w) => w.param), ['text.verbosity']);
  assert.equal(toolNameMap['functions__exec']!.kind, 'custom');
});

test('configuration_update effort applies when the body has none; instructions lead the system; a string input is a user turn', () => {
  const { body } = translateRequest({
    instructions: 'You are helpful.',
    input: [{ type: 'configuration_update', reasoning: { effort: 'high' } }, { role: 'user', content: 'hello' }],
  }, { model: 'm' });
  assert.deepEqual(body.system, [{ type: 'text', text: 'You are helpful.' }]);
  assert.deepEqual(body.thinking, { type: 'adaptive' });
  assert.deepEqual(body.output_config, { effort: 'high' });
  assert.deepEqual(translateRequest({ input: 'just text' }, { model: 'm' }).body.messages, [{ role: 'user', content: [{ type: 'text', text: 'just text' }] }]);
});

test('with effort set, a turn that continues a tool loop has thinking disabled (no thinking block to replay)', () => {
  const { body, warnings } = translateRequest({ ...CODEX, reasoning: { effort: 'medium' } }, { model: 'm' });
  assert.deepEqual(body.thinking, { type: 'disabled' });
  assert.deepEqual(body.output_config, { effort: 'medium' });
  assert.ok(warnings.some((w) => w.code === 'thinking_disabled'));
});

test('images and tool outputs with images', () => {
  const { body } = translateRequest({ input: [
    { role: 'user', content: [{ type: 'input_image', image_url: 'data:image/jpeg;base64,/9j/4AAQ', detail: 'auto' }, { type: 'input_text', text: 'what is this?' }] },
    { type: 'function_call', call_id: 'c1', name: 'view_image', arguments: '{"path":"a.png"}' },
    { type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_image', image_url: 'https://example.com/a.png' }] },
  ] }, { model: 'm' });
  assert.deepEqual(body.messages, [
    { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } }, { type: 'text', text: 'what is this?' }] },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'c1', name: 'view_image', input: { path: 'a.png' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c1', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }] }] },
  ]);
});

test('refusals: bad arguments, server state, name collisions, unknown tool_choice', () => {
  const withCall = (args: string): ResponsesRequest => ({ input: [{ role: 'user', content: 'x' }, { type: 'function_call', call_id: 'c', name: 'f', arguments: args }] });
  assert.throws(() => translateRequest(withCall('{"cmd": '), { model: 'm' }), is400('input[1].arguments'));
  assert.throws(() => translateRequest({ input: 'x', previous_response_id: 'resp_1' }, { model: 'm' }), is400('previous_response_id'));
  assert.throws(() => translateRequest({ input: 'x', tools: [
    { type: 'function', name: 'ns__t' },
    { type: 'namespace', name: 'ns', tools: [{ type: 'function', name: 't' }] },
  ] }, { model: 'm' }), is400('tools[1].tools[0]'));
  assert.throws(() => translateRequest({ input: 'x', tools: [{ type: 'function', name: 'a' }], tool_choice: { type: 'function', name: 'zzz' } }, { model: 'm' }), is400('tool_choice'));
  // A namespaced function named without its namespace resolves when unique.
  const { body } = translateRequest({ input: 'x', tools: [{ type: 'namespace', name: 'ns', tools: [{ type: 'function', name: 't' }] }], tool_choice: { type: 'function', name: 't' } }, { model: 'm' });
  assert.deepEqual(body.tool_choice, { type: 'tool', name: 'ns__t' });
});

// ---- Claude's thinking carried through reasoning items (reasoning.ts) ----

const carrierOf = (blocks: unknown[]) => `srant1:${Buffer.from(JSON.stringify(blocks)).toString('base64url')}`;
const THINK_1 = { type: 'thinking', thinking: 'List first, then read.', signature: 'EuYBCkQYAiJAsig1' } as const;
const REDACTED = { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix' } as const;
const THINK_2 = { type: 'thinking', thinking: 'Now read the README.', signature: 'EuYBCkQYAiJAsig2' } as const;
const LOOP_TOOLS: ResponsesRequest['tools'] = [{ type: 'function', name: 'exec_command', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } }];
const loopRequest = (input: unknown[]): ResponsesRequest => ({
  model: 'gpt-5-codex', input: input as never, tools: LOOP_TOOLS, tool_choice: 'auto', reasoning: { effort: 'medium', summary: 'auto' },
  store: false, include: ['reasoning.encrypted_content'], stream: true,
});
/** What Codex sends on the next turn: the history, the answer's output items as received, the tool's output. */
const USER = { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'list the files' }] };
const TURN_1_OUTPUT = [
  { type: 'reasoning', id: 'rs_a_0', summary: [{ type: 'summary_text', text: THINK_1.thinking }], encrypted_content: carrierOf([THINK_1]), status: 'completed' },
  { type: 'reasoning', id: 'rs_a_1', summary: [], encrypted_content: carrierOf([REDACTED]), status: 'completed' },
  { type: 'message', id: 'msg_a_2', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Listing.', annotations: [] }] },
  { type: 'function_call', id: 'fc_a_3', call_id: 'toolu_1', name: 'exec_command', arguments: '{"cmd":"ls"}', status: 'completed' },
];
const TURN_2_INPUT = [USER, ...TURN_1_OUTPUT, { type: 'function_call_output', call_id: 'toolu_1', output: 'README.md' }];
const TURN_3_INPUT = [
  ...TURN_2_INPUT,
  { type: 'reasoning', id: 'rs_b_0', summary: [{ type: 'summary_text', text: THINK_2.thinking }], encrypted_content: carrierOf([THINK_2]), status: 'completed' },
  { type: 'function_call', id: 'fc_b_1', call_id: 'toolu_2', name: 'exec_command', arguments: '{"cmd":"cat README.md"}', status: 'completed' },
  { type: 'function_call_output', call_id: 'toolu_2', output: '# hi' },
];

test('our reasoning items become the exact thinking blocks at the start of their assistant turn; thinking stays on in the tool loop', () => {
  const { body, warnings } = translateRequest(loopRequest(TURN_2_INPUT), { model: 'claude-opus-4-8' });
  assert.deepEqual(body.messages, [
    { role: 'user', content: [{ type: 'text', text: 'list the files' }] },
    { role: 'assistant', content: [THINK_1, REDACTED, { type: 'text', text: 'Listing.' }, { type: 'tool_use', id: 'toolu_1', name: 'exec_command', input: { cmd: 'ls' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'README.md' }] },
  ]);
  // Byte-for-byte (protocols.md §1.3): key order and values as Anthropic sent them.
  assert.equal(JSON.stringify((body.messages[1]!.content as unknown[])[0]), JSON.stringify(THINK_1));
  assert.deepEqual(body.thinking, { type: 'adaptive' });
  assert.deepEqual(body.output_config, { effort: 'medium' });
  assert.deepEqual(warnings, []);

  const third = translateRequest(loopRequest(TURN_3_INPUT), { model: 'claude-opus-4-8' });
  assert.deepEqual(third.body.messages[3], { role: 'assistant', content: [THINK_2, { type: 'tool_use', id: 'toolu_2', name: 'exec_command', input: { cmd: 'cat README.md' } }] });
  assert.deepEqual(third.body.thinking, { type: 'adaptive' });
  assert.deepEqual(third.warnings, []);
});

test('thinking carried turn after turn: the same input gives the same bytes, and each turn extends the previous one', () => {
  const bytes = (input: unknown[]) => JSON.stringify(translateRequest(loopRequest(input), { model: 'claude-opus-4-8' }).body);
  const t2 = bytes(TURN_2_INPUT);
  assert.equal(bytes(structuredClone(TURN_2_INPUT)), t2);
  const messages = (input: unknown[]) => JSON.stringify(translateRequest(loopRequest(input), { model: 'claude-opus-4-8' }).body.messages);
  assert.ok(messages(TURN_3_INPUT).startsWith(messages(TURN_2_INPUT).slice(0, -2)), 'turn 3 messages extend turn 2');
  // Thinking config and effort are the same on every turn: nothing before the messages changes (§2.8).
  const head = (s: string) => s.slice(0, s.indexOf('"messages"')) + s.slice(s.indexOf('"tools"'));
  assert.equal(head(bytes(TURN_3_INPUT)), head(t2));
  assert.equal(head(bytes([USER])), head(t2), 'turn 1 (no tool loop yet) has the same thinking config');
});

test('foreign encrypted_content is still dropped (and the tool loop then has thinking off); a damaged carrier is dropped with a warning', () => {
  const foreign = TURN_2_INPUT.map((i) => ((i as { type: string }).type === 'reasoning' ? { ...i, encrypted_content: 'gAAAAABpZ2Vu-opaque-openai-blob' } : i));
  const f = translateRequest(loopRequest(foreign), { model: 'm' });
  assert.deepEqual(f.body.messages[1], { role: 'assistant', content: [{ type: 'text', text: 'Listing.' }, { type: 'tool_use', id: 'toolu_1', name: 'exec_command', input: { cmd: 'ls' } }] });
  assert.deepEqual(f.body.thinking, { type: 'disabled' });
  assert.deepEqual(f.warnings.map((w) => w.code), ['thinking_disabled']);

  const damaged = TURN_2_INPUT.map((i, n) => (n === 1 ? { ...i, encrypted_content: 'srant1:bm9wZQ' } : i));
  const d = translateRequest(loopRequest(damaged), { model: 'm' });
  assert.deepEqual((d.body.messages[1]!.content as unknown[])[0], REDACTED, 'the intact carrier still counts');
  assert.deepEqual(d.warnings.map((w) => [w.code, w.param]), [['dropped_item', 'input[1].encrypted_content']]);
  assert.deepEqual(d.body.thinking, { type: 'adaptive' });
});

test('the fixture Codex turn (OpenAI reasoning item) is unchanged: foreign reasoning dropped without a warning', () => {
  const { warnings } = translateRequest(CODEX, { model: 'claude-opus-4-8' });
  assert.ok(!warnings.some((w) => w.param?.startsWith('input[4]')));
});

test('a tool loop whose answer came without thinking keeps thinking on when the client replays the no-thinking item', () => {
  const answer = [
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Listing.' }] },
    { type: 'function_call', call_id: 'toolu_7', name: 'exec_command', arguments: '{"cmd":"ls"}' },
  ];
  const loop = (marker: boolean): ResponsesRequest => ({
    reasoning: { effort: 'medium' },
    tools: [{ type: 'function', name: 'exec_command', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } }],
    input: [
      { role: 'user', content: 'list the files' },
      ...(marker ? [{ type: 'reasoning', id: 'rs_1_0', summary: [], encrypted_content: 'srant1:W10' }] : []),
      ...answer,
      { type: 'function_call_output', call_id: 'toolu_7', output: 'README.md' },
    ] as ResponsesRequest['input'],
  });
  const kept = translateRequest(loop(true), { model: 'm' });
  assert.deepEqual(kept.body.thinking, { type: 'adaptive' });
  assert.deepEqual(kept.warnings, []);
  // The item adds nothing to the conversation: the same messages as without it.
  const dropped = translateRequest(loop(false), { model: 'm' });
  assert.equal(JSON.stringify(kept.body.messages), JSON.stringify(dropped.body.messages));
  // Without it the missing block may have been lost by the client: thinking off, as Anthropic requires then.
  assert.deepEqual(dropped.body.thinking, { type: 'disabled' });
  assert.ok(dropped.warnings.some((w) => w.code === 'thinking_disabled'));
  // The item speaks for the answer right after it only: a later answer without one still turns thinking off.
  const later = loop(true);
  (later.input as unknown[]).push(
    { type: 'function_call', call_id: 'toolu_8', name: 'exec_command', arguments: '{"cmd":"pwd"}' },
    { type: 'function_call_output', call_id: 'toolu_8', output: '/w' },
  );
  assert.deepEqual(translateRequest(later, { model: 'm' }).body.thinking, { type: 'disabled' });
});
