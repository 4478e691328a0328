/**
 * Load (issue 8, "Tests that must exist"): a bounded loopback load test. SESSIONS concurrent agent
 * sessions, each a tool loop of TURNS turns (the simulator answers with tool calls for TURNS - 1
 * rounds, then a final answer), through the official SDKs:
 *   - @anthropic-ai/sdk, streaming (MessageStream) at /api/anthropic
 *   - @anthropic-ai/sdk, non-streaming, at the OpenAI-compatible base (/api/v1/messages)
 *   - openai chat completions, a Claude model (translated to the Anthropic simulator), streaming or not
 *   - openai chat completions, a non-Claude model (OpenRouter = the simulator's OpenAI route), streaming or not
 *   - openai Responses API, streaming, a Claude model (translated to the Anthropic simulator)
 * Each session has its own first user message, with a unique marker. Afterwards:
 *   - every turn has exactly one ledger row (kind 'turn', status 200, found by the turn's
 *     synrouter-request-id) and there are no other rows (no retries, no errors);
 *   - each row's token columns equal the usage the simulator reported for that turn's upstream
 *     request (the simulator's requests of a session are found by its marker, in order);
 *   - one session_id per conversation, never shared by two conversations;
 *   - the ledger's sums equal the sums of what the SDK clients saw in their own usage fields
 *     (OpenAI prompt_tokens include cached and written tokens; Anthropic input_tokens do not).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startStack, eventually, type LedgerTurn, type Stack } from './support/stack.ts';

const SESSIONS = Number(process.env.LOAD_SESSIONS ?? 100);
const TURNS = Number(process.env.LOAD_TURNS ?? 8);

let stack: Stack;
before(async () => {
  stack = await startStack({
    simulator: { rounds: TURNS - 1 },
    env: { SYNROUTER_OPENROUTER_API_KEY: 'sim-or', SYNROUTER_RPM_LIMIT: '0', SYNROUTER_CONCURRENCY_LIMIT: '0' },
    openrouterToSimulator: true,
  });
});
after(() => stack.close());

type Kind = 'anthropic-stream' | 'anthropic-json' | 'chat-claude' | 'chat-other' | 'responses-claude';
const KINDS: readonly Kind[] = ['anthropic-stream', 'anthropic-json', 'chat-claude', 'chat-other', 'responses-claude'];

/** Token counts as the client saw them, in the client's own terms. */
interface Seen { input: number; cacheRead: number; cacheWrite: number; output: number }
interface TurnRecord { session: number; turn: number; kind: Kind; requestId: string; seen: Seen; stream: boolean }

const SYSTEM = 'You are a careful coding agent working in a large repository; read before you edit. '.repeat(160); // ~3.5k tokens
const anthropicTools: Anthropic.Tool[] = [
  { name: 'Bash', description: 'Run a shell command. '.repeat(20), input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } },
  { name: 'Read', description: 'Read a file. '.repeat(20), input_schema: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] } },
];
const chatTools: OpenAI.Chat.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'bash', description: 'Run a shell command. '.repeat(20), parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } } },
  { type: 'function', function: { name: 'read_file', description: 'Read a file. '.repeat(20), parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } } },
];

const marker = (k: number) => `load-marker-${k}-of-${SESSIONS}`;

async function anthropicSession(k: number, kind: Kind, client: Anthropic, out: TurnRecord[]): Promise<void> {
  const stream = kind === 'anthropic-stream';
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: `Session ${marker(k)}: find the failing test and fix it.` }];
  for (let turn = 0; turn < TURNS + 2; turn++) {
    const params = { model: 'claude-sonnet-4-6', max_tokens: 1024, system: SYSTEM, tools: anthropicTools, messages };
    let reply: Anthropic.Message;
    let requestId: string | null;
    if (stream) {
      const s = client.messages.stream(params);
      const { response } = await s.withResponse();
      requestId = response.headers.get('synrouter-request-id');
      reply = await s.finalMessage();
    } else {
      const { data, response } = await client.messages.create(params).withResponse();
      requestId = response.headers.get('synrouter-request-id');
      reply = data;
    }
    assert.ok(requestId, `session ${k} turn ${turn}: synrouter-request-id header`);
    const u = reply.usage;
    out.push({ session: k, turn, kind, requestId, stream, seen: { input: u.input_tokens, cacheRead: u.cache_read_input_tokens ?? 0, cacheWrite: u.cache_creation_input_tokens ?? 0, output: u.output_tokens } });
    messages.push({ role: 'assistant', content: reply.content });
    if (reply.stop_reason !== 'tool_use') return;
    const calls = reply.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    messages.push({ role: 'user', content: calls.map((c) => ({ type: 'tool_result' as const, tool_use_id: c.id, content: `output of ${c.name} for ${marker(k)} turn ${turn}` })) });
  }
  assert.fail(`session ${k} did not end`);
}

