/**
 * What the real-agent end-to-end tests for Codex, Kilo Code, OpenClaw, Hermes Agent and the
 * Hermes-style SDK loop share (claude-code.test.ts keeps its own claude-cli.ts):
 *
 * - `startAgentStack()`: a Synrouter + simulator of its own for one run (Anthropic upstream and
 *   OpenRouter both played by the simulator), which also records every exchange Synrouter had with
 *   the client: the request body the client sent and, for errors, what Synrouter answered.
 * - `makeWorkspace()`: a throwaway HOME and project per run.
 * - `runCli()`: a CLI run with stdin closed and its whole process group killed on timeout.
 * - `assertLedger()`: the checks every client shares: one ledger row per upstream request, status
 *   200, token columns equal to the usage the simulator reported, one session, cache reads on every
 *   later turn, the provider key (never the client key) upstream, and no errors logged by Synrouter.
 *
 * The simulator asks each client's shell tool for a real command (`echo synrouter-step-N`; Codex's
 * `exec_command`, Claude Code's `Bash`, Kilo's `bash`, OpenClaw's `exec`, Hermes's `terminal`:
 * src/simulator/tool-calls.ts), the command the built-in simulator of `npm start` asks for too, so
 * the client really executes it and its output can be followed back into the next request.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import assert from 'node:assert/strict';
import { eventually, startStack, type LedgerTurn, type Stack } from '../support/stack.ts';
import type { SimulatorRequestLog, SimulatorOptions } from '../../src/simulator/simulator.ts';

/** Tool rounds the simulator asks for before its final answer. */
export const ROUNDS = 3;
export const TASK = 'Look at the files in this project and tell me what it does.';
/** The keys the simulator gets from Synrouter for each upstream. */
export const ANTHROPIC_UPSTREAM_KEY = 'sim-key';
export const OPENROUTER_UPSTREAM_KEY = 'sim-or';

/** A CLI installed by e2e/agents/package.json. */
export function agentBin(name: string): string {
  return fileURLToPath(new URL(`./node_modules/.bin/${name}`, import.meta.url));
}

// ---------------------------------------------------------------------------------------------
// Synrouter's own error log: it runs in this process, anything it logs as an error fails the run.

const synrouterErrors: string[] = [];
const consoleError = console.error;
console.error = (...args: unknown[]) => {
  synrouterErrors.push(format(...args));
  consoleError(...args);
};

// ---------------------------------------------------------------------------------------------
// Stack + exchange recorder

/** One request Synrouter answered, as the client sent it. */
export interface Exchange {
  method: string;
  url: string;
  /** Path without the query string. */
  path: string;
  status: number;
  headers: IncomingMessage['headers'];
  /** The request body, parsed as JSON when it is JSON. */
  body: any;
  /** What Synrouter answered, the first 16 KB (for evidence when something fails). */
  response: string;
  /** Synrouter's request id (its synrouter-request-id response header), the ledger row's request_id. */
  requestId: string | undefined;
}

export interface AgentStack extends Stack {
  /** Every request Synrouter answered, in the order they finished. */
  exchanges: Exchange[];
  /** Synrouter's error log lines since this stack started. */
  errors(): string[];
}

export async function startAgentStack(simulator: SimulatorOptions = {}): Promise<AgentStack> {
  const stack = await startStack({
    simulator: { rounds: ROUNDS, ...simulator },
    env: { SYNROUTER_OPENROUTER_API_KEY: OPENROUTER_UPSTREAM_KEY },
    openrouterToSimulator: true,
  });
  const errorsAtStart = synrouterErrors.length;
  const exchanges = recordExchanges(stack.app.server);
  return { ...stack, exchanges, errors: () => synrouterErrors.slice(errorsAtStart) };
}

const RESPONSE_KEEP = 16 * 1024;

