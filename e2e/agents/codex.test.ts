/**
 * The real Codex CLI (pinned in e2e/agents) through a real Synrouter to the simulator.
 *
 * Codex reaches a custom base URL only through the Responses API (`wire_api = "responses"`). On a
 * Claude model Synrouter translates that to Anthropic Messages, so the cache engine applies; on
 * another model (DeepSeek, served by OpenRouter, played by the simulator) it passes the Responses
 * request through and the upstream's automatic prefix caching shows as cache reads.
 *
 * Each run: `codex exec` completes the tool loop (the simulator asks for `exec_command` three times,
 * Codex really runs the command and sends its output back), Synrouter records exactly one ledger row
 * per upstream request under Codex's own thread id (its `session-id` header and `prompt_cache_key`),
 * with the upstream's token counts, and every turn after the first reads the cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import {
  ROUNDS, TASK, agentBin, assertLedger, assertToolOutputsFlowBack, describeRun, expectedFinal, makeWorkspace, runCli, settled, startAgentStack,
  type AgentStack, type LedgerExpectation,
} from './harness.ts';
import { oracleHitRate } from '../../src/testing/replay.ts';
import { FIRST_KEYS_FILE } from '../../src/cli/first-keys.ts';
import { eventually } from '../support/stack.ts';

const CODEX = agentBin('codex');
const TIMEOUT_MS = 60_000;
const sessions: string[] = [];

/**
 * The config a user writes to $CODEX_HOME/config.toml (docs/clients.md). Top-level keys must come
 * before the first [table]: TOML puts any key after a table header inside that table.
 */
function codexConfig(baseUrl: string, model: string, extra: string[] = []): string {
  return [
    `model = "${model}"`,
    'model_provider = "synrouter"',
    ...extra,
    'check_for_update_on_startup = false',
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[features]',
    'plugins = false',
    'remote_plugin = false',
    'apps = false',
    '',
    '[model_providers.synrouter]',
    'name = "Synrouter"',
    `base_url = "${baseUrl}"`,
    'env_key = "SYNROUTER_API_KEY"',
    'wire_api = "responses"',
    '',
  ].join('\n');
}

async function runCodex(stack: AgentStack, model: string, extra: string[] = [], timeoutMs = TIMEOUT_MS) {
  return (await runCodexPrompts(stack, model, extra, [TASK], timeoutMs))[0]!;
}

/** `codex exec` with the first prompt, then `codex exec resume --last` with each later one, in one workspace. */
async function runCodexPrompts(stack: AgentStack, model: string, extra: string[], prompts: string[], timeoutMs = TIMEOUT_MS) {
  const ws = makeWorkspace('codex');
  try {
    const codexHome = join(ws.root, 'codex-home');
    mkdirSync(codexHome);
    writeFileSync(join(codexHome, 'config.toml'), codexConfig(stack.openaiBase, model, extra));
    const runs = [];
    for (const [i, prompt] of prompts.entries()) {
      const run = await runCli({
        bin: CODEX,
        args: ['exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', ...(i === 0 ? [] : ['resume', '--last']), prompt],
        cwd: ws.project,
        env: { PATH: ws.path, HOME: ws.home, CODEX_HOME: codexHome, SYNROUTER_API_KEY: stack.key },
        timeoutMs,
      });
      runs.push(run);
      if (run.code !== 0) break;
    }
    return runs;
  } finally {
    ws.remove();
  }
}

/** One `codex exec` run on its own stack and the checks both tests share; the caller closes the stack. */
async function codexRun(diagnostic: (m: string) => void, model: string, expect: Omit<LedgerExpectation, 'clientProtocol' | 'endpoint' | 'clientPath' | 'requestedModel'>, extraConfig: string[] = []) {
  const stack = await startAgentStack();
  try {
    const run = await runCodex(stack, model, extraConfig);
    assert.equal(run.code, 0, describeRun(run, stack));
    await settled(stack);

    const check = await assertLedger(
      stack,
      { clientProtocol: 'openai', endpoint: 'responses', clientPath: '/api/v1/responses', requestedModel: model, ...expect },
      { turns: ROUNDS + 1 },
    );

    // Codex's thread id: printed on stderr, sent as its session-id / thread-id headers and as
    // prompt_cache_key; Synrouter files every turn under it.
    const thread = /^session id: (\S+)$/m.exec(run.stderr)?.[1];
    assert.ok(thread, `codex printed its session id\n${describeRun(run)}`);
    for (const c of check.calls) {
      assert.equal(c.headers['session-id'], thread);
      assert.equal(c.headers['thread-id'], thread);
      assert.equal(c.body.prompt_cache_key, thread);
      assert.equal(c.body.stream, true);
      assert.equal(c.body.model, model);
    }
    assert.equal(check.sessionId, thread, "the ledger's session is Codex's thread id");
    assert.ok(!sessions.includes(thread), 'a new session per run');
    sessions.push(thread);

    // Codex executed exec_command: request n+1 carries a function_call_output with the command's output.
    for (let n = 1; n <= ROUNDS; n++) {
      const input = check.calls[n]!.body.input as Array<{ type: string; name?: string; call_id?: string; output?: unknown }>;
      const calls = input.filter((i) => i.type === 'function_call');
      assert.equal(calls.at(-1)?.name, 'exec_command', `round ${n}: Codex ran its exec_command tool`);
      const output = input.findLast((i) => i.type === 'function_call_output');
      assert.equal(output?.call_id, calls.at(-1)?.call_id, `round ${n}: the output answers that call`);
    }
    const last = assertToolOutputsFlowBack(check.calls);
    assert.match(last, /Process exited with code 0/, "the command succeeded in Codex's shell");

    // The task completed: Codex printed the model's final answer, which quotes the last tool output.
    assert.equal(run.stdout.trim(), expectedFinal(last).trim(), describeRun(run));
    diagnostic(`codex ran ${run.ms} ms; session ${thread}; cache reads ${check.rows.map((r) => r.cache_read_tokens).join(', ')}`);
    return { stack, check, run };
  } catch (error) {
    await stack.close();
    throw error;
  }
}