interface ChatUsageSeen { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } }
const seenFromChat = (u: ChatUsageSeen | undefined | null): Seen => {
  assert.ok(u, 'the client saw a usage object');
  return { input: u.prompt_tokens, cacheRead: u.prompt_tokens_details?.cached_tokens ?? 0, cacheWrite: u.prompt_tokens_details?.cache_write_tokens ?? 0, output: u.completion_tokens };
};

async function chatSession(k: number, kind: Kind, client: OpenAI, out: TurnRecord[]): Promise<void> {
  const model = kind === 'chat-claude' ? 'anthropic/claude-sonnet-4.6' : 'deepseek/deepseek-v4-flash';
  const stream = k % 2 === 0;
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'system', content: SYSTEM }, { role: 'user', content: `Session ${marker(k)}: list the files and run the tests.` }];
  for (let turn = 0; turn < TURNS + 2; turn++) {
    let msg: OpenAI.Chat.ChatCompletionMessage;
    let finish: string | null = null;
    let requestId: string | null;
    let usage: ChatUsageSeen | undefined;
    if (stream) {
      const { data, response } = await client.chat.completions.create({ model, messages, tools: chatTools, stream: true, stream_options: { include_usage: true } }).withResponse();
      requestId = response.headers.get('synrouter-request-id');
      const calls: Array<{ id: string; name: string; args: string }> = [];
      let content = '';
      for await (const chunk of data) {
        if (chunk.usage) usage = chunk.usage as ChatUsageSeen;
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
      msg = { role: 'assistant', content: content || null, refusal: null, ...(calls.length ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.args } })) } : {}) };
    } else {
      const { data, response } = await client.chat.completions.create({ model, messages, tools: chatTools }).withResponse();
      requestId = response.headers.get('synrouter-request-id');
      msg = data.choices[0]!.message;
      finish = data.choices[0]!.finish_reason;
      usage = data.usage as ChatUsageSeen | undefined;
    }
    assert.ok(requestId, `session ${k} turn ${turn}: synrouter-request-id header`);
    out.push({ session: k, turn, kind, requestId, stream, seen: seenFromChat(usage) });
    messages.push(msg as OpenAI.Chat.ChatCompletionMessageParam);
    if (finish !== 'tool_calls') return;
    for (const tc of msg.tool_calls ?? []) {
      if (tc.type !== 'function') continue;
      messages.push({ role: 'tool', tool_call_id: tc.id, content: `output of ${tc.function.name} for ${marker(k)} turn ${turn}` });
    }
  }
  assert.fail(`session ${k} did not end`);
}

