/**
 * Savings benchmark: replays scripted agent sessions and prints, per scenario, the token-weighted
 * cache hit rate (cache read / all input tokens) and the cost cut against no caching, for:
 *   none        every cache_control stripped
 *   client      the client's own markers only
 *   fixed-4     the spec's seed policy on top of the client's markers: last system block, last tool,
 *               messages[-4], messages[-2] (requests the provider rejects are counted)
 *   synrouter   through a real Synrouter (HTTP) in front of the simulator
 *   litellm     through LiteLLM's proxy (bench/litellm/proxy.ts, /v1/messages) in front of the same
 *               simulator, two ways: as users run it by default (a model entry, nothing else), and
 *               with its prompt-caching auto-injection as its docs recommend
 *               (cache_control_injection_points: the system message and the last message)
 *   oracle      every token of a still-live earlier prefix read at the cache price (1h lifetime); new
 *               tokens written at the cheapest lifetime that reaches their later uses, or plain input
 * All policies run against the project's simulator, which enforces Anthropic's cache rules, with a
 * shared manual clock so idle gaps really expire entries. Prices: Claude Sonnet 4.6 ($3 in, $0.30
 * read, $3.75 5m write, $6 1h write, $15 out per MTok).
 *
 * For the two proxies, each turn's reported cost is compared with the usage the simulator billed,
 * at those prices: Synrouter's ledger row (cost_usd), LiteLLM's x-litellm-response-cost header and
 * its own spend record of the call (spend_log.py); and, for the cost check only, through LiteLLM
 * twice more: its injection points with a 1h TTL (1h writes), and its default config with every
 * turn streamed (its spend record: a stream's cost header says 0).
 * Run: npm run bench:savings (SYNROUTER_BENCH_LITELLM=0 leaves LiteLLM out; its venv is made on
 * first use, about a minute).
 */
import { scriptSession, type ScriptedTurn, type SessionShape } from '../src/testing/agent-sessions.ts';
import { ManualClock, startSimulator, type Simulator } from '../src/simulator/simulator.ts';
import { validateRequest } from '../src/simulator/validate-request.ts';
import { startStack } from '../e2e/support/stack.ts';
import type { KeyMode } from '../src/store/keys.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MASTER_KEY, startLiteLLM, type LiteLLMProxy, type SpendRow } from './litellm/proxy.ts';

interface Usage { input_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number; cache_creation?: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number }; output_tokens: number }
/** A proxy's reported cost of each turn against what the simulator's usage costs. */
interface CostCheck { turns: number; matched: number; reportedUsd: number; billedUsd: number; /** The usage the proxy returned differs from the upstream's. */ usageDiffers: number }
interface Result {
  usages: Usage[]; rejected: number; /** Keep-alive pings (Synrouter only): count and USD. */ pings?: { n: number; usd: number };
  cost?: CostCheck; /** LiteLLM: its spend records against the billed usage. */ spendLog?: CostCheck; /** The first rejection's answer. */ firstError?: string;
}

const PRICE = { input: 3, read: 0.3, w5m: 3.75, w1h: 6, output: 15 };
const START = Date.UTC(2026, 10, 25, 9, 0, 0);
const WITH_LITELLM = process.env.SYNROUTER_BENCH_LITELLM !== '0';
/** LiteLLM's prompt-caching auto-injection as its docs and users configure it: the system message and the last message. */
const LITELLM_INJECTION = [{ location: 'message', role: 'system' }, { location: 'message', index: -1 }];
/** The same points with a 1h TTL (each point's `control`), for the cost check of 1h writes. */
const LITELLM_INJECTION_1H = LITELLM_INJECTION.map((p) => ({ ...p, control: { type: 'ephemeral', ttl: '1h' } }));

