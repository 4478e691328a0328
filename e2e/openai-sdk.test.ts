/**
 * The official `openai` SDK through Synrouter's /api/v1: chat completions (streaming and not, a
 * tool-call loop) and the Responses API (streaming tool-call loop), both to a same-protocol upstream
 * (a non-Claude model on OpenRouter, played by the simulator) and translated to the Anthropic
 * simulator (a Claude model), where the cache engine applies and the ledger shows cache reads.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startStack, type Stack } from './support/stack.ts';

let stack: Stack;
let client: OpenAI;
before(async () => {
  stack = await startStack({ env: { SYNROUTER_OPENROUTER_API_KEY: 'sim-or' }, openrouterToSimulator: true });
  client = new OpenAI({ apiKey: stack.key, baseURL: stack.openaiBase, maxRetries: 0 });
});
after(() => stack.close());

const SYSTEM = 'You are a helpful coding agent working in a large repository. '.repeat(120);
const chatTools: OpenAI.Chat.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'bash', description: 'Run a shell command. '.repeat(40), parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } } },
  { type: 'function', function: { name: 'read_file', description: 'Read a file. '.repeat(40), parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } } },
];

async function chatLoop(model: string, stream: boolean) {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'List the files and run the tests.' }];
  const finals: string[] = [];
  for (let i = 0; i < 8; i++) {
    let msg: OpenAI.Chat.ChatCompletionMessage;
    let finish: string | null;
    if (stream) {
      const s = await client.chat.completions.create({ model, messages, tools: chatTools, stream: true, stream_options: { include_usage: true } });
      const calls: Array<{ id: string; name: string; args: string }> = [];
      let content = '';
      finish = null;
      let sawUsage = false;
      for await (const chunk of s) {
        if (chunk.usage) sawUsage = true;
        const c = chunk.choices[0];
        if (!c) continue;
        content += c.delta.content ?? '';
        for (const tc of c.delta.tool_calls ?? []) {
          calls[tc.index] ??= { id: '', name: '', args: '' };
          if (tc.id) calls[tc.index]!.id = tc.id;
          if (tc.function?.name) calls[tc.index]!.name = tc.function.name;
          calls[tc.index]!.args += tc.function?.arguments ?? '';
        }
        finish = c.finish_reason ?? finish;
      }
      assert.ok(sawUsage, 'include_usage: a usage chunk arrives');
      msg = { role: 'assistant', content: content || null, refusal: null, ...(calls.length ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.args } })) } : {}) };
    } else {
      const r = await client.chat.completions.create({ model, messages, tools: chatTools });
      msg = r.choices[0]!.message;
      finish = r.choices[0]!.finish_reason;
      assert.ok(r.usage && r.usage.prompt_tokens > 0);
    }
    messages.push(msg as OpenAI.Chat.ChatCompletionMessageParam);
    if (finish !== 'tool_calls') { finals.push(msg.content ?? ''); break; }
    for (const tc of msg.tool_calls ?? []) {
      if (tc.type !== 'function') continue;
      assert.doesNotThrow(() => JSON.parse(tc.function.arguments), 'tool arguments are JSON');
      messages.push({ role: 'tool', tool_call_id: tc.id, content: `ran ${tc.function.name}: synrouter-tool-output ${tc.id}` });
    }
  }
  return { messages, finals };
}

async function rowsSince(n: number) { return (await stack.turns()).slice(n); }

for (const [label, model, translated] of [
  ['same-protocol upstream (OpenRouter, non-Claude model)', 'deepseek/deepseek-v4-flash', false],
  ['translated to the Anthropic simulator (Claude model)', 'anthropic/claude-sonnet-4.6', true],
] as const) {
  for (const stream of [false, true]) {
    test(`chat completions ${stream ? 'streaming' : 'JSON'} tool loop, ${label}`, async () => {
      const start = (await stack.turns()).length;
      const { messages, finals } = await chatLoop(model, stream);
      assert.ok(messages.some((m) => m.role === 'tool'), 'at least one tool round');
      assert.equal(finals.length, 1, 'the loop ended with a final answer');
      const rows = await rowsSince(start);
      assert.ok(rows.length >= 2);
      assert.ok(rows.every((r) => r.status === 200 && r.client_protocol === 'openai' && r.endpoint === 'chat'));
      assert.equal(new Set(rows.map((r) => r.session_id)).size, 1, 'one session');
      assert.equal(rows[0]!.provider, translated ? 'anthropic' : 'openrouter');
      if (translated) assert.ok(rows.slice(1).every((r) => r.cache_read_tokens > 0), 'the cache engine made later turns read the cache');
      else {
        assert.ok(rows.slice(1).every((r) => r.cache_read_tokens > 0), 'automatic prefix caching upstream, metered as cache reads');
        const sent = stack.sim.requests.at(-1)!.body as { prompt_cache_key?: string; session_id?: string };
        assert.equal(sent.prompt_cache_key, rows[0]!.session_id, 'a stable prompt_cache_key from the session');
        assert.equal(sent.session_id, rows[0]!.session_id, "OpenRouter's sticky session_id");
      }
    });
  }

  test(`Responses API streaming tool loop, ${label}`, async () => {
    const start = (await stack.turns()).length;
    const input: OpenAI.Responses.ResponseInput = [{ role: 'developer', content: SYSTEM }, { role: 'user', content: 'Run the tests please.' }];
    const tools: OpenAI.Responses.Tool[] = [{ type: 'function', name: 'exec_command', description: 'Run a command. '.repeat(40), parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] }, strict: false }];
    let final = '';
    for (let i = 0; i < 8; i++) {
      const stream = await client.responses.create({ model, input, tools, stream: true, store: false, prompt_cache_key: `thread-${label.length}-${translated}` });
      let completed: OpenAI.Responses.Response | undefined;
      for await (const ev of stream) if (ev.type === 'response.completed') completed = ev.response;
      assert.ok(completed, 'response.completed arrives');
      const calls = completed!.output.filter((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call');
      if (!calls.length) {
        // output_text is an SDK convenience, not on the wire: join the message items' text.
        final = completed!.output.flatMap((o) => (o.type === 'message' ? o.content : [])).map((c) => (c.type === 'output_text' ? c.text : '')).join('');
        break;
      }
      for (const c of calls) {
        input.push({ type: 'function_call', call_id: c.call_id, name: c.name, arguments: c.arguments });
        input.push({ type: 'function_call_output', call_id: c.call_id, output: `ok: synrouter-tool-output ${c.call_id}` });
      }
    }
    assert.ok(final.length > 0, 'a final answer');
    const rows = await rowsSince(start);
    assert.ok(rows.length >= 2 && rows.every((r) => r.status === 200 && r.endpoint === 'responses'));
    assert.equal(rows[0]!.session_id, `thread-${label.length}-${translated}`, 'prompt_cache_key is the session id');
    assert.ok(rows.slice(1).every((r) => r.cache_read_tokens > 0), 'later turns read the cache');
  });
}

test('errors on /api/v1 are OpenAI error JSON', async () => {
  const bad = await fetch(`${stack.openaiBase}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${stack.key}`, 'content-type': 'application/json' }, body: '{"model":' });
  assert.equal(bad.status, 400);
  const body = (await bad.json()) as { error: { message: string; type: string } };
  assert.equal(body.error.type, 'invalid_request_error');
  const noKey = await fetch(`${stack.openaiBase}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(noKey.status, 401);
  assert.equal(((await noKey.json()) as { error: { type: string } }).error.type, 'authentication_error');
  const unknown = await fetch(`${stack.openaiBase}/nope`, { headers: { authorization: `Bearer ${stack.key}` } });
  assert.equal(unknown.status, 404);
  assert.ok(((await unknown.json()) as { error?: unknown }).error);
  await assert.rejects(client.chat.completions.create({ model: 'acme/no-such-model', messages: [{ role: 'user', content: 'hi' }] }), (e: unknown) => e instanceof OpenAI.NotFoundError);
});

test('GET /api/v1/models lists the registry in OpenAI shape with pricing', async () => {
  const page = await client.models.list();
  const opus = page.data.find((m) => m.id === 'anthropic/claude-opus-4.8') as unknown as { pricing: { prompt: string; input_cache_read: string }; context_length: number };
  assert.equal(opus.context_length, 1_000_000);
  assert.equal(opus.pricing.prompt, '0.000005');
  assert.equal(opus.pricing.input_cache_read, '0.0000005');
});

test('chat completions on Opus 5.5 (always thinks, forced tool use is an error): tool_choice required goes as auto with thinking on, answered and priced, under either spelling', async () => {
  for (const model of ['anthropic/claude-opus-5.5', 'claude-opus-5-5']) {
    const start = (await stack.turns()).length;
    const simStart = stack.sim.requests.length;
    const r = await client.chat.completions.create({ model, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'List the files.' }], tools: chatTools, tool_choice: 'required', reasoning_effort: 'none' });
    assert.equal(r.choices[0]!.finish_reason, 'tool_calls', model);
    const upstream = stack.sim.requests.slice(simStart).filter((s) => s.method === 'POST' && s.path === '/v1/messages');
    assert.equal(upstream.length, 1, `${model}: one request upstream, no 400`);
    const body = upstream[0]!.body as { model: string; tool_choice?: unknown; thinking?: unknown; output_config?: unknown };
    assert.deepEqual([body.model, body.tool_choice, body.thinking, body.output_config], ['claude-opus-5-5', { type: 'auto' }, { type: 'adaptive' }, { effort: 'low' }], model);
    const rows = await rowsSince(start);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status, 200);
    assert.ok(rows[0]!.cost_usd !== null && rows[0]!.cost_usd > 0, `${model}: priced (${rows[0]!.cost_usd})`);
  }
});