test('codex exec on a Claude model: Responses translated to Anthropic, the cache engine makes turns 2..n read the cache', { timeout: 120_000 }, async (t) => {
  const model = 'anthropic/claude-sonnet-4.6';
  const { stack, check, run } = await codexRun((m) => t.diagnostic(m), model, { provider: 'anthropic', upstreamPath: '/v1/messages', responseModel: 'claude-sonnet-4-6' });
  try {
    // Synrouter's cache engine placed breakpoints on the translated request (Codex sends none).
    for (const s of check.sims) assert.match(JSON.stringify(s.body), /"cache_control":\{"type":"ephemeral"/, 'the upstream request carries cache_control');
    assert.ok(check.rows[0]!.cache_write_5m_tokens + check.rows[0]!.cache_write_1h_tokens > 0, 'turn 1 writes the cache on a cold upstream');
    // Codex does not know a Claude model's metadata and falls back to its generic tool set
    // (function tools, not the default model's "code mode" custom `exec` tool).
    assert.match(run.stderr, /Model metadata for `anthropic\/claude-sonnet-4\.6` not found/);
    assert.ok(!check.calls.some((c) => (c.body.input as Array<{ type: string }>).some((i) => i.type === 'additional_tools')), 'no code-mode additional_tools item');
  } finally {
    await stack.close();
  }
});

test('codex exec on a Claude model with a reasoning effort: Claude thinks on every turn, its signed thinking carried in reasoning items', { timeout: 120_000 }, async (t) => {
  const model = 'anthropic/claude-sonnet-4.6';
  const { stack, check } = await codexRun((m) => t.diagnostic(m), model, { provider: 'anthropic', upstreamPath: '/v1/messages', responseModel: 'claude-sonnet-4-6' }, ['model_reasoning_effort = "medium"']);
  try {
    check.sims.forEach((s, n) => {
      const body = s.body as { thinking?: unknown; output_config?: unknown; messages: Array<{ role: string; content: Array<{ type: string }> }> };
      // The simulator refuses a tool-loop turn whose assistant turn lacks its thinking block; it took them all.
      assert.deepEqual(body.thinking, { type: 'adaptive' }, `turn ${n + 1}: thinking on`);
      assert.deepEqual(body.output_config, { effort: 'medium' }, `turn ${n + 1}`);
      const assistants = body.messages.filter((m) => m.role === 'assistant');
      assert.equal(assistants.length, n);
      assert.ok(assistants.every((a) => a.content[0]?.type === 'thinking'), `turn ${n + 1}: every earlier answer opens with its thinking block`);
    });
    // Codex sent Synrouter's reasoning items back as it got them.
    for (const c of check.calls.slice(1)) {
      const reasoning = (c.body.input as Array<{ type: string; encrypted_content?: string }>).filter((i) => i.type === 'reasoning');
      assert.ok(reasoning.length > 0 && reasoning.every((r) => r.encrypted_content?.startsWith('srant1:')));
    }
    check.rows.slice(1).forEach((r, i) => assert.ok(r.cache_read_tokens >= check.rows[i]!.cache_read_tokens + check.rows[i]!.cache_write_5m_tokens, `turn ${i + 2} reads all turn ${i + 1} read and wrote`));
  } finally {
    await stack.close();
  }
});

/**
 * Issue 23 item 2: with a reasoning effort, a Claude session keeps the thinking config Codex asked
 * for on every request of a long tool loop and of its follow-up, whether the model thinks on every
 * answer, only at the start of the turn (adaptive thinking may skip it between tool calls) or never
 * (it may skip it altogether at medium effort). A change of the thinking config invalidates the
 * cached messages (protocols.md §2.8) and shows as a miss the ledger blames on the client, so no
 * turn after the first may miss, and the session's hit rate must stay within a point of the best any
 * placement could do on the requests Codex asked for (src/testing/replay.ts oracleHitRate, as the
 * cache-engine tests compute it, on the requests sent with the session's own thinking config).
 */
const LONG_ROUNDS = 12;
const FOLLOW_UP = 'Now tell me how many files there are.';
for (const thinking of ['every-reply', 'turn-start', 'never'] as const) {
  test(`codex exec with a reasoning effort through ${LONG_ROUNDS} tool rounds and a follow-up, the model thinking ${thinking}: thinking stays on, the cache as good as the oracle's`, { timeout: 240_000 }, async (t) => {
    const model = 'anthropic/claude-sonnet-4.6';
    const stack = await startAgentStack({ rounds: LONG_ROUNDS, thinking });
    try {
      const runs = await runCodexPrompts(stack, model, ['model_reasoning_effort = "medium"'], [TASK, FOLLOW_UP], 120_000);
      for (const run of runs) assert.equal(run.code, 0, describeRun(run, stack));
      assert.equal(runs.length, 2);
      await settled(stack);
      // The follow-up is one more request: the simulator counts the session's tool rounds, all done.
      const check = await assertLedger(
        stack,
        { clientProtocol: 'openai', endpoint: 'responses', clientPath: '/api/v1/responses', requestedModel: model, provider: 'anthropic', upstreamPath: '/v1/messages', responseModel: 'claude-sonnet-4-6' },
        { turns: LONG_ROUNDS + 2 },
      );
      assert.match(runs[0]!.stdout.trim(), new RegExp(`^Done after ${LONG_ROUNDS} tool calls\\.`), describeRun(runs[0]!));
      const lastInput = check.calls.at(-1)!.body.input as Array<{ type?: string; role?: string; content?: unknown; encrypted_content?: string }>;
      assert.ok(JSON.stringify(lastInput.filter((i) => i.role === 'user').at(-1)).includes(FOLLOW_UP), 'the last request is the follow-up');

      type Body = { thinking?: unknown; output_config?: unknown; messages: Array<{ role: string; content: Array<{ type: string }> }> };
      // Answer i of the session thought: every one in every-reply, the one to the first prompt in turn-start.
      const thinks = (answer: number) => thinking === 'every-reply' || (thinking === 'turn-start' && answer === 0);
      check.sims.forEach((s, n) => {
        const body = s.body as Body;
        assert.deepEqual(body.thinking, { type: 'adaptive' }, `request ${n + 1}: thinking on, as Codex asked`);
        assert.deepEqual(body.output_config, { effort: 'medium' }, `request ${n + 1}: the same effort`);
        const opened = body.messages.filter((m) => m.role === 'assistant').map((a) => a.content[0]?.type === 'thinking');
        assert.deepEqual(opened, opened.map((_, i) => thinks(i)), `request ${n + 1}: each earlier answer as the model gave it, thinking block or none`);
      });
      // Codex replayed one reasoning item per answer: the thinking, or the item saying there was none.
      const carried = lastInput.filter((i) => i.type === 'reasoning').map((i) => (i.encrypted_content === 'srant1:W10' ? 'none' : 'thinking'));
      assert.deepEqual(carried, Array.from({ length: LONG_ROUNDS + 1 }, (_, i) => (thinks(i) ? 'thinking' : 'none')));

      assert.deepEqual(check.rows.slice(1).map((r) => r.miss_reason), check.rows.slice(1).map(() => null), 'no miss after the first turn');
      const all = (r: (typeof check.rows)[number]) => r.input_tokens + r.cache_read_tokens + r.cache_write_5m_tokens + r.cache_write_1h_tokens;
      const hit = check.rows.reduce((n, r) => n + r.cache_read_tokens, 0) / check.rows.reduce((n, r) => n + all(r), 0);
      const first = check.sims[0]!.body as Body;
      const asked = check.sims.map((s) => ({ sent: { ...(s.body as Record<string, unknown>), thinking: first.thinking, output_config: first.output_config } }));
      const oracle = oracleHitRate(asked, check.sims.map((s) => s.startMs), { thinking });
      t.diagnostic(`thinking ${thinking}: hit rate ${(hit * 100).toFixed(1)}%, oracle ${(oracle * 100).toFixed(1)}%, ${check.rows.length} turns, ${runs.map((r) => r.ms).join(' + ')} ms`);
      assert.ok(hit >= oracle - 0.01, `hit rate ${(hit * 100).toFixed(2)}% within 1 point of the oracle's ${(oracle * 100).toFixed(2)}%`);
    } finally {
      await stack.close();
    }
  });
}

test('codex exec on a non-Claude model: Responses passed through to OpenRouter, whose automatic prefix caching shows as cache reads', { timeout: 120_000 }, async (t) => {
  const model = 'deepseek/deepseek-v4-flash';
  const { stack, check } = await codexRun((m) => t.diagnostic(m), model, { provider: 'openrouter', upstreamPath: '/v1/responses', responseModel: model });
  try {
    // Same protocol: the upstream gets Codex's own Responses request, keyed by the session.
    for (const s of check.sims) {
      const body = s.body as { prompt_cache_key?: string; input?: unknown[] };
      assert.equal(body.prompt_cache_key, check.sessionId, 'a stable prompt_cache_key from the session');
      assert.ok(Array.isArray(body.input));
    }
    check.rows.slice(1).forEach((r, i) => {
      const u = check.sims[i + 1]!.usage as { input_tokens_details: { cached_tokens: number } };
      assert.equal(r.cache_read_tokens, u.input_tokens_details.cached_tokens, `turn ${i + 2}: the cache read is the upstream's cached_tokens`);
    });
  } finally {
    await stack.close();
  }
});

/**
 * Issue 23 item 7: a first try as the README describes it. `synrouter serve` with no provider key
 * (what `npm start` runs) serves Claude from its built-in simulator and writes its first keys, with
 * the Codex config snippet, next to the database (stdout is not a terminal here). Codex configured
 * with exactly that snippet completes its task: the simulator asks its `exec_command` tool for
 * commands that exist on any machine.
 */
test('codex exec with the config snippet of the first start, against the built-in simulator of `synrouter serve`: the task completes, every command runs', { timeout: 120_000 }, async () => {
  const ws = makeWorkspace('codex-first-start');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYNROUTER_') && v !== undefined) env[k] = v;
  const dataDir = join(ws.root, 'data');
  mkdirSync(dataDir);
  const server = spawn(process.execPath, [fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)), 'serve'], {
    env: { ...env, SYNROUTER_CONFIG: '', SYNROUTER_DB: join(dataDir, 'synrouter.db'), SYNROUTER_PORT: '0', SYNROUTER_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let serverErr = '';
  server.stderr!.on('data', (d: Buffer) => { serverErr += d.toString(); });
  server.stdout!.resume();
  try {
    await eventually(() => /synrouter listening on http:\/\/\S+/.test(serverErr), 'synrouter serve to listen', 30_000);
    assert.match(serverErr, /built-in SIMULATOR/);
    const keys = readFileSync(join(dataDir, FIRST_KEYS_FILE), 'utf8');
    // The snippet: the lines under "Codex CLI (~/.codex/config.toml, then: export SYNROUTER_API_KEY=…):", up to the blank line.
    const lines = keys.split('\n');
    const head = lines.findIndex((l) => l.startsWith('Codex CLI'));
    assert.ok(head >= 0, keys);
    const apiKey = /export SYNROUTER_API_KEY=(sk-sr-[A-Za-z0-9_-]+)/.exec(lines[head]!)?.[1];
    assert.ok(apiKey, lines[head]);
    const end = lines.findIndex((l, i) => i > head && l.trim() === '');
    const snippet = lines.slice(head + 1, end).map((l) => l.replace(/^ {2}/, '')).join('\n') + '\n';
    assert.match(snippet, /wire_api = "responses"/);
    const codexHome = join(ws.root, 'codex-home');
    mkdirSync(codexHome);
    writeFileSync(join(codexHome, 'config.toml'), snippet);

    const run = await runCli({
      bin: CODEX,
      args: ['exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', TASK],
      cwd: ws.project,
      env: { PATH: ws.path, HOME: ws.home, CODEX_HOME: codexHome, SYNROUTER_API_KEY: apiKey },
      timeoutMs: 90_000,
    });
    assert.equal(run.code, 0, describeRun(run));
    assert.doesNotMatch(run.stdout + run.stderr, /command not found|No such file or directory/, describeRun(run));
    // Codex shows each command it ran, that it succeeded and what it printed; the answer quotes the last output.
    for (let n = 1; n <= ROUNDS; n++) assert.match(run.stderr, new RegExp(`'echo synrouter-step-${n}' in .*\\n succeeded in \\d+ms:\\nsynrouter-step-${n}\\n`), describeRun(run));
    assert.match(run.stdout, new RegExp(`^Done after ${ROUNDS} tool calls\\. Last tool result: [^]*Process exited with code 0`), describeRun(run));
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => (server.exitCode === null ? server.once('exit', resolve) : resolve(undefined)));
    ws.remove();
  }
});
