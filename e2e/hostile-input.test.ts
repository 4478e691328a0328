/**
 * What one ordinary client key could do to everyone else (issue 21): structure amplification,
 * nesting, stalled and unwanted bodies, memory pressure. Each answer is an error in the caller's
 * protocol; the process stays up and keeps serving the others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/store/db.ts';
import { KeyStore } from '../src/store/keys.ts';
import { startSimulator } from '../src/simulator/simulator.ts';
import { REQUEST_LIMITS } from '../src/protocols/request-limits.ts';
import { MAX_NESTING } from '../src/json/json-limits.ts';
import { startStack, eventually, testStore } from './support/stack.ts';

const sqliteOnly = testStore() === 'postgres' ? 'SQLite only: runs `synrouter serve` on a SQLite file of its own, its keys written with KeyStore' : false;

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const MODEL = 'claude-sonnet-4-6';
const anthropicHeaders = (key: string, session?: string) => ({ 'x-api-key': key, 'content-type': 'application/json', ...(session ? { 'x-session-id': session } : {}) });
const textBlocks = (n: number) => Array.from({ length: n }, () => ({ type: 'text', text: 'x' }));

/** Peak resident memory of a process, from Linux's VmHWM, in MB. */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

test('30 MB of 1.16 million tiny blocks, 16 times, 4 at a time, against the default limits: refused with a 400; the process stays up and small, /health and other sessions are served throughout', { skip: sqliteOnly, timeout: 300_000 }, async (t) => {
  const sim = await startSimulator({ port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'synrouter-hostile-'));
  const dbPath = join(dir, 'synrouter.db');
  const db = openDatabase(dbPath);
  const attacker = new KeyStore(db).create({ name: 'attacker', mode: 'coding' }).key;
  const user = new KeyStore(db).create({ name: 'user', mode: 'coding' }).key;
  db.close();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYNROUTER_')) env[k] = v;
  const child = spawn(process.execPath, [MAIN, 'serve'], {
    env: { ...env, SYNROUTER_CONFIG: '', SYNROUTER_DB: dbPath, SYNROUTER_PORT: '0', SYNROUTER_HOST: '127.0.0.1', SYNROUTER_ANTHROPIC_API_KEY: 'sim-key', SYNROUTER_ANTHROPIC_BASE_URL: sim.url },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr!.on('data', () => { const m = /synrouter listening on (http:\/\/\S+)/.exec(stderr); if (m) resolve(m[1]!); });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    // The body, byte for byte.
    const block = '{"type":"text","text":"x"},';
    const body = Buffer.from(`{"model":"${MODEL}","max_tokens":16,"stream":true,"messages":[{"role":"user","content":[${block.repeat(1165076)}{"type":"text","text":"x"}]}]}`);
    assert.ok(body.length > 30_000_000 && body.length < 32 * 1024 * 1024);

    let done = false;
    const health: number[] = [];
    const healthLoop = (async () => {
      while (!done) {
        health.push((await fetch(`${url}/health`)).status);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const ordinary: number[] = [];
    const userLoop = (async () => {
      const messages: unknown[] = [{ role: 'user', content: 'Hello there, summarise the repository.' }];
      while (!done) {
        const r = await fetch(`${url}/api/anthropic/v1/messages`, { method: 'POST', headers: anthropicHeaders(user, 'ordinary'), body: JSON.stringify({ model: MODEL, max_tokens: 64, messages }) });
        ordinary.push(r.status);
        const answer = (await r.json()) as { content: unknown[] };
        messages.push({ role: 'assistant', content: answer.content }, { role: 'user', content: `Next step ${ordinary.length}.` });
      }
    })();
    const answers: Array<{ status: number; message: string }> = [];
    let next = 0;
    const attack = async () => {
      while (next < 16) {
        const i = next++;
        const r = await fetch(`${url}/api/anthropic/v1/messages`, { method: 'POST', headers: anthropicHeaders(attacker, `attack-${i}`), body });
        answers.push({ status: r.status, message: ((await r.json()) as { error: { message: string } }).error.message });
      }
    };
    await Promise.all([attack(), attack(), attack(), attack()]);
    done = true;
    await Promise.all([healthLoop, userLoop]);

    assert.equal(child.exitCode, null, `the process is still running\n${stderr}`);
    assert.equal(answers.length, 16);
    for (const a of answers) {
      assert.equal(a.status, 400);
      assert.match(a.message, /limit/);
    }
    assert.ok(health.length > 0 && health.every((s) => s === 200), `/health answered 200 throughout (${health.length} polls)`);
    assert.ok(ordinary.length > 0 && ordinary.every((s) => s === 200), `the ordinary session was served throughout (${ordinary.length} turns)`);
    // Stated bound (README, "Limits"): before the caps, 4 of these at once exhausted a 4 GB heap.
    const peak = peakRssMb(child.pid!);
    t.diagnostic(`peak RSS ${peak.toFixed(0)} MB; ${ordinary.length} ordinary turns and ${health.length} /health polls served during the attack`);
    assert.ok(peak < 1536, `peak RSS ${peak.toFixed(0)} MB is under 1.5 GB`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await sim.close();
  }
});

test('structure caps: blocks per message, blocks in all, tools, messages; a 400 naming the cap and the value in the caller\'s protocol, and a request at the cap goes through', { timeout: 120_000 }, async () => {
  const stack = await startStack();
  try {
    const post = (body: unknown) => fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: anthropicHeaders(stack.key), body: JSON.stringify(body) });
    const perMessage = REQUEST_LIMITS.blocksPerMessage;
    const over = await post({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: textBlocks(perMessage + 1) }] });
    assert.equal(over.status, 400);
    const err = (await over.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(err.type, 'error');
    assert.equal(err.error.type, 'invalid_request_error');
    assert.match(err.error.message, new RegExp(`messages\\.0\\.content: ${perMessage + 1} content blocks .*limit of ${perMessage} per message`));
    assert.equal((await post({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: textBlocks(perMessage) }] })).status, 200, 'at the cap: forwarded');

    // In all: over the total with no message over its own cap.
    const messages = Array.from({ length: 6 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: textBlocks(perMessage) }));
    const total = await post({ model: MODEL, max_tokens: 16, messages: [...messages, { role: 'user', content: 'go' }] });
    assert.equal(total.status, 400);
    assert.match(((await total.json()) as { error: { message: string } }).error.message, new RegExp(`${6 * perMessage + 1} content blocks in all.*limit of ${REQUEST_LIMITS.blocks}`));

    const tools = Array.from({ length: REQUEST_LIMITS.tools + 1 }, (_, i) => ({ name: `t${i}`, input_schema: { type: 'object' } }));
    const manyTools = await post({ model: MODEL, max_tokens: 16, tools, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(manyTools.status, 400);
    assert.match(((await manyTools.json()) as { error: { message: string } }).error.message, new RegExp(`tools: ${REQUEST_LIMITS.tools + 1} tools .*limit of ${REQUEST_LIMITS.tools}`));

    // The OpenAI side answers in OpenAI's shape.
    const chat = await fetch(`${stack.openaiBase}/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${stack.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: Array.from({ length: perMessage + 1 }, () => ({ type: 'text', text: 'x' })) }] }),
    });
    assert.equal(chat.status, 400);
    const chatErr = (await chat.json()) as { error: { type: string; code: string; param: string; message: string } };
    assert.equal(chatErr.error.type, 'invalid_request_error');
    assert.equal(chatErr.error.code, 'body_limit');
    assert.equal(chatErr.error.param, 'messages[0].content');

    const rows = (await stack.turns()).filter((r) => r.error_code === 'BODY_LIMIT');
    assert.equal(rows.length, 4, 'every refused turn has its ledger row');
    assert.equal(stack.sim.requests.filter((r) => r.path.startsWith('/v1/messages')).length, 1, 'only the request at the cap reached the upstream');
  } finally {
    await stack.close();
  }
});

test(`nesting: a body ${MAX_NESTING} levels deep is forwarded, one level more (and a million) is a 400 on both APIs, never forwarded`, { timeout: 60_000 }, async () => {
  const stack = await startStack();
  try {
    // Levels: body > messages > message > content > block > input > nested objects.
    const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    const body = (inputLevels: number) => `{"model":"${MODEL}","max_tokens":16,"messages":[{"role":"user","content":"use the tool"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"t","input":${nested(inputLevels)}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"ok"}]}]}`;
    const post = (b: string) => fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: anthropicHeaders(stack.key), body: b });
    const atLimit = MAX_NESTING - 5; // the five containers around the tool input
    assert.equal((await post(body(atLimit))).status, 200);
    const before = stack.sim.requests.length;
    for (const levels of [atLimit + 1, 1_000_000]) {
      const r = await post(body(levels));
      assert.equal(r.status, 400);
      assert.match(((await r.json()) as { error: { message: string } }).error.message, new RegExp(`more than ${MAX_NESTING} levels deep`));
    }
    const chat = await fetch(`${stack.openaiBase}/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${stack.key}`, 'content-type': 'application/json' },
      body: `{"model":"${MODEL}","messages":[{"role":"user","content":"hi"}],"metadata":${nested(MAX_NESTING)}}`,
    });
    assert.equal(chat.status, 400);
    assert.equal(((await chat.json()) as { error: { code: string } }).error.code, 'body_limit');
    assert.equal(stack.sim.requests.length, before, 'nothing too deep reached the upstream');
  } finally {
    await stack.close();
  }
});

/** Opens a connection, writes `head` and then `body` pieces as told; resolves with what came back and how many body bytes were written before the server closed. */
function rawUpload(port: number, head: string, writeBody: (write: (b: Buffer) => boolean, closed: () => boolean) => Promise<void>): Promise<{ answer: string; written: number; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let written = 0;
    let closed = false;
    const started = Date.now();
    socket.on('data', (d) => { answer += d.toString('latin1'); });
    socket.on('error', () => { /* EPIPE / ECONNRESET once the server closes */ });
    socket.on('close', () => { closed = true; resolve({ answer, written, closedAfterMs: Date.now() - started }); });
    socket.once('connect', () => {
      socket.write(head);
      writeBody((b) => { if (closed || socket.destroyed) return false; written += b.length; return socket.write(b); }, () => closed).catch(reject);
    });
  });
}

test('a body that stops arriving is answered 408 after the body timeout and the connection closed; a slow but steady response stream is never cut', { timeout: 60_000 }, async () => {
  const stack = await startStack({ env: { SYNROUTER_BODY_TIMEOUT_MS: '500' } });
  try {
    const port = Number(new URL(stack.app.url).port);
    const payload = Buffer.from(JSON.stringify({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }));
    const head = `POST /api/anthropic/v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: ${stack.key}\r\ncontent-type: application/json\r\ncontent-length: ${payload.length}\r\n\r\n`;
    const got = await rawUpload(port, head, async (write) => { write(payload.subarray(0, 10)); });
    assert.match(got.answer, /^HTTP\/1\.1 408 /);
    assert.match(got.answer, /connection: close/i);
    assert.match(got.answer, /"type":"error".*No request body bytes arrived/);
    await eventually(async () => (await stack.turns()).some((r) => r.error_code === 'BODY_TIMEOUT'), 'the turn has its ledger row');

    // A response that takes far longer than the body timeout, event by event, arrives whole.
    const r = await fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: { ...anthropicHeaders(stack.key), 'x-sim-delta-ms': '150' }, body: JSON.stringify({ model: MODEL, max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'tell me a story' }] }) });
    const started = Date.now();
    const text = await r.text();
    assert.equal(r.status, 200);
    assert.ok(Date.now() - started > 1000, 'the stream outlived the body timeout');
    assert.match(text, /event: message_stop/);
  } finally {
    await stack.close();
  }
});

test('a 401 on a large body still arriving: answered, then the connection is closed instead of the whole body being read', { timeout: 60_000 }, async (t) => {
  const stack = await startStack();
  try {
    const port = Number(new URL(stack.app.url).port);
    const size = 256 * 1024 * 1024;
    const head = `POST /api/anthropic/v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: sk-sr-not-a-key\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n`;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const got = await rawUpload(port, head, async (write, closed) => {
      let sent = 0;
      while (sent < size && !closed()) {
        if (!write(chunk)) await new Promise((r) => setTimeout(r, 5));
        sent += chunk.length;
      }
    });
    assert.match(got.answer, /^HTTP\/1\.1 401 /);
    assert.match(got.answer, /connection: close/i);
    assert.match(got.answer, /authentication_error/);
    t.diagnostic(`the server closed after ${(got.written / 1024 / 1024).toFixed(1)} MB were written`);
    assert.ok(got.written < size / 4, `closed after ${(got.written / 1024 / 1024).toFixed(1)} MB of a ${size / 1024 / 1024} MB body`);
  } finally {
    await stack.close();
  }
});

test('under memory pressure new requests are shed with 529 (Anthropic) / 503 (OpenAI) and retry-after; /health answers; each has its ledger row', { timeout: 60_000 }, async () => {
  const stack = await startStack({ config: (c) => ({ ...c, shedding: { maxHeapShare: 0 } }) });
  try {
    await new Promise((r) => setTimeout(r, 250)); // the next heap sample
    const a = await fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: anthropicHeaders(stack.key), body: JSON.stringify({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }) });
    assert.equal(a.status, 529);
    assert.ok(Number(a.headers.get('retry-after')) >= 1);
    assert.equal(((await a.json()) as { error: { type: string } }).error.type, 'overloaded_error');
    const o = await fetch(`${stack.openaiBase}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${stack.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }) });
    assert.equal(o.status, 503);
    assert.ok(o.headers.get('retry-after'));
    assert.equal(((await o.json()) as { error: { code: string } }).error.code, 'overloaded');
    assert.equal((await fetch(`${stack.app.url}/health`)).status, 200);
    assert.deepEqual((await stack.turns()).map((r) => [r.status, r.error_code]), [[529, 'OVERLOADED'], [503, 'OVERLOADED']]);
    assert.equal(stack.sim.requests.length, 0);
  } finally {
    await stack.close();
  }
});

test('request bodies held at once are bounded: over the bound a request is shed while the others run, and admitted again once they end', { timeout: 60_000 }, async () => {
  const stack = await startStack({ config: (c) => ({ ...c, shedding: { maxBodyBytes: 3000, maxHeapShare: 0.85 } }) });
  try {
    const big = JSON.stringify({ model: MODEL, max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'x'.repeat(2000) }] });
    const ctl = new AbortController();
    const first = await fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', signal: ctl.signal, headers: { ...anthropicHeaders(stack.key), 'x-sim-fault': 'stall-mid-stream' }, body: big });
    const reader = first.body!.getReader();
    await reader.read(); // the first turn is streaming and holds its 2 KB body
    const second = await fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: anthropicHeaders(stack.key), body: big });
    assert.equal(second.status, 529);
    await second.text();
    ctl.abort();
    await eventually(() => stack.app.deps.shedder.bodyBytes === 0, 'the first turn released its body');
    const third = await fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: anthropicHeaders(stack.key), body: big });
    assert.equal(third.status, 200);
    await third.text();
  } finally {
    await stack.close();
  }
});
