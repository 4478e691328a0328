/**
 * The real OpenClaw agent (`openclaw`, pinned in e2e/agents; needs Node >= 24.16, which is the Node
 * running these tests) through a real Synrouter to the simulator, with its three provider APIs:
 *
 * - `openai-completions` (POST /api/v1/chat/completions) on DeepSeek: passed through to OpenRouter
 *   (played by the simulator), whose automatic prefix caching shows as cache reads.
 * - `anthropic-messages` (POST /api/anthropic/v1/messages; its baseUrl has no /v1) on Claude.
 * - `openai-responses` (POST /api/v1/responses) on Claude: translated to Anthropic Messages.
 *
 * OpenClaw sends no session id at all, and in chat and Anthropic modes it moves a small "internal
 * context" message to the end of every request. Each run must still be ONE session in the ledger
 * (Synrouter derives `drv_…` from the stable prefix and the first user message), every turn after
 * the first must read the cache, and OpenClaw's own usage report must equal the ledger.
 *
 * `openclaw agent exec` is the headless, gateway-less entry point. The runs are independent (own
 * Synrouter, simulator, HOME and project) and run one after another: each takes 20-30 s here, nearly
 * all of it OpenClaw's CPU-bound start-up, so running them side by side on two cores saves nothing.
 *
 * OpenClaw runs with its own tool set: the simulator asks for its shell tool, `exec`, although
 * OpenClaw lists `apply_patch` and `edit` before it.
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROUNDS, TASK, agentBin, assertLedger, assertToolOutputsFlowBack, describeRun, expectedFinal, makeWorkspace, runCli, settled, startAgentStack,
  sumTokens, type LedgerExpectation,
} from './harness.ts';
import type { ThinkingMode } from '../../src/simulator/thinking.ts';

const OPENCLAW = agentBin('openclaw');
const TIMEOUT_MS = 90_000;
const CONTEXT_MARK = '<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>';

/** Keeps OpenClaw from downloading helper tools or checking for updates. */
const OPENCLAW_QUIET_ENV = { OPENCLAW_OFFLINE: '1', OPENCLAW_NO_AUTO_UPDATE: '1', OPENCLAW_TELEMETRY: '0' };

interface OpenClawCase {
  kind: string;
  api: 'openai-completions' | 'anthropic-messages' | 'openai-responses';
  /** Path after Synrouter's URL: OpenClaw appends /chat/completions, /responses, or /v1/messages. */
  basePath: string;
  model: string;
  reasoning: boolean;
  expect: LedgerExpectation;
  /** Chat and Anthropic modes move the internal-context message to the end of every request. */
  movingTail: boolean;
  /** How the simulated Claude thinks (thinking.ts); the default thinks on every reply. */
  thinking?: ThinkingMode;
}

const RESPONSES_ON_CLAUDE: OpenClawCase = {
  kind: 'openai-responses on Claude (translated to Anthropic)',
  api: 'openai-responses', basePath: '/api/v1', model: 'anthropic/claude-sonnet-4.6', reasoning: true,
  expect: {
    clientProtocol: 'openai', endpoint: 'responses', clientPath: '/api/v1/responses', provider: 'anthropic', upstreamPath: '/v1/messages',
    requestedModel: 'anthropic/claude-sonnet-4.6', responseModel: 'claude-sonnet-4-6',
  },
  movingTail: false,
};

const CASES: OpenClawCase[] = [
  {
    kind: 'openai-completions on DeepSeek (same protocol to OpenRouter)',
    api: 'openai-completions', basePath: '/api/v1', model: 'deepseek/deepseek-v4-flash', reasoning: false,
    expect: {
      clientProtocol: 'openai', endpoint: 'chat', clientPath: '/api/v1/chat/completions', provider: 'openrouter', upstreamPath: '/v1/chat/completions',
      requestedModel: 'deepseek/deepseek-v4-flash', responseModel: 'deepseek/deepseek-v4-flash',
    },
    movingTail: true,
  },
  {
    kind: 'anthropic-messages on Claude',
    api: 'anthropic-messages', basePath: '/api/anthropic', model: 'claude-sonnet-4-6', reasoning: true,
    expect: {
      clientProtocol: 'anthropic', endpoint: 'messages', clientPath: '/api/anthropic/v1/messages', provider: 'anthropic', upstreamPath: '/v1/messages',
      requestedModel: 'claude-sonnet-4-6', responseModel: 'claude-sonnet-4-6',
    },
    movingTail: true,
  },
  RESPONSES_ON_CLAUDE,
  // Issue 23 item 2: adaptive thinking the model skips. Each answer comes with the reasoning item
  // saying it had no thinking, OpenClaw replays it, and thinking stays on (checked below).
  { ...RESPONSES_ON_CLAUDE, kind: 'openai-responses on Claude, the model answering without thinking', thinking: 'never' },
];

