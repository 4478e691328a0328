/**
 * The real Kilo Code CLI (`@kilocode/cli`, pinned in e2e/agents) through a real Synrouter to the
 * simulator, with each of its three provider kinds:
 *
 * - OpenAI-compatible chat (`@ai-sdk/openai-compatible`, POST /api/v1/chat/completions) on a Claude
 *   model: Synrouter translates chat to Anthropic Messages and the cache engine applies.
 * - Anthropic (the built-in `anthropic` provider, POST /api/anthropic/v1/messages) on a Claude model.
 * - Responses (`@ai-sdk/openai`, POST /api/v1/responses) on an OpenAI model: passed through to
 *   OpenRouter (played by the simulator), whose automatic prefix caching shows as cache reads.
 *
 * Each run: `kilo run --auto` completes a three-round tool loop with its `bash` tool, the ledger has
 * one row per upstream request under Kilo's own session id (`ses_…`, its x-session-id header), the
 * token columns equal the upstream's usage and every later turn reads the cache. The three runs are
 * independent (own Synrouter, simulator, HOME and project) and run one after another: Kilo takes
 * 15-30 s per run here, mostly its own start-up, and is CPU-bound, so running them side by side on
 * two cores saves nothing.
 *
 * Kilo runs with its own tool set: the simulator asks for its shell tool, `bash`, although Kilo
 * lists `background_process` first (it lists its tools alphabetically).
 */
import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ROUNDS, TASK, assertLedger, assertToolOutputsFlowBack, describeRun, expectedFinal, makeWorkspace, runCli, settled, startAgentStack,
  type LedgerExpectation,
} from './harness.ts';

/**
 * The Kilo CLI binary itself. package.json takes it from `@kilocode/cli-linux-x64` (optional: linux
 * x64 only), not through the `@kilocode/cli` launcher: the launcher lists eleven other platform
 * packages that the registry this project installs from does not have, so its lockfile cannot pass
 * `npm ci`. The launcher only finds this binary and points KILO_TREE_SITTER_WASM_DIR next to it.
 */
const KILO_PACKAGE = fileURLToPath(new URL('./node_modules/@kilocode/cli-linux-x64/bin/', import.meta.url));
const KILO = join(KILO_PACKAGE, 'kilo');
const KILO_SUPPORTED = process.platform === 'linux' && process.arch === 'x64';
const TIMEOUT_MS = 90_000;

/** Environment that keeps Kilo headless and quiet: no model catalogue fetch, update check, telemetry, indexing. */
const KILO_QUIET_ENV = {
  KILO_DISABLE_MODELS_FETCH: '1',
  KILO_DISABLE_AUTOUPDATE: '1',
  KILO_DISABLE_SHARE: '1',
  KILO_TELEMETRY_LEVEL: 'off',
  KILO_DISABLE_SESSION_INGEST: '1',
  KILO_DISABLE_PRESENCE: '1',
  KILO_DISABLE_CODEBASE_INDEXING: '1',
  KILO_DISABLE_LSP_DOWNLOAD: '1',
  KILO_DISABLE_CLAUDE_CODE: '1',
  KILO_DISABLE_EXTERNAL_SKILLS: '1',
  KILO_DISABLE_DEFAULT_PLUGINS: '1',
  KILO_EXPERIMENTAL_DISABLE_FILEWATCHER: '1',
};

interface KiloCase {
  kind: string;
  /** KILO_CONFIG_CONTENT, given Synrouter's URL (no path). */
  config: (url: string) => object;
  /** -m provider/model */
  model: string;
  expect: LedgerExpectation;
  /** Where Kilo's session id travels besides the x-session-id header. */
  promptCacheKey: boolean;
}

const apiKey = '{env:SYNROUTER_API_KEY}';
const CASES: KiloCase[] = [
  {
    kind: 'OpenAI-compatible chat provider on a Claude model (translated to Anthropic)',
    config: (url) => ({
      provider: {
        synrouter: {
          npm: '@ai-sdk/openai-compatible',
          name: 'Synrouter',
          options: { baseURL: `${url}/api/v1`, apiKey },
          models: { 'anthropic/claude-sonnet-4.6': { name: 'Claude Sonnet 4.6', tool_call: true } },
        },
      },
    }),
    model: 'synrouter/anthropic/claude-sonnet-4.6',
    expect: {
      clientProtocol: 'openai', endpoint: 'chat', clientPath: '/api/v1/chat/completions', provider: 'anthropic', upstreamPath: '/v1/messages',
      requestedModel: 'anthropic/claude-sonnet-4.6', responseModel: 'claude-sonnet-4-6',
    },
    promptCacheKey: false,
  },
  {
    kind: 'Anthropic provider on a Claude model',
    config: (url) => ({ provider: { anthropic: { options: { baseURL: `${url}/api/anthropic/v1`, apiKey } } } }),
    model: 'anthropic/claude-sonnet-4-6',
    expect: {
      clientProtocol: 'anthropic', endpoint: 'messages', clientPath: '/api/anthropic/v1/messages', provider: 'anthropic', upstreamPath: '/v1/messages',
      requestedModel: 'claude-sonnet-4-6', responseModel: 'claude-sonnet-4-6',
    },
    promptCacheKey: false,
  },
  {
    kind: 'Responses provider on an OpenAI model (same protocol to OpenRouter)',
    config: (url) => ({
      provider: {
        'synrouter-responses': {
          npm: '@ai-sdk/openai',
          name: 'Synrouter (Responses)',
          options: { baseURL: `${url}/api/v1`, apiKey },
          models: { 'openai/gpt-5.5': { name: 'GPT-5.5', tool_call: true } },
        },
      },
    }),
    model: 'synrouter-responses/openai/gpt-5.5',
    expect: {
      clientProtocol: 'openai', endpoint: 'responses', clientPath: '/api/v1/responses', provider: 'openrouter', upstreamPath: '/v1/responses',
      requestedModel: 'openai/gpt-5.5', responseModel: 'openai/gpt-5.5',
    },
    promptCacheKey: true,
  },
];

