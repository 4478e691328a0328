/**
 * kill -9 under load (issue 21, finding 9): a real `synrouter serve` process, 20 concurrent sessions of
 * streamed turns (slow streams, JSON turns, turns retried on 529s) to the simulator, SIGKILL in the
 * middle, then a restart on the same file. Every request the simulator received has a ledger row:
 * the ones that finished, the ones that were still streaming (marked INTERRUPTED) and every failed
 * attempt before a retry. The file passes SQLite's integrity check.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { startSimulator, type Simulator } from '../src/simulator/simulator.ts';
import { eventually, startStack, testStore } from './support/stack.ts';

const sqliteOnly = testStore() === 'postgres' ? 'SQLite only: runs `synrouter serve` on a SQLite file / reads open_turns from the SQLite file directly' : false;

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const SESSIONS = 20;
const TURNS = 8;

let sim: Simulator;
const dir = mkdtempSync(join(tmpdir(), 'sr-kill9-'));
const db = join(dir, 'synrouter.db');
before(async () => { sim = await startSimulator({ port: 0 }); });
after(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The environment without the caller's SYNROUTER_* settings or config file. */
function env(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYNROUTER_')) out[k] = v;
  return { ...out, SYNROUTER_CONFIG: '', SYNROUTER_DB: db, SYNROUTER_PORT: '0', SYNROUTER_HOST: '127.0.0.1', SYNROUTER_ANTHROPIC_API_KEY: 'sim', SYNROUTER_ANTHROPIC_BASE_URL: sim.url };
}

async function serve(): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [MAIN, 'serve'], { env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const until = Date.now() + 30_000;
  while (!/synrouter listening on (http:\S+)/.test(err)) {
    if (Date.now() > until || proc.exitCode !== null) throw new Error(`serve did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { proc, url: /synrouter listening on (http:\S+)/.exec(err)![1]! };
}

/** Turn t of session s: most stream, every third slowly, one in eight as JSON, and a few fail with 529 (two retries, then the error). */
function turnHeaders(s: number, t: number): Record<string, string> {
  if ((s + t) % 7 === 3) return { 'x-sim-fault': 'status:529' };
  return (s + t) % 3 === 0 ? { 'x-sim-delta-ms': '25' } : {};
}

interface Row { session_id: string; kind: string; status: number; error_code: string | null; aborted: number; tokens: number; cost_usd: number | null }

async function session(url: string, key: string, s: number): Promise<void> {
  const messages: Array<{ role: string; content: string }> = [];
  for (let t = 0; t < TURNS; t++) {
    messages.push({ role: 'user', content: `Session ${s}, turn ${t}: tell me a long story about the number ${s * 100 + t}.` });
    try {
      const res = await fetch(`${url}/api/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-session-id': `kill9-${s}`, ...turnHeaders(s, t) },
        body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 2000, stream: t % 8 !== 5, messages }),
      });
      await res.text();
    } catch {
      return; // the server died under this request
    }
    messages.push({ role: 'assistant', content: `Reply ${t}.` });
  }
}