async function responsesSession(k: number, kind: Kind, client: OpenAI, out: TurnRecord[]): Promise<void> {
  const input: OpenAI.Responses.ResponseInput = [{ role: 'developer', content: SYSTEM }, { role: 'user', content: `Session ${marker(k)}: run the tests please.` }];
  const tools: OpenAI.Responses.Tool[] = [{ type: 'function', name: 'exec_command', description: 'Run a command. '.repeat(20), parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] }, strict: false }];
  for (let turn = 0; turn < TURNS + 2; turn++) {
    const { data, response } = await client.responses.create({ model: 'anthropic/claude-sonnet-4.6', input, tools, stream: true, store: false }).withResponse();
    const requestId = response.headers.get('synrouter-request-id');
    let completed: OpenAI.Responses.Response | undefined;
    for await (const ev of data) if (ev.type === 'response.completed') completed = ev.response;
    assert.ok(requestId, `session ${k} turn ${turn}: synrouter-request-id header`);
    assert.ok(completed?.usage, `session ${k} turn ${turn}: response.completed with usage`);
    const u = completed.usage as OpenAI.Responses.ResponseUsage & { input_tokens_details: { cache_write_tokens?: number } };
    out.push({ session: k, turn, kind, requestId, stream: true, seen: { input: u.input_tokens, cacheRead: u.input_tokens_details?.cached_tokens ?? 0, cacheWrite: u.input_tokens_details?.cache_write_tokens ?? 0, output: u.output_tokens } });
    const calls = completed.output.filter((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call');
    if (!calls.length) return;
    for (const c of calls) {
      input.push({ type: 'function_call', call_id: c.call_id, name: c.name, arguments: c.arguments });
      input.push({ type: 'function_call_output', call_id: c.call_id, output: `output of ${c.name} for ${marker(k)} turn ${turn}` });
    }
  }
  assert.fail(`session ${k} did not end`);
}

/** The ledger's columns in the client's terms: what the client should have seen for this row. */
function seenFromRow(kind: Kind, r: LedgerTurn): Seen {
  const written = r.cache_write_5m_tokens + r.cache_write_1h_tokens;
  if (kind.startsWith('anthropic')) return { input: r.input_tokens, cacheRead: r.cache_read_tokens, cacheWrite: written, output: r.output_tokens };
  // OpenAI (chat prompt_tokens, Responses input_tokens) = uncached + cached + written.
  return { input: r.input_tokens + r.cache_read_tokens + written, cacheRead: r.cache_read_tokens, cacheWrite: written, output: r.output_tokens };
}

const sum = (xs: Seen[]): Seen => xs.reduce((a, s) => ({ input: a.input + s.input, cacheRead: a.cacheRead + s.cacheRead, cacheWrite: a.cacheWrite + s.cacheWrite, output: a.output + s.output }), { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 });

test(`${SESSIONS} concurrent sessions x ${TURNS} turns through the official SDKs: one ledger row per turn, equal to the upstream usage, one session id per conversation, sums add up`, async (t) => {
  const anthropic = new Anthropic({ apiKey: stack.key, baseURL: stack.anthropicBase, maxRetries: 0, timeout: 60_000 });
  // The Anthropic format at the OpenAI-compatible base: the SDK appends /v1/messages to `${app}/api`.
  const anthropicAtV1 = new Anthropic({ apiKey: stack.key, baseURL: `${stack.app.url}/api`, maxRetries: 0, timeout: 60_000 });
  const openai = new OpenAI({ apiKey: stack.key, baseURL: stack.openaiBase, maxRetries: 0, timeout: 60_000 });
  const records: TurnRecord[] = [];
  const started = performance.now();
  const results = await Promise.allSettled(Array.from({ length: SESSIONS }, (_, k) => {
    const kind = KINDS[k % KINDS.length]!;
    if (kind === 'anthropic-stream') return anthropicSession(k, kind, anthropic, records);
    if (kind === 'anthropic-json') return anthropicSession(k, kind, anthropicAtV1, records);
    if (kind === 'responses-claude') return responsesSession(k, kind, openai, records);
    return chatSession(k, kind, openai, records);
  }));
  const failed = results.flatMap((r, k) => (r.status === 'rejected' ? [`session ${k} (${KINDS[k % KINDS.length]}): ${(r.reason as Error).message}`] : []));
  assert.deepEqual(failed, [], 'every session completed its tool loop');
  t.diagnostic(`${records.length} turns in ${Math.round(performance.now() - started)} ms`);

  // Every session ran its full loop: TURNS - 1 tool rounds, then the final answer.
  for (let k = 0; k < SESSIONS; k++) assert.equal(records.filter((r) => r.session === k).length, TURNS, `session ${k} has ${TURNS} turns`);

  // Exactly one ledger row per turn, and nothing else.
  await eventually(async () => (await stack.turns()).length >= records.length, `${records.length} ledger rows`);
  const rows = (await stack.turns());
  assert.deepEqual(rows.filter((r) => r.kind !== 'turn').map((r) => [r.kind, r.status, r.error_code]), [], 'no retry or keep-alive rows');
  assert.equal(rows.length, records.length, 'one ledger row per turn');
  const byRequest = new Map<string, LedgerTurn[]>();
  for (const r of rows) byRequest.set(r.request_id, [...(byRequest.get(r.request_id) ?? []), r]);
  const rowOf = (rec: TurnRecord): LedgerTurn => {
    const found = byRequest.get(rec.requestId) ?? [];
    assert.equal(found.length, 1, `turn ${rec.session}/${rec.turn}: exactly one row for ${rec.requestId}`);
    return found[0]!;
  };
  for (const rec of records) {
    const r = rowOf(rec);
    assert.deepEqual([r.status, r.error_code, r.aborted, r.key_id, r.streamed], [200, null, 0, stack.keyId, rec.stream ? 1 : 0], `turn ${rec.session}/${rec.turn} (${rec.kind}) row`);
    assert.equal(r.client_protocol, rec.kind.startsWith('anthropic') ? 'anthropic' : 'openai');
    assert.equal(r.endpoint, rec.kind.startsWith('anthropic') ? 'messages' : rec.kind.startsWith('chat') ? 'chat' : 'responses');
    assert.equal(r.provider, rec.kind === 'chat-other' ? 'openrouter' : 'anthropic');
  }

  // Each row equals the usage the simulator reported for that turn's upstream request.
  const upstream = stack.sim.requests.filter((q) => q.method === 'POST' && (q.path === '/v1/messages' || q.path === '/v1/chat/completions'));
  assert.ok(upstream.every((q) => q.status === 200), 'every upstream request was answered 200');
  assert.equal(upstream.length, records.length, 'one upstream request per turn (no retries, no pings)');
  // The first marker in a body is its session's (the first user message comes before anything else it could quote).
  const sessionOfUpstream = upstream.map((q) => Number(/load-marker-(\d+)-of-/.exec(JSON.stringify(q.body))?.[1] ?? -1));
  for (let k = 0; k < SESSIONS; k++) {
    const mine = upstream.filter((_, i) => sessionOfUpstream[i] === k);
    const turns = records.filter((r) => r.session === k).sort((a, b) => a.turn - b.turn);
    assert.equal(mine.length, turns.length, `session ${k}: its upstream requests, found by its marker`);
    turns.forEach((rec, i) => {
      const row = rowOf(rec);
      const u = mine[i]!.usage!;
      const columns = [row.input_tokens, row.cache_read_tokens, row.cache_write_5m_tokens, row.cache_write_1h_tokens, row.output_tokens];
      if (mine[i]!.path === '/v1/messages') {
        assert.deepEqual(columns, [u.input_tokens, u.cache_read_input_tokens ?? 0, u.cache_creation?.ephemeral_5m_input_tokens ?? 0, u.cache_creation?.ephemeral_1h_input_tokens ?? 0, u.output_tokens], `session ${k} turn ${i}: ledger = simulator usage`);
      } else {
        const cached = u.prompt_tokens_details?.cached_tokens ?? 0;
        const written = u.prompt_tokens_details?.cache_write_tokens ?? 0;
        assert.deepEqual(columns, [u.prompt_tokens! - cached - written, cached, written, 0, u.completion_tokens], `session ${k} turn ${i}: ledger = simulator usage (OpenAI counts cached tokens inside prompt_tokens)`);
      }
    });
  }

  // One session id per conversation, none shared between conversations.
  const sessionOf = new Map<number, Set<string | null>>();
  for (const rec of records) sessionOf.set(rec.session, (sessionOf.get(rec.session) ?? new Set()).add(rowOf(rec).session_id));
  for (const [k, ids] of sessionOf) {
    assert.equal(ids.size, 1, `conversation ${k} has one session id, got ${JSON.stringify([...ids])}`);
    assert.ok([...ids][0], `conversation ${k}: the session id is set`);
  }
  const ids = [...sessionOf.values()].map((s) => [...s][0]);
  assert.equal(new Set(ids).size, SESSIONS, 'no two conversations share a session id');

  // Sums: the ledger, in each client's terms, equals what the clients saw.
  for (const kind of KINDS) {
    const mine = records.filter((r) => r.kind === kind);
    const fromClients = sum(mine.map((r) => r.seen));
    const fromLedger = sum(mine.map((r) => seenFromRow(kind, rowOf(r))));
    assert.deepEqual(fromLedger, fromClients, `${kind}: ledger sums = what the clients saw`);
    t.diagnostic(`${kind}: ${mine.length} turns, client-side usage sums ${JSON.stringify(fromClients)}`);
  }
  assert.equal(stack.app.deps.metrics.activeStreams, 0, 'no stream is still counted as active');
  const anthropicRows = records.filter((r) => r.kind.startsWith('anthropic')).map(rowOf);
  assert.ok(anthropicRows.filter((r) => r.cache_read_tokens > 0).length > anthropicRows.length / 2, 'the cache engine made most Anthropic turns read the cache');
});
