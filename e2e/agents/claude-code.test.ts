/**
 * The real Claude Code CLI (pinned in e2e/agents) through a real Synrouter to the simulator.
 *
 * Proves that an unmodified agent works through the proxy: `claude -p` runs its whole tool loop
 * (the simulator asks for `echo synrouter-step-N` with the Bash tool, Claude Code really runs it and
 * sends the output back), every request it makes is exactly one ledger row carrying Claude Code's
 * session id and the token counts the upstream reported, the prompt cache is read on every later
 * turn, Bearer auth (ANTHROPIC_AUTH_TOKEN) works as well as x-api-key, and a wrong key fails
 * cleanly without a ledger row or an upstream call. Without `--model`, Claude Code runs on its default
 * model (`claude-opus-5-5` in 2.1.332, clients.md) and every turn is priced at that model's rates
 * (issue 22: the default session used to be unpriced). With ENABLE_PROMPT_CACHING_1H=1 (Claude Code
 * marks everything 1h itself), an idle spell in simulated time costs no keep-alive ping.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { format } from 'node:util';
import { startStack, type LedgerTurn, type Stack } from '../support/stack.ts';
import { ManualClock } from '../../src/simulator/clock.ts';
import type { SimulatorRequestLog } from '../../src/simulator/simulator.ts';
import { describeRun, makeClaudeWorkspace, runClaude, watchServer, type ClaudeRun, type ProxyRequest } from './claude-cli.ts';

const ROUNDS = 3; // tool rounds the simulator asks for before its final answer
const MODEL = 'claude-sonnet-4-6';
const TASK = 'Look at the files in this project and tell me what it does.';
const TIMEOUT = { timeout: 180_000 };

let stack: Stack;
let proxySeen: ProxyRequest[];
const proxyErrors: string[] = [];
const consoleError = console.error;

before(async () => {
  stack = await startStack({ simulator: { rounds: ROUNDS } });
  proxySeen = watchServer(stack.app.server);
  // Synrouter runs in this process: anything it logs as an error is a failure of the run.
  console.error = (...args: unknown[]) => { proxyErrors.push(format(...args)); consoleError(...args); };
});
after(async () => {
  console.error = consoleError;
  await stack.close();
});

/** Where each log stands before a run, so a test looks only at what its run added. */
async function mark() {
  return { sim: stack.sim.requests.length, turns: (await stack.turns()).length, proxy: proxySeen.length, errors: proxyErrors.length };
}

type Mark = Awaited<ReturnType<typeof mark>>;

async function since(m: Mark) {
  const sim = stack.sim.requests.slice(m.sim);
  return {
    sim,
    simMessages: sim.filter((r) => r.method === 'POST' && r.path === '/v1/messages'),
    turns: (await stack.turns()).slice(m.turns),
    proxy: proxySeen.slice(m.proxy),
    errors: proxyErrors.slice(m.errors),
  };
}

interface Block { type: string; tool_use_id?: string; is_error?: boolean; content?: unknown; text?: string }
interface Body { metadata?: { user_id?: string }; messages: { role: string; content: string | Block[] }[] }

/** Text of the tool_result for `toolUseId` in a request body, if any. */
function toolResultText(body: Body, toolUseId: string): { text: string; isError: boolean } | undefined {
  for (const m of body.messages) {
    if (m.role !== 'user' || typeof m.content === 'string') continue;
    const block = m.content.find((b) => b.type === 'tool_result' && b.tool_use_id === toolUseId);
    if (!block) continue;
    const text = typeof block.content === 'string'
      ? block.content
      : (block.content as Block[]).filter((b) => b.type === 'text').map((b) => b.text).join('\n');
    return { text, isError: block.is_error === true };
  }
  return undefined;
}

/**
 * A completed run: exit 0, one ledger row per upstream /v1/messages request in the same order, with
 * the run's session id, the key, status 200, streamed, and the simulator's usage; turns 2..n read the
 * cache; the client key never reaches the upstream. Returns the run's session id, rows and requests.
 */
