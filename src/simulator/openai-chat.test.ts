import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildChatChunks, buildChatCompletion, validateChatRequest } from './openai-chat.ts';
import type { OpenAIScriptedReply } from './openai-script.ts';
import { chatUsage } from './openai-usage.ts';
import type { JsonObject } from '../json/json-object.ts';

function error(body: unknown): JsonObject | undefined {
  const result = validateChatRequest(body);
  if (result.ok) return undefined;
  const { message, param, code, status, type } = result.error;
  return { status, type, message, param, code };
}

const user = { role: 'user', content: 'hi' };
const call = (id: string): JsonObject => ({ id, type: 'function', function: { name: 'f', arguments: '{}' } });

test('valid requests pass: any model id, string or part content, tool loop history', () => {
  for (const model of ['gpt-5.5', 'openai/gpt-5.5', 'deepseek/deepseek-v4-flash']) {
    assert.equal(error({ model, messages: [user] }), undefined);
  }
  assert.equal(
    error({
      model: 'm',
      tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
      tool_choice: 'auto',
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 100,
      messages: [
        { role: 'developer', content: [{ type: 'text', text: 'rules' }] },
        user,
        { role: 'assistant', content: null, tool_calls: [call('a'), call('b')] },
        { role: 'tool', tool_call_id: 'b', content: 'B' },
        { role: 'tool', tool_call_id: 'a', content: 'A' },
        { role: 'assistant', content: 'done' },
        user,
      ],
    }),
    undefined,
  );
});

test('request errors use OpenAI messages, params and codes', () => {
  assert.deepEqual(error({ messages: [user] }), {
    status: 400,
    type: 'invalid_request_error',
    message: 'you must provide a model parameter',
    param: null,
    code: null,
  });
  assert.equal(error({ model: 'm' })?.param, 'messages');
  assert.equal(error({ model: 'm', messages: [] })?.code, 'empty_array');
  assert.deepEqual(error({ model: 'm', messages: [{ role: 'robot', content: 'x' }] }), {
    status: 400,
    type: 'invalid_request_error',
    message: "Invalid value: 'robot'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.",
    param: 'messages[0].role',
    code: 'invalid_value',
  });
  assert.equal(error({ model: 'm', messages: [{ role: 'user' }] })?.param, 'messages[0].content');
  assert.equal(error({ model: 'm', messages: [user], stream_options: { include_usage: true } })?.param, 'stream_options');
  assert.equal(error({ model: 'm', messages: [user], max_tokens: 0 })?.code, 'integer_below_min_value');
  assert.equal(error({ model: 'm', messages: [user], tool_choice: 'auto' })?.param, 'tool_choice');
  assert.equal(error({ model: 'm', messages: [user], tools: [{ type: 'function', function: { name: 'a.b' } }] })?.param, 'tools[0].function.name');
  assert.equal(error({ model: 'm', messages: [user], tools: [{ type: 'web_search' }] })?.param, 'tools[0].type');
});

test('tool messages must answer the tool_calls right before them, and every call must be answered', () => {
  const orphan = error({ model: 'm', messages: [user, { role: 'tool', tool_call_id: 'x', content: 'o' }] });
  assert.equal(orphan?.message, "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.");
  assert.equal(orphan?.param, 'messages.[1].role');

  const unanswered = error({
    model: 'm',
    messages: [user, { role: 'assistant', tool_calls: [call('a'), call('b')] }, { role: 'tool', tool_call_id: 'a', content: 'A' }, user],
  });
  assert.equal(
    unanswered?.message,
    "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: b",
  );
  const trailing = error({ model: 'm', messages: [user, { role: 'assistant', tool_calls: [call('a')] }] });
  assert.match(String(trailing?.message), /did not have response messages: a$/);
});

const meta = { id: 'chatcmpl-sim-1', created: 1_767_225_600, model: 'openai/gpt-5.5' };
const toolReply: OpenAIScriptedReply = {
  text: null,
  calls: [
    { kind: 'function', number: 1, name: 'exec_command', input: '{"cmd":"echo synrouter-step-1"}' },
    { kind: 'custom', number: 2, name: 'apply_patch', input: 'echo synrouter-step-1-2' },
  ],
  finish: 'tool_calls',
  outputTokens: 20,
};

test('completion object: tool calls with call_sim ids, usage with cached tokens inside prompt_tokens', () => {
  const usage = chatUsage(2000, 1536, 20);
  const completion = buildChatCompletion(meta, toolReply, usage);
  assert.deepEqual(completion.choices, [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        annotations: [],
        tool_calls: [
          { id: 'call_sim_1', type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"echo synrouter-step-1"}' } },
          { id: 'call_sim_2', type: 'custom', custom: { name: 'apply_patch', input: 'echo synrouter-step-1-2' } },
        ],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    },
  ]);
  assert.deepEqual(completion.usage, {
    prompt_tokens: 2000,
    completion_tokens: 20,
    total_tokens: 2020,
    prompt_tokens_details: { cached_tokens: 1536, cache_write_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  });
});

test('chunks: role first, arguments in 2+ fragments by index, finish, then the usage chunk with choices []', () => {
  const usage = chatUsage(100, 0, 20);
  const chunks = buildChatChunks(meta, toolReply, usage, true);
  const deltas = chunks.map((c) => ((c.choices as JsonObject[])[0]?.delta ?? null) as JsonObject | null);
  assert.deepEqual(deltas[0], { role: 'assistant', content: null, refusal: null });
  for (const index of [0, 1]) {
    const parts = deltas.flatMap((d) => ((d?.tool_calls ?? []) as JsonObject[]).filter((t) => t.index === index));
    assert.equal(parts[0]?.id, `call_sim_${index + 1}`, 'id only in the first fragment');
    assert.ok(parts.slice(1).every((p) => p.id === undefined));
    const fragments = parts.slice(1).map((p) => {
      const spec = (p.function ?? p.custom) as JsonObject;
      return String(spec.arguments ?? spec.input);
    });
    assert.ok(fragments.length >= 2);
    assert.equal(fragments.join(''), toolReply.calls[index]?.input);
  }
  const finish = chunks.at(-2);
  assert.deepEqual(finish?.choices, [{ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' }]);
  assert.deepEqual(chunks.at(-1)?.choices, []);
  assert.deepEqual(chunks.at(-1)?.usage, usage);
  assert.ok(chunks.slice(0, -1).every((c) => c.usage === null), 'every other chunk carries usage: null');

  const without = buildChatChunks(meta, toolReply, usage, false);
  assert.equal(without.length, chunks.length - 1);
  assert.ok(without.every((c) => !('usage' in c)));
});