/** What a turn's usage costs (output included), USD. */
function billed(u: Usage): number {
  const w1h = u.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  const w5m = u.cache_creation ? u.cache_creation.ephemeral_5m_input_tokens : u.cache_creation_input_tokens;
  return (u.input_tokens * PRICE.input + u.cache_read_input_tokens * PRICE.read + w5m * PRICE.w5m + w1h * PRICE.w1h + u.output_tokens * PRICE.output) / 1e6;
}
const sameUsd = (a: number, b: number) => Math.abs(a - b) <= 1e-9 + 1e-6 * Math.abs(b);
const sameUsage = (a: Usage | undefined, b: Usage) =>
  a !== undefined && a.input_tokens === b.input_tokens && a.cache_read_input_tokens === b.cache_read_input_tokens
  && a.cache_creation_input_tokens === b.cache_creation_input_tokens && a.output_tokens === b.output_tokens
  && (a.cache_creation?.ephemeral_1h_input_tokens ?? 0) === (b.cache_creation?.ephemeral_1h_input_tokens ?? 0);
function newCheck(): CostCheck { return { turns: 0, matched: 0, reportedUsd: 0, billedUsd: 0, usageDiffers: 0 }; }
function tally(c: CostCheck, reported: number | null, usage: Usage): void {
  const truth = billed(usage);
  c.turns++;
  c.billedUsd += truth;
  c.reportedUsd += reported ?? 0;
  if (reported !== null && sameUsd(reported, truth)) c.matched++;
}

interface Scenario { name: string; /** For the LiteLLM cost table. */ short: string; mode: KeyMode; sessions: Array<{ startMs: number; turns: ScriptedTurn[] }> }

const coding: SessionShape = { model: 'claude-sonnet-4-6', turns: 50, tools: 12, toolChars: 1500, systemChars: 12_000, resultChars: 6_800, markers: 'none', gapSeconds: 10 };
const GENERAL_TOOLS = ['Bash', 'Read', 'Edit', 'Write', 'Grep', 'WebFetch', 'browser_open', 'send_message', 'discord_post', 'mcp__github__search', 'mcp__github__create_issue'];

const SCENARIOS: Scenario[] = [
  { name: 'coding: 50 turns, ~50k tokens/turn, client marks nothing', short: 'coding, client marks nothing', mode: 'coding', sessions: [{ startMs: 0, turns: scriptSession(coding) }] },
  {
    name: 'coding: Claude Code shape (3 own markers, 24 tools), idle gaps of 2, 6, 15 and 40 min', short: 'Claude Code shape, idle gaps', mode: 'coding',
    sessions: [{ startMs: 0, turns: scriptSession({ ...coding, turns: 40, tools: 24, toolChars: 2_600, systemChars: 6_000, resultChars: 3_000, markers: 'claude-code',
      gapSeconds: (t) => ({ 8: 120, 16: 360, 24: 900, 32: 2400 } as Record<number, number>)[t] ?? 8 }) }],
  },
  { name: 'coding: OpenClaw shape (context block moves to the end each turn)', short: 'OpenClaw shape', mode: 'coding',
    sessions: [{ startMs: 0, turns: scriptSession({ ...coding, turns: 30, tools: 11, toolChars: 800, systemChars: 27_000, resultChars: 2_000, volatileTail: true }) }] },
  { name: 'coding: Claude Code shape, 12 parallel tool calls per turn (past the 20-block lookback)', short: 'Claude Code shape, 12 parallel calls', mode: 'coding',
    sessions: [{ startMs: 0, turns: scriptSession({ ...coding, turns: 30, tools: 24, toolChars: 2_600, systemChars: 6_000, resultChars: 600, markers: 'claude-code', callsPerTurn: 12 }) }] },
  {
    name: 'general: 10 sessions of one agent, shared system and tools, MCP tools change from session 6', short: 'general, 10 sessions', mode: 'general',
    sessions: Array.from({ length: 10 }, (_, s) => ({
      startMs: s * 90_000,
      turns: scriptSession({ ...coding, turns: 8, tools: GENERAL_TOOLS.length, toolNames: GENERAL_TOOLS, toolChars: 3_000, systemChars: 20_000, resultChars: 1_500, sessionTag: `S${s}`,
        ...(s >= 5 ? { extraToolsFrom: { turn: 0, names: ['mcp__jira__search', 'mcp__jira__create'] } } : {}) }),
    })),
  },
];

