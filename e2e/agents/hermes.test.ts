/**
 * The real Hermes Agent (Nous Research; `hermes-agent` from PyPI, pinned with hashes in
 * e2e/agents/hermes/requirements.txt and installed by this test into e2e/agents/.venv-hermes, made
 * once and reused while the lock file is unchanged) through a real Synrouter to the simulator.
 *
 * Hermes is pointed at Synrouter by its base URL and key only, as a `custom` provider in
 * ~/.hermes/config.yaml (docs/clients.md). It picks the protocol from the base URL: chat
 * completions on `…/api/v1`, the Anthropic Messages API on `…/api/anthropic` (a path ending in
 * /anthropic). Each conversation is a multi-step tool task (`hermes chat -Q -q …`: three rounds of
 * its `terminal` tool running the workspace's `sim` command) and a follow-up in the same
 * conversation (`hermes chat -Q --resume <its session id> -q …`, a new process that replays the
 * conversation from Hermes's own store). Hermes sends no session id of any kind: Synrouter must
 * file each conversation, follow-up included, as ONE derived session (`drv_…`), every turn after
 * the first must read the cache, and the tokens Hermes counted for its session (its state.db)
 * must equal the ledger's.
 *
 * - chat on Claude: translated to Anthropic, the cache engine places every breakpoint (Hermes
 *   marks nothing on a custom chat endpoint). Two conversations run at the same time.
 * - chat on DeepSeek: passed through to OpenRouter (the simulator's OpenAI routes, two tool calls
 *   per turn), whose automatic prefix cache hits with Synrouter's stable prompt_cache_key.
 * - Anthropic on Claude: Hermes marks the system prompt and the last three messages itself (4
 *   breakpoints, its "system_and_3"); it rewrites its first user message from a marked text block
 *   to a plain string on turn 3, which is what split a derived session in two before
 *   src/session/fingerprint.ts read both the same.
 *
 * Test-only settings (not needed to use Synrouter): `-t terminal_tools` offers Hermes's `terminal`
 * tool alone (the simulator calls the first tool it is offered, and Hermes sorts its tools by
 * name), and `security: { allow_lazy_installs: false, tirith_enabled: false }` keeps Hermes from
 * installing packages and downloading its command scanner at run time.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import {
  ROUNDS, TASK, assertLedger, assertToolOutputsFlowBack, describeRun, expectedFinal, makeWorkspace, runCli, settled, startAgentStack,
  sumTokens, type AgentStack, type Exchange, type LedgerCheck, type LedgerExpectation, type Workspace,
} from './harness.ts';
import { pythonVenv, type Venv } from './python-venv.ts';
import type { LedgerTurn } from '../support/stack.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const LOCK = here('./hermes/requirements.txt');
const VENV_DIR = here('./.venv-hermes');
const RUN_TIMEOUT_MS = 120_000;
const FOLLOW_UP = 'Now count the lines in each file.';
const SECOND_TASK = 'Check whether the add function in src/add.js works.';
/** Keeps Hermes from reaching out on a machine without internet (see the header). */
const TEST_ONLY = { security: { allow_lazy_installs: false, tirith_enabled: false } };

let installing: Promise<Venv> | undefined;
/** The venv, installed on first use; an install failure fails every test that needs it. */
const hermes = () => (installing ??= pythonVenv({ dir: VENV_DIR, lock: LOCK }));

interface HermesCase {
  kind: string;
  /** Path after Synrouter's URL. */
  basePath: '/api/v1' | '/api/anthropic';
  model: string;
  expect: LedgerExpectation;
  /** Tool calls per tool turn (the simulator's OpenAI routes only). */
  perRound: number;
  /** Conversations run at the same time, each task + follow-up. */
  conversations: string[];
}

const CASES: HermesCase[] = [
  {
    kind: 'chat completions on Claude (translated to Anthropic), two conversations at once',
    basePath: '/api/v1', model: 'anthropic/claude-sonnet-4.6', perRound: 1, conversations: [TASK, SECOND_TASK],
    expect: {
      clientProtocol: 'openai', endpoint: 'chat', clientPath: '/api/v1/chat/completions', provider: 'anthropic', upstreamPath: '/v1/messages',
      requestedModel: 'anthropic/claude-sonnet-4.6', responseModel: 'claude-sonnet-4-6',
    },
  },
  {
    kind: 'chat completions on DeepSeek (same protocol to OpenRouter)',
    basePath: '/api/v1', model: 'deepseek/deepseek-v4-flash', perRound: 1, conversations: [TASK],
    expect: {
      clientProtocol: 'openai', endpoint: 'chat', clientPath: '/api/v1/chat/completions', provider: 'openrouter', upstreamPath: '/v1/chat/completions',
      requestedModel: 'deepseek/deepseek-v4-flash', responseModel: 'deepseek/deepseek-v4-flash',
    },
  },
  {
    kind: 'Anthropic Messages on Claude, with Hermes\'s own four breakpoints',
    basePath: '/api/anthropic', model: 'claude-sonnet-4-6', perRound: 1, conversations: [TASK],
    expect: {
      clientProtocol: 'anthropic', endpoint: 'messages', clientPath: '/api/anthropic/v1/messages', provider: 'anthropic', upstreamPath: '/v1/messages',
      requestedModel: 'claude-sonnet-4-6', responseModel: 'claude-sonnet-4-6',
    },
  },
];

