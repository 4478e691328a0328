// The OpenAI-compatible routes over HTTP, driven by the official openai SDK (which validates chunk and
// event shapes strictly: a malformed stream makes these tests throw).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { ManualClock } from './clock.ts';
import { OPENAI_CACHE_TTL_MS } from './openai-cache.ts';
import { anthropicUsageOf, chatUsageOf, responsesUsageOf } from './openai-usage.ts';
import { startSimulator, type Simulator } from './simulator.ts';
import { MINUTE, filler } from './test-fixtures.ts';
import type { JsonObject } from '../json/json-object.ts';

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type InputItem = OpenAI.Responses.ResponseInputItem;

let sim: Simulator;
let clock: ManualClock;
before(async () => {
  clock = new ManualClock();
  sim = await startSimulator({ clock });
});
after(async () => {
  await sim.close();
});

function client(apiKey = 'sk-test', headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${sim.url}/v1`, maxRetries: 0, defaultHeaders: headers });
}

const longSystem = filler(1500, 'You are a coding agent');
const chatTools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  {
    type: 'function',
    function: { name: 'exec_command', description: 'Run a command', parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] } },
  },
  { type: 'function', function: { name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } } },
];
const responsesTools: OpenAI.Responses.Tool[] = [
  { type: 'function', name: 'exec_command', parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] }, strict: false },
  { type: 'web_search' },
];

/** Runs a tool call the way an agent would: a deterministic output naming the command. */
function runTool(args: string): string {
  const parsed = JSON.parse(args) as { cmd?: string };
  return `ran: ${parsed.cmd ?? args}`;
}

async function rawPost(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

function lastLog(): Simulator['requests'][number] {
  const log = sim.requests.at(-1);
  assert.ok(log);
  return log;
}

test('chat, non-streaming: completion shape, a tool call, usage on the response and the log', async () => {
  const { data, response, request_id } = await client()
    .chat.completions.create({ model: 'openai/gpt-5.5', messages: [{ role: 'user', content: 'list the files' }], tools: chatTools })
    .withResponse();
  assert.equal(response.status, 200);
  assert.equal(data.object, 'chat.completion');
  assert.equal(data.model, 'openai/gpt-5.5');
  assert.equal(data.created, Math.floor(clock.now() / 1000));
  const choice = data.choices[0];
  assert.equal(choice?.finish_reason, 'tool_calls');
  assert.equal(choice?.message.content, null);
  assert.deepEqual(choice?.message.tool_calls, [
    { id: 'call_sim_1', type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"echo synrouter-step-1"}' } },
  ]);
  const log = lastLog();
  assert.equal(request_id, log.requestId);
  assert.equal(log.path, '/v1/chat/completions');
  assert.deepEqual(chatUsageOf(log), data.usage);
  assert.equal(responsesUsageOf(log), undefined);
  assert.equal(anthropicUsageOf(log), undefined);
  assert.equal(data.usage?.prompt_tokens_details?.cached_tokens, 0);
  assert.equal(data.usage?.total_tokens, (data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0));
});

test('chat, streaming with include_usage: usage:null on every chunk, a last chunk with choices [] and the usage, then [DONE]', async () => {
  const body = { model: 'deepseek/deepseek-v4-flash', messages: [{ role: 'user' as const, content: 'hi' }], tools: chatTools, stream: true as const, stream_options: { include_usage: true } };
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  for await (const chunk of await client().chat.completions.create(body)) chunks.push(chunk);
  const last = chunks.at(-1);
  assert.deepEqual(last?.choices, []);
  assert.deepEqual(last?.usage, chatUsageOf(lastLog()));
  assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
  const args = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).map((t) => t.function?.arguments ?? '');
  assert.equal(args.join(''), '{"cmd":"echo synrouter-step-1"}');
  assert.ok(args.filter((a) => a !== '').length >= 2, 'arguments arrive in 2+ fragments');
  assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'tool_calls');

  // The SDK's accumulating helper rebuilds the same completion.
  const final = await client().chat.completions.stream(body).finalChatCompletion();
  assert.equal(final.choices[0]?.message.tool_calls?.[0]?.id, 'call_sim_1');

  // On the wire: data-only frames, the [DONE] sentinel last.
  const raw = await (await rawPost('/v1/chat/completions', body)).text();
  assert.ok(raw.endsWith('data: [DONE]\n\n'));
  assert.ok(raw.split('\n\n').filter((f) => f !== '').every((f) => f.startsWith('data: ')));
  const noUsage = await (await rawPost('/v1/chat/completions', { ...body, stream_options: undefined })).text();
  assert.ok(!noUsage.includes('"usage"'), 'without include_usage no chunk carries usage');
});

test('chat tool loop with the SDK: rounds, parallel calls, the final answer quotes the last tool output, prefix cache reads', async () => {
  const openai = client('sk-loop', { 'x-sim-parallel': '2' });
  const messages: ChatMessage[] = [
    { role: 'system', content: longSystem },
    { role: 'user', content: 'Run the steps.' },
  ];
  const completions: OpenAI.Chat.Completions.ChatCompletion[] = [];
  for (let turn = 0; turn < 10; turn++) {
    const completion = turn % 2 === 0
      ? await openai.chat.completions.create({ model: 'gpt-5.5', messages, tools: chatTools })
      : await openai.chat.completions.stream({ model: 'gpt-5.5', messages, tools: chatTools, stream_options: { include_usage: true } }).finalChatCompletion();
    completions.push(completion);
    const message = completion.choices[0]?.message;
    assert.ok(message);
    const calls = message.tool_calls ?? [];
    if (calls.length === 0) break;
    messages.push({ role: 'assistant', content: message.content, tool_calls: calls });
    for (const call of calls) {
      assert.equal(call.type, 'function');
      if (call.type === 'function') messages.push({ role: 'tool', tool_call_id: call.id, content: runTool(call.function.arguments) });
    }
  }
  assert.equal(completions.length, 4, '3 tool rounds (the default), then the answer');
  assert.deepEqual(
    completions.slice(0, 3).map((c) => c.choices[0]?.message.tool_calls?.map((t) => t.id)),
    [['call_sim_1', 'call_sim_2'], ['call_sim_3', 'call_sim_4'], ['call_sim_5', 'call_sim_6']],
  );
  assert.equal(completions[3]?.choices[0]?.finish_reason, 'stop');
  assert.equal(completions[3]?.choices[0]?.message.content, 'Done after 3 tool calls. Last tool result: ran: echo synrouter-step-3-2');

  // Each turn re-sends the previous prompt plus an append: it reads the whole previous prompt, floored to 128.
  const usages = sim.requests.filter((r) => r.headers.authorization === 'Bearer sk-loop').map((r) => chatUsageOf(r));
  assert.equal(usages.length, 4);
  assert.equal(usages[0]?.prompt_tokens_details.cached_tokens, 0);
  for (let i = 1; i < usages.length; i++) {
    const previous = usages[i - 1]?.prompt_tokens ?? 0;
    const cached = usages[i]?.prompt_tokens_details.cached_tokens ?? -1;
    assert.equal(cached, Math.floor(previous / 128) * 128, `turn ${i + 1}`);
    assert.ok(cached >= 1024 && cached <= (usages[i]?.prompt_tokens ?? 0));
  }
  assert.deepEqual(completions.map((c) => c.usage), usages, 'the response usage is the logged usage');
});

test('responses, streaming with the SDK: a function-call loop with store:false and full history', async () => {
  const openai = client('sk-responses');
  const input: InputItem[] = [
    { type: 'message', role: 'developer', content: [{ type: 'input_text', text: longSystem }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Run the steps.' }] },
  ];
  const responses: OpenAI.Responses.Response[] = [];
  for (let turn = 0; turn < 10; turn++) {
    const stream = openai.responses.stream(
      {
        model: 'gpt-5.5',
        instructions: 'Be brief.',
        input,
        tools: responsesTools,
        store: false,
        include: ['reasoning.encrypted_content'],
        prompt_cache_key: 'thread-1',
      },
      { headers: { 'x-sim-rounds': '2' } },
    );
    const response = await stream.finalResponse();
    responses.push(response);
    const calls = response.output.filter((item) => item.type === 'function_call');
    if (calls.length === 0) break;
    input.push(...calls);
    for (const call of calls) input.push({ type: 'function_call_output', call_id: call.call_id, output: runTool(call.arguments) });
  }
  assert.equal(responses.length, 3);
  assert.deepEqual(
    responses.slice(0, 2).map((r) => r.output.map((item) => (item.type === 'function_call' ? [item.id, item.call_id, item.arguments] : item.type))),
    [[['fc_sim_1', 'call_sim_1', '{"cmd":"echo synrouter-step-1"}']], [['fc_sim_2', 'call_sim_2', '{"cmd":"echo synrouter-step-2"}']]],
  );
  const final = responses[2];
  assert.equal(final?.status, 'completed');
  assert.equal(final?.output_text, 'Done after 2 tool calls. Last tool result: ran: echo synrouter-step-2');
  assert.equal((final as unknown as { store?: boolean } | undefined)?.store, false, 'store is echoed');
  assert.equal(final?.prompt_cache_key, 'thread-1');

  const logs = sim.requests.filter((r) => r.headers.authorization === 'Bearer sk-responses');
  const usages = logs.map((r) => responsesUsageOf(r));
  assert.deepEqual(responses.map((r) => r.usage), usages);
  assert.equal(usages[0]?.input_tokens_details.cached_tokens, 0);
  for (let i = 1; i < usages.length; i++) {
    const cached = usages[i]?.input_tokens_details.cached_tokens ?? -1;
    assert.equal(cached, Math.floor((usages[i - 1]?.input_tokens ?? 0) / 128) * 128);
    assert.equal(usages[i]?.total_tokens, (usages[i]?.input_tokens ?? 0) + (usages[i]?.output_tokens ?? 0));
  }
});

test('responses, create({stream:true}): the exact event order, sequence numbers, event: lines on the wire', async () => {
  const body = { model: 'gpt-5.5', input: 'hello', tools: responsesTools, stream: true as const };
  const types: string[] = [];
  const sequence: number[] = [];
  for await (const event of await client().responses.create(body)) {
    types.push(event.type);
    sequence.push(event.sequence_number);
  }
  assert.deepEqual(types, [
    'response.created',
    'response.in_progress',
    'response.output_item.added',
    'response.function_call_arguments.delta',
    'response.function_call_arguments.delta',
    'response.function_call_arguments.delta',
    'response.function_call_arguments.done',
    'response.output_item.done',
    'response.completed',
  ]);
  assert.deepEqual(sequence, types.map((_, i) => i));

  const text = await client().responses.create({ model: 'gpt-5.5', input: 'hello', stream: true });
  const textTypes: string[] = [];
  for await (const event of text) textTypes.push(event.type);
  assert.deepEqual(textTypes, [
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
  ]);

  const res = await rawPost('/v1/responses', body);
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const frames = (await res.text()).split('\n\n').filter((f) => f !== '');
  for (const frame of frames) {
    const match = /^event: (\S+)\ndata: (.+)$/.exec(frame);
    assert.ok(match, `bad frame: ${frame}`);
    assert.equal((JSON.parse(match[2] ?? '') as JsonObject).type, match[1]);
  }
  assert.ok(!frames.some((f) => f.includes('[DONE]')));
});

test('responses, non-streaming and Codex code mode: a custom_tool_call when only freeform tools are offered', async () => {
  const codeMode = {
    model: 'gpt-6.1-sol',
    input: [
      { type: 'additional_tools', role: 'developer', tools: [{ type: 'namespace', name: 'functions', description: 'f', tools: [{ type: 'custom', name: 'exec' }] }] },
      { type: 'message', role: 'user', content: 'go' },
    ],
    parallel_tool_calls: false,
    store: false,
  } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming; // additional_tools is not in the SDK's input types
  const response = await client().responses.create(codeMode);
  assert.deepEqual(response.output, [
    { id: 'ctc_sim_1', type: 'custom_tool_call', call_id: 'call_sim_1', name: 'exec', input: 'echo synrouter-step-1', namespace: 'functions' },
  ]);
  // Streaming: the SDK accumulates custom_tool_call_input deltas into the same item.
  const streamed = await client().responses.stream({ ...codeMode, stream: true }).finalResponse();
  assert.deepEqual(streamed.output, response.output);
});

test('automatic caching over HTTP: short prompts never cache, prompt_cache_key isolates, entries expire after 10 idle minutes', async () => {
  const openai = client('sk-cache');
  const ask = async (messages: ChatMessage[], key?: string): Promise<OpenAI.CompletionUsage | undefined> =>
    (await openai.chat.completions.create({ model: 'gpt-5.5', messages, ...(key === undefined ? {} : { prompt_cache_key: key }) })).usage;

  const short: ChatMessage[] = [{ role: 'system', content: 'short' }, { role: 'user', content: 'hi' }];
  await ask(short);
  assert.equal((await ask(short))?.prompt_tokens_details?.cached_tokens, 0);

  const long: ChatMessage[] = [{ role: 'system', content: longSystem }, { role: 'user', content: 'hi' }];
  const first = await ask(long, 'a');
  assert.equal(first?.prompt_tokens_details?.cached_tokens, 0);
  assert.equal((await ask(long, 'b'))?.prompt_tokens_details?.cached_tokens, 0, 'another prompt_cache_key does not share');
  clock.advance(9 * MINUTE);
  const hit = await ask(long, 'a');
  assert.equal(hit?.prompt_tokens_details?.cached_tokens, Math.floor((first?.prompt_tokens ?? 0) / 128) * 128);
  clock.advance(OPENAI_CACHE_TTL_MS);
  assert.equal((await ask(long, 'a'))?.prompt_tokens_details?.cached_tokens, 0, 'expired after 10 idle minutes');
  assert.ok(sim.openaiCache.entries.size > 0);
});

test('errors: OpenAI shapes for validation, auth, unknown paths and previous_response_id', async () => {
  await assert.rejects(client().chat.completions.create({ model: 'gpt-5.5', messages: [] }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.equal(error.param, 'messages');
    assert.equal(error.code, 'empty_array');
    assert.equal(error.type, 'invalid_request_error');
    return true;
  });
  await assert.rejects(client().responses.create({ model: 'gpt-5.5', input: 'hi', previous_response_id: 'resp_x' }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.equal(error.code, 'previous_response_not_found');
    return true;
  });

  const noKey = await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(noKey.status, 401);
  const noKeyBody = (await noKey.json()) as { error: JsonObject };
  assert.deepEqual(Object.keys(noKeyBody.error), ['message', 'type', 'param', 'code']);
  assert.equal(noKeyBody.error.type, 'invalid_request_error');

  const badJson = await rawPost('/v1/responses', undefined);
  assert.equal(badJson.status, 400);

  const notFound = await fetch(`${sim.url}/v1/responses`, { headers: { authorization: 'Bearer sk-test' } });
  assert.equal(notFound.status, 404);
  assert.deepEqual(await notFound.json(), {
    error: { message: 'Invalid URL (GET /v1/responses)', type: 'invalid_request_error', param: null, code: null },
  });

  const strict = await startSimulator({ apiKeys: ['good'] });
  try {
    const wrong = new OpenAI({ apiKey: 'bad-key-1234', baseURL: `${strict.url}/v1`, maxRetries: 0 });
    await assert.rejects(wrong.responses.create({ model: 'gpt-5.5', input: 'hi' }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.AuthenticationError);
      assert.equal(error.code, 'invalid_api_key');
      return true;
    });
    const good = new OpenAI({ apiKey: 'good', baseURL: `${strict.url}/v1`, maxRetries: 0 });
    assert.equal((await good.responses.create({ model: 'gpt-5.5', input: 'hi' })).status, 'completed');
  } finally {
    await strict.close();
  }
});

test('faults: status:<code> answers OpenAI errors', async () => {
  await assert.rejects(
    client('sk-test', { 'x-sim-fault': 'status:429' }).chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }] }),
    (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.code, 'rate_limit_exceeded');
      assert.equal(error.headers.get('retry-after'), '1');
      return true;
    },
  );
  await assert.rejects(client('sk-test', { 'x-sim-fault': 'status:500' }).responses.create({ model: 'gpt-5.5', input: 'hi' }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.InternalServerError);
    assert.equal(error.status, 500);
    assert.equal(error.type, 'server_error');
    return true;
  });
  assert.equal(lastLog().status, 500);
});

test('faults: error-mid-stream surfaces as an APIError in the SDK, reset-mid-stream cuts the stream', async () => {
  const chatBody = { model: 'gpt-5.5', messages: [{ role: 'user' as const, content: 'hi' }], stream: true as const };
  await assert.rejects(async () => {
    for await (const _ of await client('sk-test', { 'x-sim-fault': 'error-mid-stream' }).chat.completions.create(chatBody)) void _;
  }, OpenAI.APIError);
  await assert.rejects(async () => {
    for await (const _ of await client('sk-test', { 'x-sim-fault': 'error-mid-stream' }).responses.create({ model: 'gpt-5.5', input: 'hi', stream: true })) void _;
  }, OpenAI.APIError);

  const chunks: unknown[] = [];
  await assert.rejects(async () => {
    for await (const chunk of await client('sk-test', { 'x-sim-fault': 'reset-mid-stream' }).chat.completions.create(chatBody)) chunks.push(chunk);
  });
  assert.equal(chunks.length, 1, 'the first chunk arrived before the reset');
  const log = lastLog();
  assert.equal(log.status, 200);
  assert.equal(log.aborted, undefined, 'a reset by the simulator is not a client abort');
  assert.ok(chatUsageOf(log) !== undefined, 'usage is logged even though the stream was cut');
});

test('faults: stall-mid-stream, then the client aborts: the log says aborted', async () => {
  const controller = new AbortController();
  const stream = await client('sk-test', { 'x-sim-fault': 'stall-mid-stream' }).responses.create(
    { model: 'gpt-5.5', input: 'hi', stream: true },
    { signal: controller.signal },
  );
  const seen: string[] = [];
  const reading = (async () => {
    for await (const event of stream) seen.push(event.type);
  })();
  const log = lastLog();
  for (let i = 0; i < 100 && seen.length === 0; i++) await sleep(10);
  assert.deepEqual(seen, ['response.created']);
  controller.abort();
  await reading.catch(() => undefined);
  for (let i = 0; i < 100 && log.aborted !== true; i++) await sleep(10);
  assert.equal(log.aborted, true);
});

test('the Anthropic route is unchanged and its log usage reads through anthropicUsageOf', async () => {
  const res = await fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(res.status, 200);
  const log = lastLog();
  assert.equal(anthropicUsageOf(log)?.input_tokens, ((await res.json()) as { usage: { input_tokens: number } }).usage.input_tokens);
  assert.equal(chatUsageOf(log), undefined);
  const missing = await fetch(`${sim.url}/v1/nothing`, { method: 'POST', headers: { 'x-api-key': 'k' } });
  assert.equal(((await missing.json()) as JsonObject).type, 'error', 'other unknown paths keep the Anthropic error shape');
});