/** All turns of all sessions, in time order. */
function timeline(sc: Scenario): Array<{ at: number; body: Record<string, unknown>; session: number }> {
  return sc.sessions.flatMap((s, i) => s.turns.map((t) => ({ at: START + s.startMs + t.atMs, body: t.body, session: i }))).sort((a, b) => a.at - b.at);
}

function stripMarkers(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripMarkers);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'cache_control').map(([k, x]) => [k, stripMarkers(x)]));
  return v;
}

/** The seed policy: last system block, last tool, last block of messages[-4] and of messages[-2]. */
function fixedFour(body: Record<string, any>): Record<string, any> {
  const b = structuredClone(body);
  const mark = (o: any) => { if (o && !o.cache_control) o.cache_control = { type: 'ephemeral' }; };
  if (typeof b.system === 'string') b.system = [{ type: 'text', text: b.system }];
  mark(b.system?.at(-1));
  mark(b.tools?.at(-1));
  for (const k of [-4, -2]) {
    const m = b.messages.at(k);
    if (!m) continue;
    if (typeof m.content === 'string') m.content = [{ type: 'text', text: m.content }];
    const last = [...m.content].reverse().find((x: any) => x.type !== 'thinking' && x.type !== 'redacted_thinking' && !(x.type === 'text' && x.text === ''));
    mark(last);
  }
  return b;
}

