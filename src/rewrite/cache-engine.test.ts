/**
 * The cache engine against the simulator's rules: it never produces a request the simulator rejects,
 * never touches a client marker, is deterministic, and comes within 2 points of the oracle on agent
 * sessions of every client shape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scriptSession, type SessionShape } from '../testing/agent-sessions.ts';
import { replaySession, hitRate, oracleHitRate } from '../testing/replay.ts';
import { rewriteAnthropicRequest } from './rewrite-request.ts';
import { DEFAULT_ENGINE_CONFIG } from './cache-engine.ts';
import { anthropicStable, fingerprint } from '../session/fingerprint.ts';
import { validateRequest } from '../simulator/validate-request.ts';
import { CacheStore } from '../protocols/anthropic/cache-model.ts';
import { buildPrompt } from '../protocols/anthropic/prompt.ts';
import type { MessagesRequest } from '../protocols/anthropic/wire.ts';
import type { SessionCacheState } from '../session/session-state.ts';

const BASE: SessionShape = { model: 'claude-sonnet-4-6', turns: 30, tools: 12, toolChars: 1500, systemChars: 12_000, resultChars: 3000, markers: 'none' };

function rewrite(body: object, opts: { state?: SessionCacheState; mode?: 'coding' | 'general'; now?: number } = {}) {
  const raw = Buffer.from(JSON.stringify(body));
  const request = JSON.parse(raw.toString()) as MessagesRequest;
  const out = rewriteAnthropicRequest({
    raw, request,
    route: { upstreamModel: request.model, entry: { id: request.model, name: '', context: 0, anthropicId: request.model, prices: null } },
    cache: { mode: opts.mode ?? 'coding', state: opts.state, now: opts.now ?? 0, config: DEFAULT_ENGINE_CONFIG, fingerprint: fingerprint(anthropicStable(request)) },
  });
  return { out, sent: JSON.parse(out.body.toString()) };
}

for (const [name, shape] of Object.entries({
  'a client that marks nothing': BASE,
  'Claude Code (3 own markers, billing line)': { ...BASE, markers: 'claude-code' },
  'OpenClaw (a context block moving to the end)': { ...BASE, volatileTail: true },
  'wide turns (12 parallel calls: past the 20-position lookback)': { ...BASE, callsPerTurn: 12 },
  'Claude Code with wide turns': { ...BASE, markers: 'claude-code', callsPerTurn: 12 },
} satisfies Record<string, SessionShape>)) {
  test(`within 2 points of the oracle, never below the client alone: ${name}`, () => {
    const turns = scriptSession(shape);
    const engine = replaySession(turns, { mode: 'coding' });
    const client = replaySession(turns, { mode: 'coding', engine: false });
    const oracle = oracleHitRate(engine, turns.map((t) => t.atMs));
    const got = hitRate(engine);
    assert.ok(got >= oracle - 0.02, `hit rate ${got.toFixed(3)} vs oracle ${oracle.toFixed(3)}`);
    assert.ok(got >= hitRate(client), `hit rate ${got.toFixed(3)} vs client alone ${hitRate(client).toFixed(3)}`);
  });
}

test('Claude Code: its 3 markers are kept byte for byte and only the one free slot is used', () => {
  const [, second] = scriptSession({ ...BASE, turns: 2, markers: 'claude-code' });
  const { out, sent } = rewrite(second!.body);
  const before = buildPrompt(second!.body as never).markers.map((m) => `${m.path}=${JSON.stringify(m.value)}`);
  const after = buildPrompt(sent).markers.map((m) => `${m.path}=${JSON.stringify(m.value)}`);
  for (const m of before) assert.ok(after.includes(m), `client marker ${m} kept`);
  assert.equal(after.length, 4);
  assert.deepEqual(out.changes.filter((c) => c.kind === 'breakpoint').map((c) => c.detail), ['tools.11 stable 5m']);
});

test('property: random conversations with random client markers are never rejected, keep client markers, and are deterministic', () => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  let checked = 0, withClientMarkers = 0;
  for (let run = 0; run < 300; run++) {
    const shape: SessionShape = {
      ...BASE, turns: 1 + Math.floor(rnd() * 6), tools: Math.floor(rnd() * 5), toolChars: pick([10, 800, 3000]),
      systemChars: pick([0, 50, 5000]), resultChars: pick([10, 2000, 60_000]), callsPerTurn: 1 + Math.floor(rnd() * 4),
      volatileTail: rnd() < 0.3, model: pick(['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-7']),
    };
    const turns = scriptSession(shape);
    const body = structuredClone(turns.at(-1)!.body) as Record<string, any>;
    // Random client markers (valid: at most 4 with the top-level one, 1h before 5m, on eligible blocks).
    const slots: Array<Record<string, any>> = [];
    for (const t of body.tools) slots.push(t);
    if (typeof body.system === 'string' && rnd() < 0.5) body.system = [{ type: 'text', text: body.system || 'x' }];
    if (Array.isArray(body.system)) slots.push(...body.system);
    for (const m of body.messages) if (Array.isArray(m.content)) for (const b of m.content) if (b.type !== 'thinking') slots.push(b);
    const count = Math.floor(rnd() * 5);
    const chosen = new Set<Record<string, any>>();
    while (chosen.size < Math.min(count, slots.length)) chosen.add(pick(slots));
    let hourAllowed = rnd() < 0.5;
    for (const s of slots) {
      if (!chosen.has(s)) continue;
      const hour = hourAllowed && rnd() < 0.5;
      if (!hour) hourAllowed = false;
      s.cache_control = hour ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' };
    }
    if (count < 4 && rnd() < 0.2) body.cache_control = { type: 'ephemeral' };
    if (!validateRequest(body).ok) continue; // only requests the provider accepts are in scope
    checked++;
    if (count > 0) withClientMarkers++;
    const a = rewrite(body);
    const v = validateRequest(a.sent);
    assert.ok(v.ok, `run ${run}: rejected: ${!v.ok && v.message}`);
    const clientMarkers = buildPrompt(body as never).markers.map((m) => `${m.path}=${JSON.stringify(m.value)}`);
    const sentMarkers = buildPrompt(a.sent).markers.map((m) => `${m.path}=${JSON.stringify(m.value)}`);
    for (const m of clientMarkers) assert.ok(sentMarkers.includes(m), `run ${run}: client marker ${m} kept`);
    assert.ok(sentMarkers.length + (a.sent.cache_control ? 1 : 0) <= 4);
    assert.deepEqual(rewrite(body).out.body, a.out.body, 'same inputs, same bytes');
  }
  assert.ok(checked >= 250 && withClientMarkers >= 150, `enough cases ran: ${checked} (${withClientMarkers} with client markers)`);
});

test('a 100k-character tool result is trimmed once, replayed byte-identically, and error results stay whole', () => {
  const turns = scriptSession({ ...BASE, turns: 4, resultChars: 100_000 });
  const replayed = replaySession(turns, { mode: 'coding' });
  const resultOf = (sent: any, m: number) => sent.messages[m].content.find((b: any) => b.type === 'tool_result').content as string;
  const first = resultOf(replayed[1]!.sent, 2);
  assert.ok(first.length < 25_000 && first.includes('Synrouter trimmed'));
  assert.equal(resultOf(replayed[2]!.sent, 2), first);
  assert.equal(resultOf(replayed[3]!.sent, 2), first);
  assert.ok(replayed[3]!.usage.cache_read_input_tokens > 0);
  const errorTurn = structuredClone(turns[1]!.body) as any;
  errorTurn.messages[2].content[0].is_error = true;
  assert.equal(resultOf(rewrite(errorTurn).sent, 2).length, 100_000);
});

test('a block forwarded whole is never trimmed later, even if it would be now', () => {
  const turns = scriptSession({ ...BASE, turns: 3, resultChars: 100_000 });
  const [t0, t1, t2] = turns.map((t) => t.body as any);
  // Turn 1 goes out while the result is short (as if policy were different): decision keep.
  const short = structuredClone(t1);
  const r1 = rewrite(short, { now: 1000 });
  const state = r1.out.engine!.nextState;
  state.trims[short.messages[2].content[0].tool_use_id] = { action: 'keep' };
  const r2 = rewrite(t2, { state, now: 2000 });
  assert.equal(r2.sent.messages[2].content[0].content.length, 100_000);
  void t0;
});

test('miss reasons: new session, TTL expired, tools changed, model changed, prefix edited', () => {
  const [a, b] = scriptSession({ ...BASE, turns: 2 });
  const first = rewrite(a!.body, { now: 0 });
  assert.equal(first.out.engine!.expectedMiss, 'new_session');
  const state = first.out.engine!.nextState;
  assert.equal(rewrite(b!.body, { state, now: 10_000 }).out.engine!.expectedMiss, null);
  assert.equal(rewrite(b!.body, { state, now: 6 * 60_000 }).out.engine!.expectedMiss, 'ttl_expired');
  // A 1h stable prefix under a 5m conversation: the conversation part still expires after 5 minutes.
  const mixed = { ...state, breakpoints: [{ ...state.breakpoints[0]!, ttl: '1h' as const }, ...state.breakpoints.slice(1).map((x) => ({ ...x, ttl: '5m' as const }))] };
  assert.ok(mixed.breakpoints.length >= 2);
  assert.equal(rewrite(b!.body, { state: mixed, now: 10 * 60_000 }).out.engine!.expectedMiss, 'ttl_expired');
  const moreTools = structuredClone(b!.body) as any;
  moreTools.tools.push({ name: 'New', input_schema: { type: 'object' } });
  assert.equal(rewrite(moreTools, { state, now: 10_000 }).out.engine!.expectedMiss, 'tools_changed');
  assert.equal(rewrite({ ...b!.body, model: 'claude-opus-4-8' }, { state, now: 10_000 }).out.engine!.expectedMiss, 'model_changed');
  const edited = structuredClone(b!.body) as any;
  edited.messages[0].content[0].text = 'a different first task';
  assert.equal(rewrite(edited, { state, now: 10_000 }).out.engine!.expectedMiss, 'prefix_edited');
});

test('general mode: tools in stable layers; sessions share the prefix; an MCP change busts only its own layer', () => {
  const names = ['mcp__github__create_issue', 'WebFetch', 'Bash', 'send_message', 'Read', 'Edit'];
  const { sent } = rewrite(scriptSession({ ...BASE, turns: 1, tools: 6, toolNames: names })[0]!.body, { mode: 'general' });
  assert.deepEqual(sent.tools.map((t: any) => t.name), ['Bash', 'Edit', 'Read', 'WebFetch', 'send_message', 'mcp__github__create_issue']);
  assert.ok(sent.tools[4].cache_control, 'a breakpoint ends the stable layers, before MCP');

  // 10 sessions of one agent; MCP tools change from the 6th session on.
  const store = new CacheStore();
  const rates: number[] = [];
  for (let s = 0; s < 10; s++) {
    const shape: SessionShape = { ...BASE, turns: 3, tools: 6, toolNames: names, sessionTag: `S${s}`, ...(s >= 5 ? { extraToolsFrom: { turn: 0, names: ['mcp__jira__search'] } } : {}) };
    const replayed = replaySession(scriptSession(shape), { mode: 'general', store, startMs: Date.UTC(2026, 0, 1) + s * 30_000 });
    rates.push(replayed[0]!.usage.cache_read_input_tokens);
  }
  assert.equal(rates[0], 0, 'the very first session writes');
  assert.ok(rates.slice(1).every((r) => r > 0), 'every later session reads the shared tool/system prefix on its first turn');
  assert.ok(rates[5]! > 0 && rates[5]! < rates[4]!, 'after the MCP change the stable layers still read; only the tail re-writes');
  assert.ok(rates[6]! > rates[5]!, 'later sessions read the new, longer prefix again');
});

test('a client block with "cache_control": null gets our marker as its value, never a second key', () => {
  const [first] = scriptSession({ ...BASE, turns: 1 });
  const body = structuredClone(first!.body) as { system: unknown; tools: Array<Record<string, unknown>> };
  body.system = [{ type: 'text', text: body.system as string, cache_control: null }];
  body.tools.at(-1)!.cache_control = null;
  const { out, sent } = rewrite(body);
  const text = out.body.toString();
  const markers = buildPrompt(sent).markers.length;
  assert.ok(markers >= 2, 'the null fields were free slots the engine used');
  assert.equal(text.split('"cache_control"').length - 1, markers + [...text.matchAll(/"cache_control":null/g)].length, 'one cache_control key per block');
  assert.doesNotMatch(text, /"cache_control":null,[^{}]*"cache_control"/, 'no block carries two cache_control keys');
  assert.equal(validateRequest(sent).ok, true);
});

/** A client's marking habit, applied the same way to every turn (as real clients do). */
interface MarkerHabit { system: boolean; lastTool: boolean; nestedResult: boolean; lastBlock: boolean; topLevel: boolean; hourFirst: boolean }