async function assertCompletedRun(run: ClaudeRun, m: Mark, expectedAuth: ProxyRequest['auth'], model = MODEL): Promise<{ sessionId: string; rows: LedgerTurn[]; sims: SimulatorRequestLog[] }> {
  assert.equal(run.code, 0, describeRun(run));
  const out = run.result;
  assert.ok(out, `claude printed its JSON result\n${describeRun(run)}`);
  assert.equal(out.is_error, false, describeRun(run));
  assert.match(out.result, new RegExp(`^Done after ${ROUNDS} tool calls\\. Last tool result: synrouter-step-${ROUNDS}\\b`), 'the final answer quotes the last tool output');
  assert.equal(out.num_turns, ROUNDS + 1);

  const { sim, simMessages: sims, turns: rows, proxy, errors } = await since(m);
  assert.deepEqual(errors, [], 'Synrouter logged no errors');
  assert.equal(sims.length, ROUNDS + 1, 'one request per model turn reached the upstream');
  assert.equal(sim.length, sims.length, `only /v1/messages reached the upstream: ${sim.map((r) => `${r.method} ${r.url}`).join(', ')}`);
  const proxyMessages = proxy.filter((p) => p.method === 'POST' && p.url.split('?')[0] === '/api/anthropic/v1/messages');
  assert.equal(proxyMessages.length, sims.length, 'every messages request Synrouter took went upstream once');
  assert.deepEqual(proxy.filter((p) => p.status >= 400), [], 'Synrouter answered every request Claude Code made');
  assert.ok(proxy.every((p) => p.auth === expectedAuth), `Claude Code authenticated with ${expectedAuth}`);

  // Claude Code's session id: in its output, its header and metadata.user_id on every request.
  const sessionId = out.session_id;
  assert.match(sessionId, /^[0-9a-f-]{36}$/);
  for (const s of sims) {
    assert.equal(s.headers['x-claude-code-session-id'], sessionId);
    assert.equal(JSON.parse((s.body as Body).metadata!.user_id!).session_id, sessionId);
    assert.equal((s.body as { stream?: boolean }).stream, true);
    assert.equal(s.status, 200);
    assert.equal(s.headers['x-api-key'], 'sim-key', 'the provider key replaces the client key');
    assert.ok(!JSON.stringify(s.headers).includes(stack.key), 'the client key never reaches the upstream');
  }

  assert.equal(rows.length, sims.length, 'exactly one ledger row per upstream request');
  rows.forEach((row, i) => {
    const u = sims[i]!.usage!;
    assert.deepEqual(
      {
        status: row.status, error_code: row.error_code, streamed: row.streamed, aborted: row.aborted, provider: row.provider, key_id: row.key_id,
        session_id: row.session_id, requested_model: row.requested_model, response_model: row.response_model, endpoint: row.endpoint,
      },
      {
        status: 200, error_code: null, streamed: 1, aborted: 0, provider: 'anthropic', key_id: stack.keyId,
        session_id: sessionId, requested_model: model, response_model: model, endpoint: 'messages',
      },
      `ledger row ${i}`,
    );
    assert.deepEqual(
      [row.input_tokens, row.cache_read_tokens, row.cache_write_5m_tokens, row.cache_write_1h_tokens, row.output_tokens],
      [u.input_tokens, u.cache_read_input_tokens, u.cache_creation?.ephemeral_5m_input_tokens, u.cache_creation?.ephemeral_1h_input_tokens, u.output_tokens],
      `ledger row ${i} tokens equal the simulator's usage`,
    );
    assert.ok(row.cost_usd !== null && row.cost_usd > 0, `ledger row ${i} is priced`);
  });
  // Caching through the proxy: every turn after the first reads the prefix cached by the turn before.
  rows.slice(1).forEach((r, i) => assert.ok(r.cache_read_tokens > 0, `turn ${i + 2} reads the cache (read ${r.cache_read_tokens})`));
  // What the dashboard says about each turn: a new session first, then no miss.
  assert.deepEqual(rows.map((r) => r.miss_reason), rows.map((_, i) => (i === 0 ? 'new_session' : null)), 'miss reasons');

  // Claude Code's own totals (from the streamed usage it got through the proxy) equal the ledger's.
  const sum = (f: (r: LedgerTurn) => number) => rows.reduce((a, r) => a + f(r), 0);
  assert.deepEqual(
    [out.usage.input_tokens, out.usage.cache_read_input_tokens, out.usage.cache_creation_input_tokens, out.usage.output_tokens],
    [sum((r) => r.input_tokens), sum((r) => r.cache_read_tokens), sum((r) => r.cache_write_5m_tokens + r.cache_write_1h_tokens), sum((r) => r.output_tokens)],
    'the usage Claude Code saw equals the ledger',
  );
  return { sessionId, rows, sims };
}