/** ~/.hermes/config.yaml as a user writes it (docs/clients.md), plus the test-only lines. JSON is YAML. */
function hermesConfig(baseUrl: string, model: string, key: string) {
  return { model: { provider: 'custom', base_url: baseUrl, default: model, api_key: key }, ...TEST_ONLY };
}

const MODEL_CALL = /\/(chat\/completions|messages)$/;
const isModelCall = (x: Exchange) => x.method === 'POST' && MODEL_CALL.test(x.path);

/** One Hermes conversation in a workspace of its own: the task, then the follow-up in the same session. */
async function converse(stack: AgentStack, venv: Venv, c: HermesCase, ws: Workspace, prompt: string) {
  mkdirSync(join(ws.home, '.hermes'), { recursive: true });
  writeFileSync(join(ws.home, '.hermes', 'config.yaml'), JSON.stringify(hermesConfig(`${stack.app.url}${c.basePath}`, c.model, stack.key), null, 2));
  const env = { PATH: ws.path, HOME: ws.home, TMPDIR: join(ws.root, 'tmp') };
  const hermesRun = (args: string[]) => runCli({ bin: venv.bin('hermes'), args: ['chat', '-Q', '-t', 'terminal_tools', ...args], cwd: ws.project, env, timeoutMs: RUN_TIMEOUT_MS });
  const first = await hermesRun(['-q', prompt]);
  assert.equal(first.code, 0, describeRun(first, stack));
  // -Q prints the final answer on stdout and `session_id: …` on stderr.
  const hermesSession = /session_id: (\S+)/.exec(first.stderr)?.[1];
  assert.ok(hermesSession, `Hermes printed its session id\n${describeRun(first)}`);
  const second = await hermesRun(['--resume', hermesSession, '-q', FOLLOW_UP]);
  assert.equal(second.code, 0, describeRun(second, stack));
  assert.match(second.stderr, new RegExp(`Resumed session ${hermesSession}`), describeRun(second));
  return { prompt, ws, hermesSession, first, second };
}

/** What Hermes counted for its session (state.db, table sessions). */
function hermesUsage(ws: Workspace, session: string) {
  const db = new DatabaseSync(join(ws.home, '.hermes', 'state.db'), { readOnly: true });
  try {
    const row = db.prepare('SELECT api_call_count AS calls, input_tokens AS input, cache_read_tokens AS cacheRead, cache_write_tokens AS cacheWrite, output_tokens AS output FROM sessions WHERE id = ?').get(session);
    return row && { ...row };
  } finally {
    db.close();
  }
}

const hitRate = (rows: LedgerTurn[]) => {
  const t = sumTokens(rows);
  return t.cacheRead / (t.input + t.cacheRead + t.cacheWrite5m + t.cacheWrite1h);
};