/** The config file a user writes (docs/clients.md), JSON5 accepts plain JSON. */
function openclawConfig(c: Pick<OpenClawCase, 'api' | 'model' | 'reasoning'>, baseUrl: string) {
  return {
    models: {
      mode: 'merge',
      providers: {
        synrouter: {
          baseUrl,
          apiKey: '${SYNROUTER_API_KEY}',
          api: c.api,
          models: [{ id: c.model, name: c.model, reasoning: c.reasoning, input: ['text'], contextWindow: 200000, maxTokens: 32000 }],
        },
      },
    },
    agents: { defaults: { model: { primary: `synrouter/${c.model}` } } },
  };
}

/** What `openclaw agent exec --json` prints (the fields the test reads). */
interface OpenClawResult {
  ok: boolean;
  final: string;
  usage: { input: number; output: number; cacheRead: number; cacheWrite: number };
  assistantTurns: number;
  toolSummary: { calls: number; tools: string[]; failures: number };
  sessionId: string;
}

/** The request's message list in chat or Anthropic form (not Responses). */
function messagesOf(body: any): Array<{ role: string; content: unknown }> {
  return Array.isArray(body?.messages) ? body.messages : [];
}

const sessions: string[] = [];

suite('OpenClaw through Synrouter, all three provider APIs', () => {
  for (const c of CASES) {
    test(`openclaw agent exec, ${c.kind}: tool loop completes, one derived session, cache reads from turn 2`, { timeout: TIMEOUT_MS + 30_000 }, async (t) => {
      const stack = await startAgentStack(c.thinking ? { thinking: c.thinking } : {});
      const ws = makeWorkspace('openclaw');
      try {
        const configPath = join(ws.root, 'openclaw.json5');
        writeFileSync(configPath, JSON.stringify(openclawConfig(c, `${stack.app.url}${c.basePath}`), null, 2));
        const run = await runCli({
          bin: OPENCLAW,
          args: ['agent', 'exec', '--config', configPath, '--model', `synrouter/${c.model}`, '--json', TASK],
          cwd: ws.project,
          env: { PATH: ws.path, HOME: ws.home, TMPDIR: `${ws.root}/tmp`, SYNROUTER_API_KEY: stack.key, ...OPENCLAW_QUIET_ENV },
          timeoutMs: TIMEOUT_MS,
        });
        assert.equal(run.code, 0, describeRun(run, stack));
        await settled(stack);
        let out: OpenClawResult;
        try {
          out = JSON.parse(run.stdout) as OpenClawResult;
        } catch {
          assert.fail(`openclaw printed its JSON result\n${describeRun(run)}`);
        }

        const check = await assertLedger(stack, c.expect, { turns: ROUNDS + 1 });

        // No session id from the client: Synrouter derived one, the same for every turn of the run.
        for (const call of check.calls) {
          for (const h of ['x-session-id', 'session-id', 'x-session-affinity', 'x-claude-code-session-id']) assert.equal(call.headers[h], undefined, `OpenClaw sends no ${h}`);
          assert.equal(call.body.prompt_cache_key, undefined, 'OpenClaw sends no prompt_cache_key');
          assert.equal(call.body.stream, true);
        }
        assert.match(check.sessionId, /^drv_[0-9a-f]{24}$/, 'a derived session id');
        assert.ok(!sessions.includes(check.sessionId), 'a new session per run');
        sessions.push(check.sessionId);

        // The moving tail: every request ends with the internal-context message, which appears only
        // there (the chat system prompt also names the marker), so request n+1 is not a pure append
        // of request n.
        if (c.movingTail) {
          for (const [i, call] of check.calls.entries()) {
            const msgs = messagesOf(call.body);
            assert.ok(JSON.stringify(msgs.at(-1)).includes(CONTEXT_MARK), `request ${i + 1} ends with the internal context`);
            const conversation = msgs.filter((m) => m.role !== 'system');
            assert.equal(conversation.filter((m) => JSON.stringify(m).includes(CONTEXT_MARK)).length, 1, `request ${i + 1} has it once`);
          }
        }

        // With reasoning on, Claude's thinking config is the same on every request, and no turn after the first misses.
        if (c.reasoning && c.expect.provider === 'anthropic') {
          const configs = check.sims.map((s) => JSON.stringify((s.body as { thinking?: unknown }).thinking));
          assert.deepEqual(configs, configs.map(() => configs[0]), 'one thinking config for the whole run');
          assert.notEqual(configs[0], JSON.stringify({ type: 'disabled' }));
          const misses = check.rows.slice(1).map((r) => r.miss_reason).filter((m) => m !== null && !(c.movingTail && m === 'prefix_edited'));
          assert.deepEqual(misses, [], 'no miss but the moving tail');
        }

        // OpenClaw ran `exec` three times; each output went back in the next request.
        assert.deepEqual({ calls: out.toolSummary.calls, tools: out.toolSummary.tools, failures: out.toolSummary.failures }, { calls: ROUNDS, tools: ['exec'], failures: 0 });
        const last = assertToolOutputsFlowBack(check.calls);

        // The task completed, and what OpenClaw counted equals the ledger.
        assert.equal(out.ok, true, describeRun(run));
        assert.equal(out.final.trim(), expectedFinal(last).trim());
        assert.equal(out.assistantTurns, ROUNDS + 1);
        const totals = sumTokens(check.rows);
        assert.deepEqual(
          // OpenClaw leaves a zero count out of its JSON (a fully cached run has input 0).
          { input: out.usage.input ?? 0, cacheRead: out.usage.cacheRead ?? 0, cacheWrite: out.usage.cacheWrite ?? 0, output: out.usage.output },
          { input: totals.input, cacheRead: totals.cacheRead, cacheWrite: totals.cacheWrite5m + totals.cacheWrite1h, output: totals.output },
          'the usage OpenClaw saw equals the ledger',
        );
        t.diagnostic(`openclaw ran ${run.ms} ms; session ${check.sessionId}; cache reads ${check.rows.map((r) => r.cache_read_tokens).join(', ')}`);
      } finally {
        ws.remove();
        await stack.close();
      }
    });
  }
});

