/**
 * The access log (issue 25): a session through Synrouter with the official SDKs (streamed and not,
 * both protocols), the model list, a bad key, a retried 529, an upstream 400 and an error event in
 * the middle of a stream leave one JSON line per request in the log file; every turn's line carries
 * the figures of its ledger row; upstream errors carry their status and message; and no line holds a
 * key, a prompt or a reply.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startStack, type LedgerTurn } from './support/stack.ts';

/** Unique strings in what the client sends: none of them may reach the log. */
const SYSTEM = 'You are the access-log test assistant, marker SYSTEM-7f3a9c. '.repeat(120);
const PROMPTS = ['First question, marker PROMPT-a1b2c3: list the files.', 'Second question, marker PROMPT-d4e5f6: now read one.', 'Third question, marker PROMPT-0718aa: summarise.'];
const CHAT_PROMPT = 'Chat question, marker PROMPT-chat-55e1: hello there.';
const BOGUS_KEY = 'sk-sr-bogus0123456789abcdefMARKER';

interface Line {
  level: string; time: string; msg: string; request_id: string; key_id: string | null; session_id: string | null; client_protocol: string; endpoint: string;
  requested_model: string | null; response_model: string | null; provider: string | null; upstream_model: string | null; status: number; error_code: string | null;
  error_message?: string; retries: number; failed_attempts?: Array<{ provider: string; status: number | null; error_code: string | null; ms: number | null }>;
  streamed: boolean; aborted: boolean; input_tokens: number; cache_read_tokens: number; cache_write_5m_tokens: number; cache_write_1h_tokens: number; output_tokens: number;
  cost_usd: number | null; cost_client_usd: number | null; savings_usd: number | null; latency_ms: number; ttfb_ms: number | null; engine_changed: boolean; changes: string[]; miss_reason: string | null;
}