test('claude -p with ANTHROPIC_API_KEY: the tool loop runs, Bash executes, the ledger equals the upstream usage and the cache is read', TIMEOUT, async () => {
  const m = await mark();
  const run = await runClaude({ baseUrl: stack.anthropicBase, auth: { apiKey: stack.key }, prompt: TASK, model: MODEL });
  const { rows, sims } = await assertCompletedRun(run, m, 'x-api-key');

  // The Bash tool really ran: request n carries the output of `echo synrouter-step-n` as a tool_result.
  for (let n = 1; n <= ROUNDS; n++) {
    const result = toolResultText(sims[n]!.body as Body, `toolu_sim_${n}`);
    assert.ok(result, `request ${n} sends back the result of tool call ${n}`);
    assert.match(result.text, new RegExp(`^synrouter-step-${n}$`, 'm'), `Bash printed synrouter-step-${n}`);
    assert.equal(result.isError, false);
  }

  // The first turn of the first session on a cold upstream writes the cache (later turns read it, above).
  assert.ok(rows[0]!.cache_write_5m_tokens + rows[0]!.cache_write_1h_tokens > 0, 'turn 1 writes the cache');
});

test('claude -p without --model: Claude Code\'s default model (Opus 5.5) runs the tool loop through Synrouter and every turn is priced', TIMEOUT, async () => {
  const m = await mark();
  const run = await runClaude({ baseUrl: stack.anthropicBase, auth: { apiKey: stack.key }, prompt: TASK, model: null });
  // clients.md (Claude Code 2.1.332): with no model chosen it sends claude-opus-5-5.
  const { rows, sims } = await assertCompletedRun(run, m, 'x-api-key', 'claude-opus-5-5');
  for (const s of sims) assert.equal((s.body as { model?: string }).model, 'claude-opus-5-5', 'the upstream got the id Claude Code sent');
  // Priced at Opus 5.5's rates (vendor-caching.md): $4 in, $20 out, $5 / $8 writes, $0.20 reads per million.
  rows.forEach((r, i) => {
    const expected = (r.input_tokens * 4 + r.output_tokens * 20 + r.cache_write_5m_tokens * 5 + r.cache_write_1h_tokens * 8 + r.cache_read_tokens * 0.2) / 1e6;
    assert.ok(r.cost_usd !== null && Math.abs(r.cost_usd - expected) < 1e-9, `turn ${i + 1}: cost ${r.cost_usd}, Opus 5.5 rates give ${expected}`);
    assert.notEqual(r.cost_client_usd, null, `turn ${i + 1} has a client-only cost`);
  });
});

test('claude -p with ANTHROPIC_AUTH_TOKEN (Bearer) completes and is recorded under its own session', TIMEOUT, async () => {
  const earlierSessions = new Set((await stack.turns()).map((r) => r.session_id));
  const m = await mark();
  const run = await runClaude({ baseUrl: stack.anthropicBase, auth: { authToken: stack.key }, prompt: TASK, model: MODEL });
  const { sessionId, sims } = await assertCompletedRun(run, m, 'bearer');
  assert.ok(!earlierSessions.has(sessionId), 'a new session id, not one seen before');
  for (const s of sims) assert.equal(s.headers.authorization, undefined, 'no client Bearer token upstream');
});