/**
 * Issue 23 item 3: `openclaw agent --session-id X` run twice continues one conversation, and the
 * ledger must file it as one session. OpenClaw sends no session id, so Synrouter derives one from
 * the stable prefix and the first user message; the second run replays that message as a plain
 * string where the first sent it as a one-block list carrying a cache marker (the same message to
 * Anthropic), which used to give a second derived session. A run with another --session-id is
 * another conversation (OpenClaw's system prompt names the session) and stays a session of its own.
 */
test('openclaw agent run twice with the same --session-id (Anthropic provider) is one session; another --session-id is another', { timeout: 3 * TIMEOUT_MS + 30_000 }, async (t) => {
  const c = CASES.find((k) => k.api === 'anthropic-messages')!;
  const stack = await startAgentStack();
  const ws = makeWorkspace('openclaw');
  try {
    const configPath = join(ws.root, 'openclaw.json5');
    writeFileSync(configPath, JSON.stringify(openclawConfig(c, `${stack.app.url}${c.basePath}`), null, 2));
    const env = { PATH: ws.path, HOME: ws.home, TMPDIR: `${ws.root}/tmp`, SYNROUTER_API_KEY: stack.key, OPENCLAW_CONFIG_PATH: configPath, ...OPENCLAW_QUIET_ENV };
    const turn = async (sessionId: string, message: string) => {
      const before = stack.exchanges.length;
      const run = await runCli({ bin: OPENCLAW, args: ['agent', '--local', '--session-id', sessionId, '--model', `synrouter/${c.model}`, '--json', '-m', message], cwd: ws.project, env, timeoutMs: TIMEOUT_MS });
      assert.equal(run.code, 0, describeRun(run, stack));
      await settled(stack);
      assert.match(run.stdout, /Done after 3 tool calls\./, describeRun(run));
      return stack.exchanges.slice(before).filter((x) => x.method === 'POST');
    };
    const first = await turn('synrouter-e2e-1', TASK);
    const followUp = await turn('synrouter-e2e-1', 'Now count the lines of each file.');
    const other = await turn('synrouter-e2e-2', TASK);

    // The follow-up replays the first run's conversation: same system and tools, the first prompt as text.
    const [a, b] = [first[0]!.body, followUp[0]!.body];
    assert.deepEqual(b.system, a.system);
    assert.deepEqual(b.tools, a.tools);
    const text = (content: unknown) => (typeof content === 'string' ? content : (content as Array<{ text: string }>).map((p) => p.text).join(''));
    assert.equal(text(b.messages[0].content), text(a.messages[0].content));
    assert.ok(b.messages.length > a.messages.length, 'the follow-up carries the earlier turns');

    // The simulator counts the conversation's tool rounds: the follow-up answers at once (one request).
    assert.deepEqual([first.length, followUp.length, other.length], [ROUNDS + 1, 1, ROUNDS + 1]);
    const check = await assertLedger(stack, c.expect, { turns: 2 * (ROUNDS + 1) + 1, sessions: 2 });
    const ids = check.rows.map((r) => r.session_id);
    assert.deepEqual(ids, [...Array(ROUNDS + 2).fill(check.sessionIds[0]), ...Array(ROUNDS + 1).fill(check.sessionIds[1])], 'the follow-up in the first session, the other run in its own');
    for (const s of check.sessionIds) assert.match(s, /^drv_[0-9a-f]{24}$/);
    t.diagnostic(`sessions ${check.sessionIds.join(', ')}; cache reads ${check.rows.map((r) => r.cache_read_tokens).join(', ')}`);
  } finally {
    ws.remove();
    await stack.close();
  }
});