test('one JSON line per request with the ledger row\'s figures; upstream errors with status and message; no key, prompt or reply in any line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'synrouter-access-log-'));
  const logFile = join(dir, 'logs', 'access.log');
  const stack = await startStack({
    env: { SYNROUTER_LOG_LEVEL: 'info', SYNROUTER_LOG_DESTINATION: logFile },
    config: (c) => ({ ...c, retry: { ...c.retry, baseDelayMs: 5 } }),
  });
  const replies: string[] = [];
  let rows: LedgerTurn[];
  let requests = 0;
  let closed = false;
  try {
    const anthropic = new Anthropic({ apiKey: stack.key, baseURL: stack.anthropicBase, maxRetries: 0 });
    // A three-turn session, the middle turn streamed.
    const messages: Anthropic.MessageParam[] = [];
    for (const [i, prompt] of PROMPTS.entries()) {
      messages.push({ role: 'user', content: prompt });
      const params = { model: 'claude-sonnet-4-6', max_tokens: 256, system: SYSTEM, messages };
      const reply = i === 1 ? await anthropic.messages.stream(params).finalMessage() : await anthropic.messages.create(params);
      requests++;
      for (const b of reply.content) if (b.type === 'text') replies.push(b.text);
      messages.push({ role: 'assistant', content: reply.content });
    }
    // Chat Completions on a Claude model (translated to the Messages API), streamed.
    const openai = new OpenAI({ apiKey: stack.key, baseURL: stack.openaiBase, maxRetries: 0 });
    const chat = await openai.chat.completions.create({ model: 'anthropic/claude-sonnet-4.6', max_tokens: 128, messages: [{ role: 'user', content: CHAT_PROMPT }], stream: true, stream_options: { include_usage: true } });
    for await (const c of chat) if (c.choices[0]?.delta?.content) replies.push(c.choices[0].delta.content);
    requests++;
    // The model list, answered by Synrouter itself.
    const models = await fetch(`${stack.openaiBase}/models`, { headers: { authorization: `Bearer ${stack.key}` } });
    assert.equal(models.status, 200);
    await models.text();
    requests++;
        // A key Synrouter does not know: 401, a line with no key id (and not the key).
    const bad = await fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'x-api-key': BOGUS_KEY, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: PROMPTS[0] }] }) });
    assert.equal(bad.status, 401);
    await bad.text();
    requests++;
    // The upstream overloaded on every attempt: two retries, then the 529 reaches the client.
    const overloaded = await fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'x-api-key': stack.key, 'content-type': 'application/json', 'x-sim-fault': 'status:529' }, body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: PROMPTS[1] }] }) });
    assert.equal(overloaded.status, 529);
    await overloaded.text();
    requests++;
    // An upstream 400 (max_tokens 0 on a stream), not retried.
    const invalid = await fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'x-api-key': stack.key, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 0, stream: true, messages: [{ role: 'user', content: PROMPTS[2] }] }) });
    assert.equal(invalid.status, 400);
    const invalidMessage = ((await invalid.json()) as { error: { message: string } }).error.message;
    requests++;
    // The upstream fails mid-stream with an in-band error event: the client's 200 stays, the line says what happened.
    const broken = await fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'x-api-key': stack.key, 'content-type': 'application/json', 'x-sim-fault': 'error-mid-stream' }, body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 8, stream: true, messages: [{ role: 'user', content: PROMPTS[0] }] }) });
    assert.equal(broken.status, 200);
    assert.match(await broken.text(), /event: error/);
    requests++;
    rows = (await stack.turns());

    closed = true;
    await stack.close(); // SIGTERM's path: the log is flushed
    const text = readFileSync(logFile, 'utf8');
    assert.equal(statSync(logFile).mode & 0o777, 0o600, 'the log file is its user\'s only');
    assert.ok(text.endsWith('\n'));
    const lines = text.trimEnd().split('\n').map((l, i) => {
      try { return JSON.parse(l) as Line; } catch { assert.fail(`line ${i + 1} is not JSON: ${l}`); }
    });
    assert.equal(lines.length, requests, 'one line per request');
    assert.equal(new Set(lines.map((l) => l.request_id)).size, requests);

    for (const l of lines) {
      assert.equal(l.msg, 'request');
      assert.ok(!Number.isNaN(Date.parse(l.time)), 'an ISO time');
      assert.ok(l.latency_ms > 0);
    }
    // Every turn's line says what its ledger row says.
    const turns = rows.filter((r) => r.kind === 'turn');
    assert.equal(turns.length, requests - 2, 'every request but the model list and the 401 has a turn row');
    for (const row of turns) {
      const l = lines.find((x) => x.request_id === row.request_id);
      assert.ok(l, `a line for ${row.request_id}`);
      assert.deepEqual(
        [l.key_id, l.session_id, l.client_protocol, l.endpoint, l.requested_model, l.response_model, l.provider, l.status, l.error_code, l.streamed, l.aborted],
        [row.key_id, row.session_id, row.client_protocol, row.endpoint, row.requested_model, row.response_model, row.provider, row.status, row.error_code, row.streamed === 1, row.aborted === 1],
      );
      assert.deepEqual(
        [l.input_tokens, l.cache_read_tokens, l.cache_write_5m_tokens, l.cache_write_1h_tokens, l.output_tokens, l.cost_usd, l.cost_client_usd, l.latency_ms, l.ttfb_ms, l.miss_reason],
        [row.input_tokens, row.cache_read_tokens, row.cache_write_5m_tokens, row.cache_write_1h_tokens, row.output_tokens, row.cost_usd, row.cost_client_usd, row.latency_ms, row.ttfb_ms, row.miss_reason],
      );
      assert.equal(l.engine_changed, row.engine !== null);
      if (row.engine) assert.deepEqual(l.changes, [...new Set((JSON.parse(row.engine) as Array<{ kind: string }>).map((c) => c.kind))]);
      if (l.cost_usd !== null && l.cost_client_usd !== null) assert.ok(Math.abs(l.savings_usd! - (l.cost_client_usd - l.cost_usd)) < 1e-6);
    }

    const session = lines.slice(0, 3);
    assert.ok(session.every((l) => l.status === 200 && l.level === 'info' && l.retries === 0 && l.provider === 'anthropic' && l.key_id === stack.keyId));
    assert.equal(new Set(session.map((l) => l.session_id)).size, 1, 'the three turns are one session');
    assert.deepEqual(session.map((l) => l.streamed), [false, true, false]);
    assert.ok(session.every((l) => l.engine_changed && l.changes.includes('breakpoint')), 'the cache engine placed breakpoints');
    assert.ok(session[2]!.cache_read_tokens > 0, 'the third turn read the cache');
    assert.ok(session[1]!.ttfb_ms! > 0);
    const chatLine = lines[3]!;
    assert.deepEqual([chatLine.client_protocol, chatLine.endpoint, chatLine.status, chatLine.streamed], ['openai', 'chat', 200, true]);
    assert.ok(chatLine.changes.includes('translate'));

    assert.deepEqual([lines[4]!.endpoint, lines[4]!.status, lines[4]!.level, lines[4]!.key_id], ['models', 200, 'info', stack.keyId]);
    const unauth = lines[5]!;
    assert.deepEqual([unauth.status, unauth.error_code, unauth.key_id, unauth.level, unauth.input_tokens, unauth.cost_usd], [401, 'AUTH_INVALID', null, 'warn', 0, null]);

    const retried = lines[6]!;
    assert.deepEqual([retried.status, retried.error_code, retried.level, retried.retries], [529, 'UPSTREAM_ERROR', 'error', 2]);
    assert.equal(typeof retried.error_message, 'string');
    assert.ok(retried.error_message!.length > 0);
    assert.deepEqual(retried.failed_attempts!.map((a) => [a.provider, a.status, a.error_code]), [['anthropic', 529, 'UPSTREAM_ERROR'], ['anthropic', 529, 'UPSTREAM_ERROR']]);
    assert.equal(rows.filter((r) => r.kind === 'retry' && r.request_id === retried.request_id).length, 2, 'the ledger has the same two failed attempts');

    const rejected = lines[7]!;
    assert.deepEqual([rejected.status, rejected.error_code, rejected.retries, rejected.error_message], [400, 'UPSTREAM_ERROR', 0, invalidMessage], 'the upstream\'s own message');

    const midStream = lines[8]!;
    assert.deepEqual([midStream.status, midStream.error_code, midStream.error_message, midStream.level, midStream.streamed], [200, 'UPSTREAM_overloaded_error', 'Overloaded', 'error', true]);

    // Never a key, a prompt or a reply.
    const secrets = [stack.key, BOGUS_KEY, 'sim-key', ...PROMPTS.map((p) => p.match(/PROMPT-\w+/)![0]), 'PROMPT-chat-55e1', 'SYSTEM-7f3a9c'];
    for (const s of secrets) assert.ok(!text.includes(s), `the log holds ${s}`);
    const longReplies = replies.filter((r) => r.length >= 24);
    assert.ok(longReplies.length > 0, 'the replies are long enough to search for');
    for (const r of longReplies) assert.ok(!text.includes(r.slice(0, 24)), `the log holds a reply: ${r.slice(0, 24)}`);
  } finally {
    if (!closed) await stack.close();
  }
});

test('level "warn" keeps only the failed requests; "silent" writes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'synrouter-access-log-'));
  for (const level of ['warn', 'silent']) {
    const logFile = join(dir, `${level}.log`);
    const stack = await startStack({ env: { SYNROUTER_LOG_LEVEL: level, SYNROUTER_LOG_DESTINATION: logFile } });
    const post = (key: string) => fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }) }).then((r) => r.status);
    assert.equal(await post(stack.key), 200);
    assert.equal(await post('sk-sr-nope'), 401);
    await stack.close();
    if (level === 'silent') {
      assert.throws(() => statSync(logFile), /ENOENT/, 'no file is even opened');
    } else {
      const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Line);
      assert.deepEqual(lines.map((l) => [l.level, l.status]), [['warn', 401]]);
    }
  }
});