function recordExchanges(server: Stack['app']['server']): Exchange[] {
  const seen: Exchange[] = [];
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // 'request' fires when the headers are parsed, before the parser pushes any body bytes, so
    // wrapping push() sees the whole body without consuming it (Synrouter still reads it itself).
    const body: Buffer[] = [];
    const push = req.push;
    req.push = function (this: IncomingMessage, chunk: any, encoding?: BufferEncoding) {
      if (chunk !== null && chunk !== undefined) body.push(Buffer.from(chunk));
      return push.call(this, chunk, encoding);
    };
    const answer: Buffer[] = [];
    let kept = 0;
    const keep = (chunk: unknown) => {
      if (kept >= RESPONSE_KEEP || chunk === null || chunk === undefined || typeof chunk === 'function') return;
      const b = Buffer.from(chunk as string);
      answer.push(b);
      kept += b.length;
    };
    // Synrouter passes its headers to writeHead(), where getHeader() cannot see them afterwards.
    let requestId: string | undefined;
    const writeHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, ...args: any[]) {
      const headers = args.find((a, i) => i > 0 && typeof a === 'object' && a !== null);
      const id = Array.isArray(headers)
        ? headers.find((h: unknown) => Array.isArray(h) && String(h[0]).toLowerCase() === 'synrouter-request-id')?.[1]
        : Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === 'synrouter-request-id')?.[1];
      requestId = id === undefined ? undefined : String(id);
      return (writeHead as (...a: any[]) => ServerResponse).apply(this, args);
    } as typeof res.writeHead;
    const write = res.write;
    const end = res.end;
    res.write = function (this: ServerResponse, chunk: any, ...rest: any[]) {
      keep(chunk);
      return (write as (...a: any[]) => boolean).call(this, chunk, ...rest);
    } as typeof res.write;
    res.end = function (this: ServerResponse, chunk?: any, ...rest: any[]) {
      keep(chunk);
      return (end as (...a: any[]) => ServerResponse).call(this, chunk, ...rest);
    } as typeof res.end;
    res.once('close', () => {
      const text = Buffer.concat(body).toString('utf8');
      let parsed: unknown = text === '' ? undefined : text;
      try {
        if (text !== '') parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        path: (req.url ?? '').split('?')[0]!,
        status: res.statusCode,
        headers: req.headers,
        body: parsed,
        response: Buffer.concat(answer).toString('utf8').slice(0, RESPONSE_KEEP),
        requestId: requestId ?? (res.getHeader('synrouter-request-id') as string | undefined),
      });
    });
  });
  return seen;
}