test('kill -9 under load, then a restart: one ledger row per request the upstream received, interrupted ones included; the store is intact', { skip: sqliteOnly }, async (t) => {
  const { stdout } = await promisify(execFile)(process.execPath, [MAIN, 'keys', 'create', '--name', 'kill9', '--db', db], { env: env() });
  const key = stdout.trim().split('\n').at(-1)!;
  const first = await serve();
  const received = () => sim.requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages').length;
  const sessions = Array.from({ length: SESSIONS }, (_, s) => session(first.url, key, s));
  // In the middle: about a third of the turns have been sent, slow streams are running, retries are waiting.
  while (received() < (SESSIONS * TURNS) / 3) await new Promise((r) => setTimeout(r, 5));
  first.proc.kill('SIGKILL');
  await once(first.proc, 'exit');
  await Promise.all(sessions);
  const sent = received();
  assert.ok(sent < SESSIONS * TURNS, 'the kill came before the sessions ended');

  // A restart on the same file: the turns the killed process left open are recorded as interrupted.
  const second = await serve();
  const health = await fetch(`${second.url}/health`);
  assert.equal(health.status, 200);
  second.proc.kill('SIGTERM');
  const [code] = await once(second.proc, 'exit');
  assert.equal(code, 0);

  const d = new DatabaseSync(db, { readOnly: true });
  try {
    assert.equal((d.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
    const rows = d.prepare('SELECT session_id, kind, status, error_code, aborted, input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens + output_tokens AS tokens, cost_usd FROM turns ORDER BY id').all() as unknown as Row[];
    // Session by session (its requests go one after another, so its rows are in request order): one row
    // per request the simulator received. The row is written before the request goes out, so the kill
    // can also fall between the two: then the session has one row more, its last, interrupted before
    // the upstream read anything, with nothing metered and nothing billed.
    let unsent = 0;
    for (let s = 0; s < SESSIONS; s++) {
      const got = sim.requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages' && r.headers['x-session-id'] === `kill9-${s}`).length;
      const mine = rows.filter((r) => r.session_id === `kill9-${s}`);
      if (mine.length === got + 1) {
        unsent++;
        assert.deepEqual({ ...mine.at(-1)! }, { session_id: `kill9-${s}`, kind: 'turn', status: 500, error_code: 'INTERRUPTED', aborted: 1, tokens: 0, cost_usd: null }, `session ${s}: the extra row is a request the kill stopped on its way out`);
      } else assert.equal(mine.length, got, `session ${s}: one ledger row per request the simulator received`);
    }
    const byKind = (k: string) => rows.filter((r) => r.kind === k).length;
    const interrupted = rows.filter((r) => r.error_code === 'INTERRUPTED');
    t.diagnostic(`simulator received ${sent}; ledger: ${byKind('turn')} turns, ${byKind('retry')} retries, ${interrupted.length} interrupted (${interrupted.filter((r) => r.status === 200).length} after their head), ${unsent} stopped before the upstream read them`);
    assert.equal(rows.length - unsent, sent, 'the simulator\'s count of requests received equals the ledger\'s rows');
    assert.ok(interrupted.length > 0, 'streams in flight at the kill are recorded as interrupted');
    assert.ok(interrupted.every((r) => r.aborted === 1));
    assert.ok(byKind('retry') > 0, 'some attempts were retried');
    // Nothing is left open after the restart.
    assert.equal((d.prepare('SELECT count(*) AS n FROM open_turns').get() as { n: number }).n, 0);
  } finally {
    d.close();
  }
});

test('a stream still running has its open row written with what it has metered: the status and message_start\'s tokens, for the pass-through and the translated path', { skip: sqliteOnly }, async () => {
  const stack = await startStack();
  const reader = new DatabaseSync(stack.dbPath, { readOnly: true });
  const open = () => reader.prepare('SELECT status, input_tokens, cost_usd, response_model FROM open_turns').all().map((r) => ({ ...r })) as Array<{ status: number; input_tokens: number; cost_usd: number; response_model: string }>;
  try {
    const calls: Array<{ url: string; headers: Record<string, string>; body: unknown }> = [
      { url: `${stack.anthropicBase}/v1/messages`, headers: { 'x-api-key': stack.key }, body: { model: 'claude-sonnet-4-6', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'tell me a story' }] } },
      { url: `${stack.openaiBase}/chat/completions`, headers: { authorization: `Bearer ${stack.key}` }, body: { model: 'anthropic/claude-sonnet-4.6', stream: true, messages: [{ role: 'user', content: 'tell me a story' }] } },
    ];
    for (const call of calls) {
      const abort = new AbortController();
      // The simulator sends message_start, then nothing until the client goes away.
      const res = await fetch(call.url, { method: 'POST', signal: abort.signal, headers: { 'content-type': 'application/json', 'x-sim-fault': 'stall-mid-stream', ...call.headers }, body: JSON.stringify(call.body) });
      assert.equal(res.status, 200);
      const [row] = open();
      assert.equal(row?.status, 0, 'opened before dispatch; the flush has not run yet');
      await eventually(async () => { await stack.app.deps.ledger.flush(); return open()[0]?.status === 200; }, 'the open row has the head and the metered input');
      const sim = stack.sim.requests.at(-1)!;
      assert.ok(open()[0]!.input_tokens > 0);
      assert.equal(open()[0]!.input_tokens, (sim.usage as { input_tokens: number }).input_tokens);
      assert.ok(open()[0]!.cost_usd > 0);
      abort.abort();
      await eventually(() => open().length === 0, 'the finished (aborted) row replaces the open one');
    }
    const rows = (await stack.turns());
    assert.deepEqual(rows.map((r) => [r.status, r.error_code, r.aborted]), [[200, 'CLIENT_ABORTED', 1], [200, 'CLIENT_ABORTED', 1]]);
    // Finished requests leave nothing behind in the ledger's memory either.
    for (let i = 0; i < 5; i++) assert.equal((await fetch(calls[0]!.url, { method: 'POST', headers: { 'content-type': 'application/json', ...calls[0]!.headers }, body: JSON.stringify(calls[0]!.body) }).then((r) => r.text())).includes('message_stop'), true);
    assert.equal(stack.app.deps.ledger.running, 0);
    assert.equal((await stack.turns()).length, 7);
    assert.equal(open().length, 0, 'the flush that wrote their rows deleted their open rows');
  } finally {
    reader.close();
    await stack.close();
  }
});