test('claude -p with an unknown key fails cleanly: non-zero exit, a 401, no ledger row, nothing upstream', TIMEOUT, async () => {
  const m = await mark();
  const wrongKey = 'sk-sr-' + randomBytes(24).toString('base64url'); // well-formed, never issued
  const run = await runClaude({ baseUrl: stack.anthropicBase, auth: { apiKey: wrongKey }, prompt: TASK, model: MODEL });
  assert.notEqual(run.code, 0, describeRun(run));
  assert.equal(run.signal, null, `claude exited by itself, not by the test's timeout\n${describeRun(run)}`);
  assert.equal(run.result?.is_error, true, describeRun(run));
  assert.equal(run.result?.api_error_status, 401, describeRun(run));
  assert.match(run.result?.result ?? '', /Invalid API key/);

  const { sim, turns, proxy, errors } = await since(m);
  assert.ok(proxy.length >= 1, 'Claude Code reached Synrouter');
  assert.ok(proxy.every((p) => p.status === 401), `every request was refused: ${JSON.stringify(proxy)}`);
  assert.deepEqual(turns, [], 'no ledger row for an unauthenticated request');
  assert.deepEqual(sim, [], 'nothing reached the upstream');
  assert.deepEqual(errors, [], 'Synrouter logged no errors');
});

/** Every cache_control marker in a request body, as `path ttl`. */
function markers(body: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}.${i}`));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'cache_control') out.push(`${path} ${(x as { ttl?: string }).ttl ?? '5m'}`);
        else walk(x, path ? `${path}.${k}` : k);
      }
    }
  };
  walk(body, '');
  return out;
}

test('claude -p with ENABLE_PROMPT_CACHING_1H=1, resumed after 20 idle minutes (simulated): no keep-alive ping, the cache is read, no dearer than the client alone', TIMEOUT, async () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 9, 0, 0));
  const own = await startStack({ simulator: { rounds: ROUNDS, clock } });
  const workspace = makeClaudeWorkspace(); // kept between the runs: --resume reads the session from HOME
  const env = { ENABLE_PROMPT_CACHING_1H: '1' };
  try {
    const first = await runClaude({ baseUrl: own.anthropicBase, auth: { apiKey: own.key }, prompt: TASK, model: MODEL, env, workspace });
    assert.equal(first.code, 0, describeRun(first));
    const sessionId = first.result!.session_id;
    assert.equal(own.sim.requests.length, ROUNDS + 1, 'the tool loop: one request per model turn');

    // The person leaves for 20 minutes: the keep-alive runs on the simulator's clock, as it would in real time.
    for (let t = 0; t < 20 * 60; t += 30) {
      clock.advance(30_000);
      await own.app.deps.keepalive.tick(clock.now());
    }
    const second = await runClaude({ baseUrl: own.anthropicBase, auth: { apiKey: own.key }, prompt: 'And what does src/add.js export?', model: MODEL, env, workspace, args: ['--resume', sessionId] });
    assert.equal(second.code, 0, describeRun(second));
    assert.equal(second.result!.session_id, sessionId, 'the same session, resumed');

    const sims = own.sim.requests;
    // What makes this case: Claude Code marks everything 1h itself; the engine's marker goes before them, 1h too.
    for (const s of sims) {
      const m = markers(s.body);
      assert.ok(m.length >= 3 && m.every((x) => x.endsWith(' 1h')), `every marker sent upstream is 1h: ${m.join(', ')}`);
    }
    const pings = sims.filter((s) => (s.body as { max_tokens?: number }).max_tokens === 0);
    assert.deepEqual(pings.map((s) => s.startMs - sims[0]!.startMs), [], 'no keep-alive ping: the 1h entries outlive the idle spell by themselves');

    const rows = (await own.turns()).filter((r) => r.session_id === sessionId);
    assert.deepEqual(rows.map((r) => r.kind), sims.map(() => 'turn'), 'only turns in the ledger, no keepalive rows');
    const resumed = rows.at(-1)!;
    assert.equal(resumed.ts - rows[0]!.ts, 20 * 60_000, 'the resumed turn came 20 minutes later');
    assert.ok(resumed.cache_read_tokens > 20_000, `the turn after the pause read the cached conversation (read ${resumed.cache_read_tokens})`);
    assert.equal(resumed.miss_reason, null);

    // What the session cost with Synrouter, pings included, against Claude Code's own requests sent directly.
    const paid = rows.reduce((n, r) => n + r.cost_usd!, 0);
    const client = rows.reduce((n, r) => n + r.cost_client_usd!, 0);
    assert.ok(paid <= client + 1e-9, `paid $${paid.toFixed(6)}, the client alone $${client.toFixed(6)}`);
  } finally {
    workspace.remove();
    await own.close();
  }
});