function applyHabit(body: Record<string, any>, h: MarkerHabit): void {
  const marks: Array<Record<string, any>> = [];
  if (h.system) {
    if (typeof body.system === 'string') body.system = [{ type: 'text', text: body.system || 'x' }];
    if (Array.isArray(body.system) && body.system.length) marks.push(body.system.at(-1));
  }
  if (h.lastTool && body.tools.length) marks.push(body.tools.at(-1));
  const lastUser = [...body.messages].reverse().find((m: any) => m.role === 'user' && Array.isArray(m.content) && m.content.some((b: any) => b.type === 'tool_result'));
  if (h.nestedResult && lastUser) {
    // A marker on a text block nested inside a tool_result's content (clients.md: Kilo, OpenClaw do this).
    const r = lastUser.content.find((b: any) => b.type === 'tool_result');
    r.content = [{ type: 'text', text: typeof r.content === 'string' ? r.content : 'ok' }];
    marks.push(r.content[0]);
  }
  if (h.lastBlock) {
    const last = body.messages.at(-1).content;
    if (Array.isArray(last) && last.length && last.at(-1).type !== 'tool_result') marks.push(last.at(-1));
    else if (Array.isArray(last) && last.length) marks.push(last.at(-1));
  }
  marks.forEach((b, i) => { b.cache_control = h.hourFirst && i === 0 ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' }; });
  if (h.topLevel && marks.length < 4) body.cache_control = { type: 'ephemeral' };
}

test('property: whole random sessions (state carried, random gaps, markers nested in tool results, both modes) are never rejected and keep every client marker', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  let sessions = 0, turnsChecked = 0, hourTurns = 0, bridgeTurns = 0;
  for (let run = 0; run < 60; run++) {
    const gaps = Array.from({ length: 12 }, () => pick([2, 30, 200, 290, 400, 1200, 3000]));
    const shape: SessionShape = {
      ...BASE, turns: 2 + Math.floor(rnd() * 9), tools: Math.floor(rnd() * 6), toolChars: pick([10, 800, 3000]),
      systemChars: pick([0, 50, 5000]), resultChars: pick([10, 2000, 45_000]), callsPerTurn: 1 + Math.floor(rnd() * 12),
      volatileTail: rnd() < 0.3, model: pick(['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-7']),
      gapSeconds: (t) => gaps[t % gaps.length]!,
    };
    const habit: MarkerHabit = { system: rnd() < 0.4, lastTool: rnd() < 0.3, nestedResult: rnd() < 0.3, lastBlock: rnd() < 0.4, topLevel: rnd() < 0.15, hourFirst: rnd() < 0.3 };
    const turns = scriptSession(shape).map((t) => { const body = structuredClone(t.body) as Record<string, any>; applyHabit(body, habit); return { ...t, body }; });
    if (!turns.every((t) => validateRequest(t.body).ok)) continue; // only sessions the provider accepts as sent
    sessions++;
    const mode = pick(['coding', 'general'] as const);
    // replaySession throws on any request the simulator rejects (5th breakpoint, 1h after 5m, ...).
    const replayed = replaySession(turns, { mode });
    for (const [i, r] of replayed.entries()) {
      const clientMarkers = buildPrompt(turns[i]!.body as never).markers.map((m) => `${m.path}=${JSON.stringify(m.value)}`);
      const sent = buildPrompt(r.sent as never);
      const sentMarkers = sent.markers.map((m) => `${m.path}=${JSON.stringify(m.value)}`);
      if (mode === 'coding') for (const m of clientMarkers) assert.ok(sentMarkers.includes(m), `run ${run} turn ${i}: client marker ${m} kept`);
      else assert.ok(sentMarkers.length >= clientMarkers.length, `run ${run} turn ${i}: no client marker dropped`);
      assert.ok(sent.markers.length + (r.sent.cache_control ? 1 : 0) <= 4, `run ${run} turn ${i}: at most 4 breakpoints`);
      if (r.changes.some((c) => c.includes('1h'))) hourTurns++;
      if (r.changes.some((c) => c.includes('bridge'))) bridgeTurns++;
      turnsChecked++;
    }
  }
  assert.ok(sessions >= 30 && turnsChecked >= 150, `enough sessions ran: ${sessions} sessions, ${turnsChecked} turns`);
  assert.ok(hourTurns > 0 && bridgeTurns > 0, `the 1h choice (${hourTurns} turns) and the bridge (${bridgeTurns}) were exercised`);
});