suite('Hermes Agent through Synrouter: a tool task and a follow-up, one session each', () => {
  for (const c of CASES) {
    test(`hermes chat, ${c.kind}`, { timeout: 4 * RUN_TIMEOUT_MS + 600_000 }, async (t) => {
      const first = installing === undefined;
      const venv = await hermes();
      if (first) t.diagnostic(venv.installed ? `installed ${LOCK} into ${venv.dir} in ${venv.ms} ms` : `reused ${venv.dir} (${LOCK} unchanged)`);
      const stack = await startAgentStack({ parallelToolCalls: c.perRound });
      const workspaces = c.conversations.map(() => makeWorkspace('hermes'));
      const started = performance.now();
      try {
        const runs = await Promise.all(c.conversations.map((prompt, i) => converse(stack, venv, c, workspaces[i]!, prompt)));
        const ms = Math.round(performance.now() - started);
        await settled(stack);

        // Before its first model call Hermes probes the endpoint for its context length (Ollama's
        // /api/tags and /api/show, llama.cpp's /props, /version, /models with and without the key,
        // /models/<id>): those are GETs (and Ollama's POST /api/show) that get 401/404. Nothing else fails.
        const other = stack.exchanges.filter((x) => !isModelCall(x));
        for (const x of other) assert.ok(x.method === 'GET' || x.path.endsWith('/api/show'), `only probes besides model calls: ${x.method} ${x.url}`);
        assert.ok(other.some((x) => x.path.endsWith('/models') && x.status === 200), 'Hermes read the model list');
        const turns = c.conversations.length * (ROUNDS + 2);
        const check: LedgerCheck = await assertLedger({ ...stack, exchanges: stack.exchanges.filter(isModelCall) }, c.expect, { turns, sessions: c.conversations.length });

        // No session id from Hermes: one derived session per conversation, follow-up included.
        for (const call of check.calls) {
          for (const h of ['x-session-id', 'session-id', 'x-session-affinity', 'x-claude-code-session-id']) assert.equal(call.headers[h], undefined, `Hermes sends no ${h}`);
          assert.equal(call.body.prompt_cache_key, undefined, 'Hermes sends no prompt_cache_key');
          assert.equal(call.body.stream, true, 'Hermes streams');
        }
        const report: string[] = [];
        for (const run of runs) {
          const firstUser = (x: Exchange) => {
            const m = (x.body.messages as Array<{ role: string; content: unknown }>).find((m) => m.role === 'user')!;
            return typeof m.content === 'string' ? m.content : (m.content as Array<{ text?: string }>).map((b) => b.text ?? '').join('');
          };
          const mine = check.calls.map((x, i) => ({ x, row: check.rows[i]! })).filter(({ x }) => firstUser(x) === run.prompt);
          assert.equal(mine.length, ROUNDS + 2, `${run.prompt}: ${ROUNDS + 1} requests for the task, 1 for the follow-up`);
          const rows = mine.map((m) => m.row);
          const session = rows[0]!.session_id!;
          assert.match(session, /^drv_[0-9a-f]{24}$/, 'a derived session id');
          assert.deepEqual(rows.map((r) => r.session_id), rows.map(() => session), `${run.prompt}: every turn, the follow-up too, is filed under ${session}`);

          // The task: Hermes ran `terminal` three rounds; each output went back in the next request.
          const calls = mine.map((m) => m.x);
          const last = assertToolOutputsFlowBack(calls, ROUNDS, c.perRound);
          assert.match(last, /"exit_code": ?0/, 'the last command succeeded');
          assert.ok(run.first.stdout.includes(expectedFinal(last).trim()), `the task's answer quotes the last tool result\n${describeRun(run.first)}`);
          // The follow-up: the whole conversation again, the new question last (the simulator has
          // used up its tool rounds, so it answers at once).
          const followUp = calls.at(-1)!.body.messages as Array<{ role: string; content: unknown }>;
          assert.ok(JSON.stringify(followUp.at(-1)).includes(FOLLOW_UP), 'the follow-up asks the new question');
          assert.ok(JSON.stringify(followUp).includes(JSON.stringify(last).slice(1, -1)), 'the follow-up carries the task\'s tool results');
          assert.ok(run.second.stdout.includes('Done after 3 tool calls.'), describeRun(run.second));

          // Every turn after the first reads the cache; on Claude (the cache engine, or Hermes's own
          // markers) it reads everything the turn before it sent.
          rows.slice(1).forEach((r, i) => {
            const before = rows[i]!;
            if (c.expect.provider === 'anthropic') {
              assert.equal(r.cache_read_tokens, before.input_tokens + before.cache_read_tokens + before.cache_write_5m_tokens + before.cache_write_1h_tokens, `turn ${i + 2} reads all of turn ${i + 1}'s prompt`);
            } else assert.ok(r.cache_read_tokens > 0, `turn ${i + 2} reads the cache`);
          });

          // What Hermes counted for its session equals the ledger.
          const totals = sumTokens(rows);
          assert.deepEqual(
            hermesUsage(run.ws, run.hermesSession),
            { calls: ROUNDS + 2, input: totals.input, cacheRead: totals.cacheRead, cacheWrite: totals.cacheWrite5m + totals.cacheWrite1h, output: totals.output },
            'the tokens Hermes counted equal the ledger',
          );
          report.push(`${session}: hit rate ${(100 * hitRate(rows)).toFixed(1)}% over ${rows.length} turns (cache reads ${rows.map((r) => r.cache_read_tokens).join(', ')})`);
        }
        if (c.expect.provider === 'anthropic') {
          // Who placed the breakpoints: the cache engine on chat (Hermes marks nothing there), Hermes itself on Anthropic.
          const marks = check.calls.map((x) => (JSON.stringify(x.body).match(/"cache_control"/g) ?? []).length);
          if (c.basePath === '/api/v1') assert.ok(marks.every((n) => n === 0), `Hermes marks nothing on chat: ${marks}`);
          else assert.ok(marks.slice(1).every((n) => n === 4), `Hermes sends its four breakpoints from turn 2: ${marks}`);
          for (const s of check.sims) assert.ok((JSON.stringify(s.body).match(/"cache_control"/g) ?? []).length <= 4, 'never more than 4 breakpoints upstream');
        }
        t.diagnostic(`hermes ${c.conversations.length} conversation(s) in ${ms} ms; ${report.join('; ')}`);
      } finally {
        for (const ws of workspaces) ws.remove();
        await stack.close();
      }
    });
  }
});