/** `kilo run --format json` prints one JSON event per line. */
interface KiloEvent {
  type: string;
  sessionID: string;
  part: { type: string; text?: string; tool?: string; callID?: string; state?: { status: string; input?: Record<string, unknown>; output?: string } };
}

function parseEvents(stdout: string): KiloEvent[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as KiloEvent);
}

const sessions: string[] = [];

/** Kilo's title generator: a request without tools (the loop's requests always carry Kilo's tools). */
function isTitleCall(body: any): boolean {
  return !Array.isArray(body?.tools) || body.tools.length === 0;
}

suite('Kilo Code CLI through Synrouter, all three provider kinds', { skip: KILO_SUPPORTED ? false : 'the pinned Kilo binary is linux-x64 only' }, () => {
  for (const c of CASES) {
    test(`kilo run, ${c.kind}: tool loop completes, one session, cache reads from turn 2`, { timeout: TIMEOUT_MS + 30_000 }, async (t) => {
      assert.ok(existsSync(KILO), `${KILO} is missing: run npm ci --prefix e2e/agents`);
      const stack = await startAgentStack();
      const ws = makeWorkspace('kilo');
      try {
        const config = {
          $schema: 'https://app.kilo.ai/config.json',
          // No git snapshots of the project, no update check, no sharing: only the model traffic.
          snapshot: false,
          autoupdate: false,
          share: 'disabled',
          ...c.config(stack.app.url),
        };
        const run = await runCli({
          bin: KILO,
          args: ['run', '--format', 'json', '--pure', '--auto', '-m', c.model, TASK],
          cwd: ws.project,
          env: {
            PATH: ws.path, HOME: ws.home, TMPDIR: `${ws.root}/tmp`, KILO_TREE_SITTER_WASM_DIR: join(KILO_PACKAGE, 'tree-sitter'),
            KILO_CONFIG_CONTENT: JSON.stringify(config), SYNROUTER_API_KEY: stack.key, ...KILO_QUIET_ENV,
          },
          timeoutMs: TIMEOUT_MS,
        });
        assert.equal(run.code, 0, describeRun(run, stack));
        await settled(stack);
        const events = parseEvents(run.stdout);

        // Kilo may also ask for a session title (no tools, its own session `title-ses_…`).
        const check = await assertLedger(stack, c.expect, { turns: ROUNDS + 1, sideCall: isTitleCall });

        // Kilo's own session id (in its events) is the ledger's session and travels on every request.
        const kiloSessions = [...new Set(events.map((e) => e.sessionID))];
        assert.equal(kiloSessions.length, 1, `one Kilo session: ${kiloSessions.join(', ')}`);
        const sessionId = kiloSessions[0]!;
        assert.match(sessionId, /^ses_/);
        assert.equal(check.sessionId, sessionId, "the ledger's session is Kilo's session id");
        for (const call of check.calls) {
          assert.equal(call.headers['x-session-id'], sessionId);
          assert.equal(call.body.stream, true);
          if (c.promptCacheKey) assert.equal(call.body.prompt_cache_key, sessionId);
        }
        assert.ok(!sessions.includes(sessionId), 'a new session per run');
        sessions.push(sessionId);
        for (const row of check.side.rows) assert.equal(row.session_id, `title-${sessionId}`, "the title call is filed under Kilo's title session");

        // Kilo ran its bash tool three times and each output went back in the next request.
        const tools = events.filter((e) => e.type === 'tool_use').map((e) => e.part);
        assert.deepEqual(tools.map((part) => [part.tool, part.state?.status]), Array.from({ length: ROUNDS }, () => ['bash', 'completed']), 'three bash calls, all completed');
        tools.forEach((part, i) => assert.match(part.state?.output ?? '', new RegExp(`^synrouter-step-${i + 1}$`, 'm'), `bash printed synrouter-step-${i + 1}`));
        const last = assertToolOutputsFlowBack(check.calls);

        // The task completed: the last text Kilo printed is the model's final answer.
        const texts = events.filter((e) => e.type === 'text').map((e) => e.part.text ?? '');
        assert.equal(texts.at(-1)?.trim(), expectedFinal(last).trim(), describeRun(run));
        t.diagnostic(`kilo ran ${run.ms} ms; session ${sessionId}; ${check.rows.length} turns, ${check.side.rows.length} title call(s); cache reads ${check.rows.map((r) => r.cache_read_tokens).join(', ')}`);
      } finally {
        ws.remove();
        await stack.close();
      }
    });
  }
});