/** For assertion messages: what Synrouter answered with an error status. */
export function describeErrors(exchanges: Exchange[]): string {
  return exchanges
    .filter((x) => x.status >= 400)
    .map((x) => `${x.method} ${x.url} -> ${x.status}: ${x.response.slice(0, 2000)}`)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Workspace

export interface Workspace {
  root: string;
  /** Fresh HOME (no config from the machine). */
  home: string;
  /** The project the agent works in: README.md and src/add.js. */
  project: string;
  /** PATH with this Node (>= 24.16, which OpenClaw needs) and the test's PATH. */
  path: string;
  remove(): void;
}

export function makeWorkspace(label: string): Workspace {
  const root = mkdtempSync(join(tmpdir(), `synrouter-${label}-`));
  const home = join(root, 'home');
  const project = join(root, 'project');
  for (const d of [home, project, join(project, 'src'), join(root, 'tmp')]) mkdirSync(d, { recursive: true });
  writeFileSync(join(project, 'README.md'), '# demo\n\nA tiny project for the Synrouter end-to-end test.\n');
  writeFileSync(join(project, 'src', 'add.js'), 'export const add = (a, b) => a + b;\n');
  const path = [dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(delimiter);
  return { root, home, project, path, remove: () => rmSync(root, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------------------------------------
// CLI runner

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs `bin args` in `cwd` with exactly `env` (nothing inherited), stdin closed (Codex and Claude
 * Code wait for stdin otherwise), in its own process group: killed with the whole group after
 * timeoutMs, and any process it left behind is killed when it exits.
 */
export async function runCli(opts: { bin: string; args: string[]; cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<CliRun> {
  const started = performance.now();
  const child = spawn(opts.bin, opts.args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  };
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const timer = setTimeout(() => {
    stderr += `\n[test] killed after ${opts.timeoutMs} ms`;
    killGroup();
  }, opts.timeoutMs);
  child.once('exit', killGroup); // helpers it left behind would hold stdout open
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  }).finally(() => clearTimeout(timer));
  return { code, signal, stdout, stderr, ms: Math.round(performance.now() - started) };
}

/** Waits until every upstream request has ended and Synrouter has seen every client connection close. */
export async function settled(stack: AgentStack): Promise<void> {
  await eventually(
    () => stack.sim.requests.every((s) => s.status !== 0) && stack.exchanges.length >= stack.sim.requests.length,
    'the last exchanges to finish',
    5000,
  );
}

export function describeRun(run: CliRun, stack?: AgentStack): string {
  const errors = stack ? describeErrors(stack.exchanges) : '';
  return [
    `exit ${run.code}${run.signal ? ` (${run.signal})` : ''} after ${run.ms} ms`,
    `stdout: ${run.stdout.slice(-4000)}`,
    `stderr: ${run.stderr.slice(-4000)}`,
    errors ? `Synrouter answered with errors:\n${errors}` : '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// What the client sent

const MODEL_PATHS = ['/v1/messages', '/v1/chat/completions', '/v1/responses'];

/** Text of a tool output in any of the three protocols: a string, or its text parts joined. */
function outputText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return '';
  return value
    .filter((p): p is { text: string } => typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string')
    .map((p) => p.text)
    .join('\n');
}

/**
 * The tool outputs in a request body, oldest first: chat `role:"tool"` messages, Responses
 * `function_call_output` / `custom_tool_call_output` items, Anthropic `tool_result` blocks.
 */
export function toolOutputs(body: any): string[] {
  const out: string[] = [];
  if (Array.isArray(body?.input)) {
    for (const item of body.input) {
      if (item?.type === 'function_call_output' || item?.type === 'custom_tool_call_output') out.push(outputText(item.output));
    }
  }
  if (Array.isArray(body?.messages)) {
    for (const m of body.messages) {
      if (m?.role === 'tool') out.push(outputText(m.content));
      if (m?.role === 'user' && Array.isArray(m.content)) {
        for (const b of m.content) if (b?.type === 'tool_result') out.push(outputText(b.content));
      }
    }
  }
  return out;
}

/** The simulator's final answer for a conversation whose last tool output is `last`. */
export function expectedFinal(last: string, rounds = ROUNDS): string {
  return `Done after ${rounds} tool calls. Last tool result: ${Array.from(last).slice(0, 100).join('')}`;
}

// ---------------------------------------------------------------------------------------------
// The ledger

export interface TokenColumns { input: number; cacheRead: number; cacheWrite5m: number; cacheWrite1h: number; output: number }

export function ledgerTokens(row: LedgerTurn): TokenColumns {
  return { input: row.input_tokens, cacheRead: row.cache_read_tokens, cacheWrite5m: row.cache_write_5m_tokens, cacheWrite1h: row.cache_write_1h_tokens, output: row.output_tokens };
}

/**
 * The usage the simulator reported for one upstream request, in the ledger's terms: OpenAI counts
 * cached tokens inside prompt_tokens / input_tokens, the ledger (like Anthropic) does not.
 */
export function upstreamTokens(sim: SimulatorRequestLog): TokenColumns {
  const u = sim.usage as any;
  assert.ok(u, `the simulator recorded usage for ${sim.method} ${sim.path}`);
  if (sim.path === '/v1/messages') {
    return { input: u.input_tokens, cacheRead: u.cache_read_input_tokens, cacheWrite5m: u.cache_creation?.ephemeral_5m_input_tokens ?? 0, cacheWrite1h: u.cache_creation?.ephemeral_1h_input_tokens ?? 0, output: u.output_tokens };
  }
  if (sim.path === '/v1/chat/completions') {
    const cached = u.prompt_tokens_details?.cached_tokens ?? 0;
    return { input: u.prompt_tokens - cached, cacheRead: cached, cacheWrite5m: u.prompt_tokens_details?.cache_write_tokens ?? 0, cacheWrite1h: 0, output: u.completion_tokens };
  }
  const cached = u.input_tokens_details?.cached_tokens ?? 0;
  return { input: u.input_tokens - cached, cacheRead: cached, cacheWrite5m: 0, cacheWrite1h: 0, output: u.output_tokens };
}

export function sumTokens(rows: LedgerTurn[]): TokenColumns {
  const t: TokenColumns = { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0 };
  for (const r of rows) {
    const c = ledgerTokens(r);
    for (const k of Object.keys(t) as (keyof TokenColumns)[]) t[k] += c[k];
  }
  return t;
}

export interface LedgerExpectation {
  /** Client side: 'anthropic' (/messages) or 'openai' (chat, responses). */
  clientProtocol: 'anthropic' | 'openai';
  endpoint: 'messages' | 'chat' | 'responses';
  /** Path the client calls on Synrouter, e.g. /api/v1/responses. */
  clientPath: string;
  /** 'anthropic' (the Anthropic simulator) or 'openrouter' (the simulator's OpenAI routes). */
  provider: 'anthropic' | 'openrouter';
  /** Path the upstream request takes on the simulator. */
  upstreamPath: '/v1/messages' | '/v1/chat/completions' | '/v1/responses';
  requestedModel: string;
  responseModel: string;
}

export interface LedgerCheck {
  /** The (first) conversation's session. */
  sessionId: string;
  /** Every conversation's session, in order of first appearance. */
  sessionIds: string[];
  /** The main loop's rows, upstream requests and client requests, in order and index-aligned. */
  rows: LedgerTurn[];
  sims: SimulatorRequestLog[];
  calls: Exchange[];
  /** Side calls (e.g. Kilo's title generator), each recorded as a row of its own. */
  side: { rows: LedgerTurn[]; sims: SimulatorRequestLog[]; calls: Exchange[] };
}

export interface LedgerOptions {
  /** Model requests of the main loop(s): 1 + tool rounds per conversation. */
  turns: number;
  streamed?: boolean;
  /** A request that is not part of the agent's loop (given the client's or the upstream's body). */
  sideCall?: (body: any) => boolean;
  /** Conversations in the run (default 1): the rows form this many sessions. */
  sessions?: number;
}

/**
 * A completed run on its own stack: every model request the client made was answered 200, went
 * upstream exactly once and is exactly one ledger row (linked by Synrouter's request id), with the
 * expected protocol, endpoint, provider and models, status 200, streamed, and token columns equal to
 * the upstream's usage; the main loop is one session whose turns after the first all read the cache;
 * the upstream got the provider key and never the client's; Synrouter logged no error.
 */
export async function assertLedger(stack: AgentStack, expect: LedgerExpectation, opts: LedgerOptions): Promise<LedgerCheck> {
  const errors = describeErrors(stack.exchanges);
  assert.equal(errors, '', 'Synrouter answered every request with a success status');
  assert.deepEqual(stack.errors(), [], 'Synrouter logged no errors');
  const isSide = opts.sideCall ?? (() => false);

  const all = stack.exchanges.filter((x) => x.method === 'POST' && MODEL_PATHS.some((p) => x.path.endsWith(p)));
  assert.deepEqual([...new Set(all.map((c) => c.path))], [expect.clientPath], `the client called ${expect.clientPath}`);
  const calls = all.filter((c) => !isSide(c.body));
  const sideCalls = all.filter((c) => isSide(c.body));
  assert.equal(calls.length, opts.turns, `${opts.turns} model requests reached Synrouter`);

  const allSims = stack.sim.requests;
  assert.deepEqual(
    allSims.map((s) => `${s.method} ${s.path} ${s.status}`),
    all.map(() => `POST ${expect.upstreamPath} 200`),
    'each model request went upstream exactly once, and nothing else did',
  );
  const sims = allSims.filter((s) => !isSide(s.body));
  const sideSims = allSims.filter((s) => isSide(s.body));
  const upstreamKey = expect.provider === 'anthropic' ? ANTHROPIC_UPSTREAM_KEY : OPENROUTER_UPSTREAM_KEY;
  for (const s of allSims) {
    const sent = s.headers['x-api-key'] ?? String(s.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    assert.equal(sent, upstreamKey, 'the provider key replaces the client key');
    assert.ok(!JSON.stringify(s.headers).includes(stack.key), 'the client key never reaches the upstream');
  }

  const allRows = (await stack.turns());
  assert.equal(allRows.length, allSims.length, 'exactly one ledger row per upstream request');
  const byId = new Map(allRows.map((r) => [r.request_id, r]));
  for (const c of all) assert.ok(c.requestId && byId.has(c.requestId), `the ledger has a row for request ${c.requestId}`);
  const rows = calls.map((c) => byId.get(c.requestId!)!);
  const sideRows = sideCalls.map((c) => byId.get(c.requestId!)!);

  const checkRow = (row: LedgerTurn, sim: SimulatorRequestLog, label: string) => {
    assert.deepEqual(
      {
        kind: row.kind, status: row.status, error_code: row.error_code, streamed: row.streamed, aborted: row.aborted, key_id: row.key_id,
        client_protocol: row.client_protocol, endpoint: row.endpoint, provider: row.provider, requested_model: row.requested_model, response_model: row.response_model,
      },
      {
        kind: 'turn', status: 200, error_code: null, streamed: opts.streamed === false ? 0 : 1, aborted: 0, key_id: stack.keyId,
        client_protocol: expect.clientProtocol, endpoint: expect.endpoint, provider: expect.provider, requested_model: expect.requestedModel, response_model: expect.responseModel,
      },
      label,
    );
    assert.deepEqual(ledgerTokens(row), upstreamTokens(sim), `${label}: token columns equal the simulator's usage`);
    if (expect.provider === 'anthropic') assert.ok(row.cost_usd !== null && row.cost_usd > 0, `${label} is priced`);
  };
  rows.forEach((row, i) => checkRow(row, sims[i]!, `ledger row of turn ${i + 1}`));
  sideRows.forEach((row, i) => checkRow(row, sideSims[i]!, `ledger row of side call ${i + 1}`));

  const sessions = [...new Set(rows.map((r) => r.session_id!))];
  assert.equal(sessions.length, opts.sessions ?? 1, `one session per conversation: ${sessions.join(', ')}`);
  for (const r of sideRows) assert.ok(!sessions.includes(r.session_id!), "a side call is not filed under the loop's session");
  for (const session of sessions) {
    const mine = rows.filter((r) => r.session_id === session);
    mine.slice(1).forEach((r, i) => assert.ok(r.cache_read_tokens > 0, `${session}: turn ${i + 2} reads the cache (read ${r.cache_read_tokens}, input ${r.input_tokens})`));
  }
  return { sessionId: sessions[0]!, sessionIds: sessions, rows, sims, calls, side: { rows: sideRows, sims: sideSims, calls: sideCalls } };
}

/**
 * The client really ran the tool: request n+1 carries, as its newest tool outputs, what the
 * commands printed in round n (`echo synrouter-step-n`, then `synrouter-step-n-2`, ... for the
 * round's further calls: src/simulator/tool-calls.ts).
 */
export function assertToolOutputsFlowBack(calls: Exchange[], rounds = ROUNDS, perRound = 1): string {
  for (let n = 1; n <= rounds; n++) {
    const outputs = toolOutputs(calls[n]?.body);
    assert.equal(outputs.length, n * perRound, `request ${n + 1} carries the ${n * perRound} tool output(s) so far: ${JSON.stringify(outputs)}`);
    for (let i = 0; i < perRound; i++) {
      const printed = `synrouter-step-${n}${i === 0 ? '' : `-${i + 1}`}`;
      assert.match(outputs[(n - 1) * perRound + i]!, new RegExp(`\\b${printed}(?![-\\w])`), `request ${n + 1} sends back what command ${i + 1} of round ${n} printed`);
    }
  }
  return toolOutputs(calls[rounds]!.body).at(-1)!;
}