async function direct(sc: Scenario, transform: (b: Record<string, any>) => Record<string, any>): Promise<Result> {
  const clock = new ManualClock(START);
  const sim: Simulator = await startSimulator({ port: 0, clock });
  const out: Result = { usages: [], rejected: 0 };
  try {
    for (const t of timeline(sc)) {
      clock.set(t.at);
      const res = await fetch(`${sim.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'bench', 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(transform(t.body)) });
      const json = (await res.json()) as { usage?: Usage };
      if (res.status !== 200 || !json.usage) { out.rejected++; continue; }
      out.usages.push(json.usage);
    }
  } finally {
    await sim.close();
  }
  return out;
}

async function viaSynrouter(sc: Scenario): Promise<Result> {
  const clock = new ManualClock(START);
  const stack = await startStack({ simulator: { clock } });
  const { key } = await stack.app.deps.keys.create({ name: 'bench', mode: sc.mode });
  const out: Result = { usages: [], rejected: 0 };
  try {
    let now = START;
    for (const t of timeline(sc)) {
      // Idle time passes in 30 s steps so the keep-alive can send its pings, as it would in production.
      while (now + 30_000 < t.at) {
        now += 30_000;
        clock.set(now);
        await stack.app.deps.keepalive.tick(now);
      }
      now = t.at;
      clock.set(t.at);
      // No client session id (like OpenClaw or a plain SDK script): Synrouter derives one.
      const res = await fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(t.body) });
      const json = (await res.json()) as { usage?: Usage };
      if (res.status !== 200 || !json.usage) { out.rejected++; continue; }
      out.usages.push(json.usage);
    }
    const rows = (await stack.turns());
    const pings = rows.filter((r) => r.kind === 'keepalive');
    out.pings = { n: pings.length, usd: pings.reduce((n, r) => n + (r.cost_usd ?? 0), 0) };
    // The ledger's cost of each turn against the usage the simulator billed for it (pings are
    // max_tokens 0 requests, their own rows).
    out.cost = newCheck();
    const sims = stack.sim.requests.filter((q) => q.status === 200 && (q.body as { max_tokens?: number }).max_tokens !== 0);
    const turnRows = rows.filter((r) => r.kind === 'turn' && r.status === 200);
    if (sims.length !== turnRows.length) throw new Error(`synrouter: ${turnRows.length} turn rows for ${sims.length} upstream turns`);
    turnRows.forEach((r, i) => tally(out.cost!, r.cost_usd, sims[i]!.usage as Usage));
  } finally {
    await stack.close();
  }
  return out;
}

/**
 * Through LiteLLM's proxy to the simulator, four passes on one LiteLLM process and one simulator:
 * its default config, its auto-injection config, the same with a 1h TTL (for the cost of 1h writes),
 * and the default config with every turn streamed (for its spend records of streams). Each pass has a model entry with an upstream key of its own,
 * so the passes have separate cache scopes in the simulator; the clock starts again for each.
 * Hit rate and cost come from the usage the simulator billed; the cost check compares LiteLLM's
 * reported cost of each turn with it.
 */
async function viaLiteLLM(sc: Scenario): Promise<{ plain: Result; injected: Result; injected1h: Result; streamed: Result; version: string }> {
  const clock = new ManualClock(START);
  const sim = await startSimulator({ port: 0, clock });
  const dir = mkdtempSync(join(tmpdir(), 'synrouter-bench-litellm-'));
  const upstream = { model: 'anthropic/claude-sonnet-4-6', apiBase: sim.url };
  let proxy: LiteLLMProxy | undefined;
  try {
    proxy = await startLiteLLM({ dir, models: [
      { name: 'plain', apiKey: 'bench-litellm-plain', ...upstream },
      { name: 'injected', apiKey: 'bench-litellm-injected', injection: LITELLM_INJECTION, ...upstream },
      { name: 'injected-1h', apiKey: 'bench-litellm-injected-1h', injection: LITELLM_INJECTION_1H, ...upstream },
      { name: 'streamed', apiKey: 'bench-litellm-streamed', ...upstream },
    ], spendLog: true });
    const pass = async (name: 'plain' | 'injected' | 'injected-1h' | 'streamed'): Promise<Result> => {
      const out: Result = { usages: [], rejected: 0, cost: newCheck(), spendLog: newCheck() };
      const stream = name === 'streamed';
      for (const t of timeline(sc)) {
        clock.set(t.at);
        const seen = sim.requests.length;
        const spent = proxy!.spend().length;
        const res = await fetch(`${proxy!.url}/v1/messages`, {
          method: 'POST', headers: { 'x-api-key': MASTER_KEY, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
          body: JSON.stringify({ ...t.body, model: name, stream }),
        });
        const text = await res.text();
        const header = res.headers.get('x-litellm-response-cost');
        // Every call LiteLLM made upstream for this turn, retries included: the provider bills each success.
        const upstreamCalls = sim.requests.slice(seen).filter((q) => q.status === 200);
        if (res.status !== 200 || upstreamCalls.length === 0) {
          out.rejected++;
          out.firstError ??= `${res.status} ${text.slice(0, 300)}`;
          continue;
        }
        const usage = upstreamCalls.reduce<Usage>((sum, q) => addUsage(sum, q.usage as Usage), zeroUsage());
        out.usages.push(usage);
        const returned = stream ? streamedUsage(text) : (JSON.parse(text) as { usage?: Usage }).usage;
        if (!sameUsage(returned, usage)) out.cost!.usageDiffers++;
        if (!stream) tally(out.cost!, header === null ? null : Number(header), usage);
        // LiteLLM writes its spend record after the answer: wait for it.
        let rows: SpendRow[] = [];
        for (let i = 0; i < 200 && (rows = proxy!.spend()).length <= spent; i++) await new Promise((r) => setTimeout(r, 10));
        const row = rows.slice(spent).find((r) => !r.failed);
        tally(out.spendLog!, row?.response_cost ?? null, usage);
      }
      return out;
    };
    const plain = await pass('plain');
    const injected = await pass('injected');
    const injected1h = await pass('injected-1h');
    const streamed = await pass('streamed');
    return { plain, injected, injected1h, streamed, version: proxy.version };
  } finally {
    await proxy?.stop();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function zeroUsage(): Usage {
  return { input_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 }, output_tokens: 0 };
}
function addUsage(a: Usage, b: Usage): Usage {
  const c = (u: Usage) => u.cache_creation ?? { ephemeral_5m_input_tokens: u.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 };
  return {
    input_tokens: a.input_tokens + b.input_tokens, cache_read_input_tokens: a.cache_read_input_tokens + b.cache_read_input_tokens,
    cache_creation_input_tokens: a.cache_creation_input_tokens + b.cache_creation_input_tokens,
    cache_creation: { ephemeral_5m_input_tokens: c(a).ephemeral_5m_input_tokens + c(b).ephemeral_5m_input_tokens, ephemeral_1h_input_tokens: c(a).ephemeral_1h_input_tokens + c(b).ephemeral_1h_input_tokens },
    output_tokens: a.output_tokens + b.output_tokens,
  };
}
/** The usage an Anthropic stream reports: message_start's, with message_delta's counts over it. */
function streamedUsage(sse: string): Usage | undefined {
  let usage: Usage | undefined;
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data:')) continue;
    let ev: { type?: string; message?: { usage?: Usage }; usage?: Partial<Usage> };
    try { ev = JSON.parse(line.slice(5)); } catch { continue; }
    if (ev.type === 'message_start' && ev.message?.usage) usage = { ...ev.message.usage };
    if (ev.type === 'message_delta' && ev.usage && usage) usage = { ...usage, ...Object.fromEntries(Object.entries(ev.usage).filter(([, v]) => v !== null && v !== undefined)) } as Usage;
  }
  return usage;
}

/**
 * Oracle: per turn, the longest prefix shared with an earlier turn used within the last hour is read.
 * What a turn adds is written at the cheapest lifetime that carries it to all its later uses (5m when
 * no gap between consecutive uses exceeds 5 minutes, else 1h at 2x), and billed as plain input when
 * no later turn uses it: the best any placement and TTL choice could pay, without pings.
 */
function oracle(sc: Scenario): Result {
  const turns = timeline(sc);
  const prompts = turns.map((t) => { const v = validateRequest(t.body); if (!v.ok) throw new Error(v.message); return v.prompt; });
  const lastUse: number[] = [];
  const usages = prompts.map((p, i) => {
    let best = 0;
    for (let s = 0; s < i; s++) {
      if (turns[i]!.at - lastUse[s]! >= 3_600_000) continue;
      let k = 0;
      const q = prompts[s]!.positions;
      while (k < p.positions.length && k < q.length && p.positions[k]!.hash === q[k]!.hash) k++;
      const tokens = k ? p.positions[k - 1]!.cumulativeTokens : 0;
      if (tokens >= 1024 && tokens > best) { best = tokens; lastUse[s] = turns[i]!.at; }
    }
    lastUse[i] = turns[i]!.at;
    const added = p.totalTokens - best;
    const lifetime = neededLifetime(i);
    if (lifetime === null) return { input_tokens: added, cache_read_input_tokens: best, cache_creation_input_tokens: 0, output_tokens: 0 };
    return { input_tokens: 0, cache_read_input_tokens: best, cache_creation_input_tokens: added, cache_creation: { ephemeral_5m_input_tokens: lifetime === '5m' ? added : 0, ephemeral_1h_input_tokens: lifetime === '1h' ? added : 0 }, output_tokens: 0 };
  });
  /** The lifetime turn i's new tail needs: null when no later turn uses it. */
  function neededLifetime(i: number): '5m' | '1h' | null {
    const end = prompts[i]!.positions.at(-1)?.hash;
    let prev = turns[i]!.at, gap = 0, used = false;
    for (let j = i + 1; j < prompts.length; j++) {
      if (!prompts[j]!.positions.some((q) => q.hash === end)) continue;
      if (turns[j]!.at - prev >= 3_600_000) break; // gone either way: a later turn writes it again
      gap = Math.max(gap, turns[j]!.at - prev);
      prev = turns[j]!.at;
      used = true;
    }
    return !used ? null : gap < 300_000 ? '5m' : '1h';
  }
  return { usages, rejected: 0 };
}

function summarise(r: Result, outputTokens: number) {
  let read = 0, all = 0, cost = 0;
  for (const u of r.usages) {
    const w1h = u.cache_creation?.ephemeral_1h_input_tokens ?? 0;
    const w5m = u.cache_creation ? u.cache_creation.ephemeral_5m_input_tokens : u.cache_creation_input_tokens;
    read += u.cache_read_input_tokens;
    all += u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
    cost += (u.input_tokens * PRICE.input + u.cache_read_input_tokens * PRICE.read + w5m * PRICE.w5m + w1h * PRICE.w1h) / 1e6;
  }
  cost += (outputTokens * PRICE.output) / 1e6 + (r.pings?.usd ?? 0);
  return { hit: all ? read / all : 0, cost, inputTokens: all };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/**
 * Keep-alive and TTL: an agent session in bursts (5 quick tool turns, 8 s apart) separated by idle
 * gaps of a fixed length, through a real Synrouter on a manual clock. The keep-alive sends its pings
 * while the clock advances through each gap. Net cost = every ledger row (turns and pings).
 */
type TtlPolicy = { name: string; keepalive: boolean; ttl: 'adaptive' | '5m' | '1h' };
const TTL_POLICIES: TtlPolicy[] = [
  { name: 'no keep-alive (5m)', keepalive: false, ttl: '5m' },
  { name: 'always 5m + keep-alive', keepalive: true, ttl: '5m' },
  { name: 'always 1h', keepalive: false, ttl: '1h' },
  { name: 'adaptive (Synrouter)', keepalive: true, ttl: 'adaptive' },
];

async function idleGapRun(gapMinutes: number, policy: TtlPolicy): Promise<{ cost: number; pings: number; pingCost: number; hit: number }> {
  const clock = new ManualClock(START);
  const stack = await startStack({ simulator: { clock }, config: (c) => ({ ...c, keepalive: { ...c.keepalive, enabled: policy.keepalive }, engine: { ...c.engine, ttl: policy.ttl } }) });
  const { key } = await stack.app.deps.keys.create({ name: 'bench', mode: 'coding' });
  const turns = scriptSession({ ...coding, turns: 20, tools: 16, toolChars: 3_000, systemChars: 20_000, resultChars: 3_000, gapSeconds: (t) => (t % 5 === 0 ? gapMinutes * 60 : 8) });
  try {
    let at = 0;
    for (const t of turns) {
      // Walk the clock to this turn in 30 s steps, letting due pings go out.
      while (at + 30_000 < t.atMs) {
        at += 30_000;
        clock.set(START + at);
        await stack.app.deps.keepalive.tick(clock.now());
      }
      at = t.atMs;
      clock.set(START + at);
      const res = await fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json', 'x-claude-code-session-id': `gap-${gapMinutes}` }, body: JSON.stringify(t.body) });
      if (res.status !== 200) throw new Error(`turn failed: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
    const rows = (await stack.turns()).filter((r) => r.key_id !== stack.keyId);
    const pings = rows.filter((r) => r.kind === 'keepalive');
    const turnRows = rows.filter((r) => r.kind === 'turn');
    const read = turnRows.reduce((n, r) => n + r.cache_read_tokens, 0);
    const all = turnRows.reduce((n, r) => n + r.input_tokens + r.cache_read_tokens + r.cache_write_5m_tokens + r.cache_write_1h_tokens, 0);
    return { cost: rows.reduce((n, r) => n + (r.cost_usd ?? 0), 0), pings: pings.length, pingCost: pings.reduce((n, r) => n + (r.cost_usd ?? 0), 0), hit: read / all };
  } finally {
    await stack.close();
  }
}

async function keepAliveSection(): Promise<void> {
  console.log('## Keep-alive and TTL choice: 4 bursts of 5 quick turns, idle gaps between bursts (Anthropic direct)\n');
  console.log('| idle gap | policy | net cost (incl. pings) | pings | ping cost | hit rate | vs cheapest |');
  console.log('|---|---|---|---|---|---|---|');
  for (const gap of [2, 6, 15, 40]) {
    process.stderr.write(`running: keep-alive, ${gap} min gaps\n`);
    const results = [];
    for (const p of TTL_POLICIES) results.push({ p, r: await idleGapRun(gap, p) });
    const cheapest = Math.min(...results.map((x) => x.r.cost));
    for (const { p, r } of results) {
      console.log(`| ${gap} min | ${p.name} | $${r.cost.toFixed(4)} | ${r.pings} | $${r.pingCost.toFixed(4)} | ${pct(r.hit)} | ${r.cost === cheapest ? 'cheapest' : `+${pct(r.cost / cheapest - 1)}`} |`);
    }
  }
  console.log('');
}

/** "50 of 50", or how far the reported total is from the billed one. */
function describeCheck(c: CostCheck | undefined): string {
  if (!c || c.turns === 0) return '—';
  const off = c.reportedUsd - c.billedUsd;
  return c.matched === c.turns ? `${c.matched} of ${c.turns} turns` : `${c.matched} of ${c.turns} turns (reported $${c.reportedUsd.toFixed(2)}, billed $${c.billedUsd.toFixed(2)}, ${off >= 0 ? '+' : ''}${pct(off / c.billedUsd)})`;
}

async function main() {
  console.log('# Synrouter savings benchmark (simulator, Claude Sonnet 4.6 prices)\n');
  const costRows: string[] = [];
  let litellmVersion = '';
  for (const sc of SCENARIOS) {
    process.stderr.write(`running: ${sc.name}\n`);
    const none = await direct(sc, (b) => stripMarkers(b) as Record<string, any>);
    const outputTokens = none.usages.reduce((n, u) => n + u.output_tokens, 0);
    const litellm = WITH_LITELLM ? await viaLiteLLM(sc) : undefined;
    if (litellm) litellmVersion = litellm.version;
    const rows: Array<[string, Result]> = [
      ['none', none],
      ['client markers only', await direct(sc, (b) => b)],
      ['fixed 4 (spec seed)', await direct(sc, fixedFour)],
      ...(litellm ? [['litellm, default config', litellm.plain], ['litellm, cache_control_injection_points', litellm.injected]] as Array<[string, Result]> : []),
      ['synrouter', await viaSynrouter(sc)],
      ['oracle', oracle(sc)],
    ];
    const base = summarise(none, outputTokens).cost;
    const turns = timeline(sc).length;
    console.log(`## ${sc.name}\n\n${turns} turns, ${(summarise(none, 0).inputTokens / turns / 1000).toFixed(1)}k input tokens per turn on average (simulator token count)\n`);
    console.log('| policy | hit rate | cost (incl. keep-alive pings) | cost cut vs none | rejected | reported cost = billed |');
    console.log('|---|---|---|---|---|---|');
    for (const [name, r] of rows) {
      const s = summarise(r, outputTokens);
      // A policy whose requests the provider rejects did not run the session: no cost to compare.
      const cost = r.rejected ? 'n/a' : `$${s.cost.toFixed(2)}`;
      const cut = r.rejected ? 'n/a' : pct(1 - s.cost / base);
      const pingNote = r.pings?.n ? ` (${r.pings.n} pings, $${r.pings.usd.toFixed(2)})` : '';
      console.log(`| ${name} | ${r.rejected ? 'n/a' : pct(s.hit)} | ${cost}${pingNote} | ${cut} | ${r.rejected} of ${turns} | ${describeCheck(r.cost)} |`);
      if (r.firstError) process.stderr.write(`  ${name}: first rejection: ${r.firstError}\n`);
    }
    console.log('');
    if (litellm) {
      for (const [label, r] of [['default, JSON', litellm.plain], ['injection points, JSON', litellm.injected], ['injection points with ttl 1h, JSON', litellm.injected1h], ['default, every turn streamed', litellm.streamed]] as Array<[string, Result]>) {
        const hit = summarise(r, outputTokens).hit;
        const w1h = r.usages.reduce((n, u) => n + (u.cache_creation?.ephemeral_1h_input_tokens ?? 0), 0);
        costRows.push(`| ${sc.short} | ${label} | ${r.rejected ? `${r.rejected} rejected` : pct(hit)} | ${w1h.toLocaleString('en-US')} | ${label.includes('streamed') ? '— (says 0)' : describeCheck(r.cost)} | ${describeCheck(r.spendLog)} | ${r.cost!.usageDiffers} of ${r.cost!.turns || r.usages.length} |`);
      }
    }
  }
  if (costRows.length) {
    console.log(`## LiteLLM ${litellmVersion}: its reported cost of each turn against the usage the simulator billed\n`);
    console.log('| scenario | LiteLLM config | hit rate | 1h writes (tokens) | x-litellm-response-cost header | its spend record (standard_logging_object.response_cost) | usage returned to the client differs |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of costRows) console.log(r);
    console.log('');
  }
  await keepAliveSection();
}

await main();
