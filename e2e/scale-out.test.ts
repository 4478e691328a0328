/**
 * Several instances on one PostgreSQL (issue 20), behind a balancer with no stickiness at all (each
 * request to the next instance: the worst case for a session's cache state):
 * - a 30-turn Claude Code-shaped session alternating between two instances sends the upstream the
 *   same bytes, turn by turn, and reads the cache as much as the same session on one instance, with
 *   one ledger row per turn; a trim decision made by one instance is replayed by the other even after
 *   the key's mode changed (the other, deciding afresh, would trim what the first kept);
 * - a key revoked through one instance is refused by the other within 1 s; an RPM limit of 20 holds
 *   across both, exactly; a keep-alive due time makes one ping across both instances, from the one
 *   that served the session's last turn;
 * - `synrouter serve` processes: kill -9 of one in the middle of a load loses no row (its streams in
 *   flight become interrupted turns, recorded by the survivor's housekeeping), and the next turns
 *   succeed on the other; SIGTERM of one during streams (a rolling restart) loses no row and cuts no
 *   stream without an in-band error;
 * - the database unreachable: requests are still served, limits fall back to each instance's own,
 *   and /metrics says so.
 * Runs under `npm run test:e2e:postgres` (the PostgreSQL store is what makes several instances possible).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import Anthropic from '@anthropic-ai/sdk';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../src/config.ts';
import { startSynrouter, type Synrouter } from '../src/server/http-server.ts';
import { ManualClock, startSimulator, type Simulator, type SimulatorOptions, type SimulatorRequestLog } from '../src/simulator/simulator.ts';
import { createPool } from '../src/store/postgres/connect.ts';
import { openPgAdmin } from '../src/store/postgres/store.ts';
import { startCluster, testDatabaseUrl } from '../src/testing/postgres.ts';
import { redisAvailable, startRedis } from '../src/testing/redis.ts';
import { startRoundRobin, type RoundRobin } from './support/round-robin.ts';
import { serveProcess, type ServeProcess } from './support/serve-process.ts';
import { eventually, startStack, testStore, type LedgerTurn } from './support/stack.ts';

const skip = testStore() === 'postgres' ? false : 'several instances need the PostgreSQL store: runs under npm run test:e2e:postgres';

type Row = LedgerTurn & { row_uid: string };

/** Two instances on one new database, one simulator, and the balancer in front. */
interface Pair {
  sim: Simulator;
  a: Synrouter;
  b: Synrouter;
  lb: RoundRobin;
  databaseUrl: string;
  rows(): Promise<Row[]>;
  close(): Promise<void>;
}

async function startPair(opts: { simulator?: SimulatorOptions; config?: (c: Config) => Config; databaseUrl?: string; redisUrl?: string } = {}): Promise<Pair> {
  const sim = await startSimulator({ port: 0, ...opts.simulator });
  const databaseUrl = opts.databaseUrl ?? await testDatabaseUrl();
  const env = { SYNROUTER_LOG_LEVEL: 'silent', SYNROUTER_ANTHROPIC_API_KEY: 'sim-key', SYNROUTER_ANTHROPIC_BASE_URL: sim.url };
  const config = () => {
    const c = loadConfig({ env, overrides: { port: 0, host: '127.0.0.1', dbPath: join(mkdtempSync(join(tmpdir(), 'sr-scale-')), 'unused.db'), databaseUrl, ...(opts.redisUrl ? { redisUrl: opts.redisUrl } : {}) } });
    return opts.config ? opts.config(c) : c;
  };
  const [a, b] = await Promise.all([startSynrouter(config(), { clock: sim.clock }), startSynrouter(config(), { clock: sim.clock })]);
  const lb = await startRoundRobin([a.url, b.url]);
  const pool = createPool(databaseUrl, { max: 1 });
  return {
    sim, a, b, lb, databaseUrl,
    async rows() {
      await Promise.all([a.deps.ledger.flush(), b.deps.ledger.flush()]);
      // In time order: each instance writes its rows in batches of its own, so ids interleave by flush.
      return (await pool.query<Row>('SELECT * FROM turns ORDER BY ts, id')).rows;
    },
    async close() {
      await lb.close();
      await pool.end();
      await Promise.all([a.close({ graceMs: 1000 }), b.close({ graceMs: 1000 })]);
      await sim.close();
    },
  };
}

const instanceOf = (r: Row) => r.row_uid.split(':')[0]!;
const messagesTo = (sim: Simulator) => sim.requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages');

// ---------------------------------------------------------------------------------------------
// A Claude Code-shaped session: its system blocks and tools, its session id in metadata.user_id and
// in X-Claude-Code-Session-Id, streamed turns, a tool loop of 29 rounds with some long outputs.

const TURNS = 30;
const SYSTEM: Anthropic.TextBlockParam[] = [
  { type: 'text', text: 'You are Claude Code, Anthropic\'s official CLI for Claude.' },
  { type: 'text', text: 'You are an interactive CLI tool that helps users with software engineering tasks. Follow the repository conventions. '.repeat(120) },
];
const TOOLS: Anthropic.Tool[] = ['Bash', 'Read', 'Edit', 'Write', 'Glob', 'Grep'].map((name) => ({
  name, description: `${name}: a tool Claude Code offers. `.repeat(40), input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
}));
/** Between the coding (40,000) and general (16,000) trim thresholds: kept whole in coding mode, trimmed in general. */
const MID = 19_500;
/** The request (0-based) before which the key switches from coding to general mode. */
const SWITCH_AT = 15;

/** The tool output appended after reply `i` (so first forwarded in request i + 1). */
function toolOutput(i: number): string {
  const first = i + 1;
  if (first === 5) return `step ${i}\n` + 'verbose build log line\n'.repeat(3000); // ~66k: trimmed in either mode
  if (first % 4 === 2 || first % 4 === 3) return `step ${i}\n` + `${'x'.repeat(60)} line ${i}\n`.repeat(Math.ceil(MID / 70)).slice(0, MID);
  return `step ${i}: ok`;
}

async function codingSession(baseURL: string, key: string, sessionId: string, beforeTurn: (i: number) => Promise<void>): Promise<void> {
  const client = new Anthropic({ apiKey: key, baseURL, maxRetries: 0, defaultHeaders: { 'X-Claude-Code-Session-Id': sessionId } });
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: [{ type: 'text', text: 'Fix the failing tests in this repository.' }] }];
  for (let i = 0; i < TURNS; i++) {
    await beforeTurn(i);
    const reply = await client.messages.stream({
      model: 'claude-sonnet-4-6', max_tokens: 1024, system: SYSTEM, tools: TOOLS, messages,
      metadata: { user_id: JSON.stringify({ device_id: 'dev-1', account_uuid: '', session_id: sessionId }) },
    }).finalMessage();
    messages.push({ role: 'assistant', content: reply.content });
    if (i === TURNS - 1) {
      assert.equal(reply.stop_reason, 'end_turn', 'the last turn is the final answer');
      break;
    }
    assert.equal(reply.stop_reason, 'tool_use', `turn ${i + 1} calls a tool`);
    const call = reply.content.find((b) => b.type === 'tool_use')!;
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: toolOutput(i) }] });
  }
}

/** Every tool_result text of a request body, by tool_use_id. */
function toolResults(body: unknown): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of (body as { messages: Anthropic.MessageParam[] }).messages) {
    if (typeof m.content === 'string') continue;
    for (const b of m.content) {
      if (b.type !== 'tool_result') continue;
      const c = b.content;
      out.set(b.tool_use_id, typeof c === 'string' ? c : (c ?? []).map((p) => (p.type === 'text' ? p.text : '')).join(''));
    }
  }
  return out;
}

async function switchToGeneral(admin: string, base: string, keyId: string): Promise<void> {
  const res = await fetch(`${base}/admin/api/keys/${keyId}`, { method: 'PATCH', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'general' }) });
  assert.equal(res.status, 200, await res.text());
}

test('a 30-turn Claude Code session alternating between two instances: the same upstream bytes and cache reads as on one instance, one row per turn, trim decisions replayed across instances', { skip, timeout: 180_000 }, async () => {
  // The same session on one instance.
  const one = await startStack({ simulator: { rounds: TURNS - 1 } });
  const oneAdmin = await one.app.deps.keys.create({ name: 'admin', role: 'admin' });
  await codingSession(one.anthropicBase, one.key, 'cc-one', async (i) => {
    if (i === SWITCH_AT) await switchToGeneral(oneAdmin.key, one.app.url, one.keyId);
  });
  const oneSent = messagesTo(one.sim);
  const oneRows = (await one.turns()).filter((r) => r.kind === 'turn');
  await one.close();

  const pair = await startPair({ simulator: { rounds: TURNS - 1 } });
  try {
    const { key, record } = await pair.a.deps.keys.create({ name: 'cc', mode: 'coding' });
    const admin = await pair.a.deps.keys.create({ name: 'admin', role: 'admin' });
    await codingSession(`${pair.lb.url}/api/anthropic`, key, 'cc-one', async (i) => {
      if (i !== SWITCH_AT) return;
      // Through A; B must see the new mode before the turn it serves next.
      await switchToGeneral(admin.key, pair.a.url, record.id);
      await eventually(async () => (await pair.b.deps.keys.find(key))?.mode === 'general', 'B sees the key in general mode');
    });
    const sent = messagesTo(pair.sim);
    const served = pair.lb.served.slice(-TURNS);
    assert.deepEqual(served, Array.from({ length: TURNS }, (_, i) => i % 2), 'turns alternated between the two instances');

    assert.equal(sent.length, TURNS);
    assert.equal(oneSent.length, TURNS);
    for (let i = 0; i < TURNS; i++) {
      assert.equal(JSON.stringify(sent[i]!.body), JSON.stringify(oneSent[i]!.body), `request ${i + 1}: the same bytes upstream as on one instance`);
    }
    const reads = (s: SimulatorRequestLog[]) => s.map((r) => (r.usage as { cache_read_input_tokens: number }).cache_read_input_tokens);
    assert.deepEqual(reads(sent), reads(oneSent), 'cache reads, turn by turn, equal those on one instance');
    // General mode lays the tools out in its own stable layers: the switch re-writes the prefix once.
    assert.ok(reads(sent).every((n, i) => (i === 0 || i === SWITCH_AT ? n === 0 : n > 0)), `every turn after the first reads the cache, but the one after the mode switch: ${reads(sent).join(' ')}`);

    // Trim decisions: each result's bytes never change once forwarded, whichever instance sends it.
    const seen = new Map<string, string>();
    for (const [i, r] of sent.entries()) {
      for (const [id, text] of toolResults(r.body)) {
        if (seen.has(id)) assert.equal(text, seen.get(id), `request ${i + 1}: ${id} replayed byte-identically`);
        else seen.set(id, text);
      }
    }
    const last = [...toolResults(sent.at(-1)!.body).values()];
    const whole = last.filter((t) => t.length > 16_000 && !t.includes('Synrouter trimmed')).length;
    const trimmed = last.filter((t) => t.includes('Synrouter trimmed')).length;
    // First forwarded before the switch (0-based requests 2, 3, 6, 7, 10, 11, 14: by A when even, B when
    // odd): kept, also by the instance that never saw it decided (request 15 is B's, 14's result A's); after it: trimmed.
    assert.equal(whole, 7, `the 20k results decided in coding mode stay whole after the switch, on both instances: ${last.map((t) => `${t.length}${t.includes('Synrouter trimmed') ? 't' : ''}`).join(' ')}`);
    assert.equal(trimmed, 8, 'the 7 results first sent after the switch, and the 66k one, are trimmed');

    const rows = (await pair.rows()).filter((r) => r.kind === 'turn');
    assert.equal(rows.length, TURNS, 'one ledger row per turn');
    assert.equal(new Set(rows.map((r) => r.request_id)).size, TURNS);
    assert.ok(rows.every((r) => r.status === 200 && r.session_id === 'cc-one'));
    assert.deepEqual([...new Set(rows.map(instanceOf))].length, 2, 'rows from both instances');
    assert.deepEqual(rows.map((r) => r.cache_read_tokens), oneRows.map((r) => r.cache_read_tokens), 'the ledger meters what the single instance metered');
    assert.ok(Math.abs(rows.reduce((s, r) => s + r.cost_usd!, 0) - oneRows.reduce((s, r) => s + r.cost_usd!, 0)) < 1e-9, 'and the same cost');
  } finally {
    await pair.close();
  }
});

// ---------------------------------------------------------------------------------------------

const ask = (base: string, key: string, extra: Record<string, string> = {}) => fetch(`${base}/api/anthropic/v1/messages`, {
  method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json', ...extra },
  body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
});

test('a key revoked through instance A is refused by instance B within 1 s', { skip }, async () => {
  const pair = await startPair();
  try {
    const { key, record } = await pair.a.deps.keys.create({ name: 'to-revoke' });
    const admin = await pair.a.deps.keys.create({ name: 'admin', role: 'admin' });
    assert.equal((await ask(pair.b.url, key)).status, 200, 'B serves the key A made');
    const res = await fetch(`${pair.a.url}/admin/api/keys/${record.id}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${admin.key}` } });
    assert.equal(res.status, 200, await res.text());
    const t0 = performance.now();
    let status = 200;
    while (status === 200) {
      assert.ok(performance.now() - t0 < 1000, 'B still served the key 1 s after A revoked it');
      status = (await ask(pair.b.url, key)).status;
    }
    assert.equal(status, 401);
  } finally {
    await pair.close();
  }
});

for (const counter of ['postgres', 'redis'] as const) {
  test(`an RPM limit of 20 holds across two instances (counter: ${counter}): 40 requests alternating between them, 8 at a time, exactly 20 admitted`, { skip: skip || (counter === 'redis' && !redisAvailable() ? 'no redis-server here' : false) }, async () => {
    const redis = counter === 'redis' ? await startRedis() : undefined;
    const pair = await startPair({ ...(redis ? { redisUrl: redis.url } : {}), config: (c) => ({ ...c, limits: { ...c.limits, requestsPerMinute: 20 } }) });
    try {
      const { key } = await pair.a.deps.keys.create({ name: 'rpm' });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i += 8) {
        statuses.push(...await Promise.all(Array.from({ length: 8 }, async () => { const r = await ask(pair.lb.url, key); await r.text(); return r.status; })));
      }
      const served = pair.lb.served;
      assert.equal(served.filter((i) => i === 0).length, 20, 'half went to each instance');
      assert.equal(statuses.filter((s) => s === 200).length, 20, `admitted: ${statuses.join(' ')}`);
      assert.equal(statuses.filter((s) => s === 429).length, 20);
      assert.equal((await pair.rows()).filter((r) => r.status === 200).length, 20);
      if (redis) {
        // Counted in Redis, not in PostgreSQL.
        const r = new Redis(redis.url);
        assert.equal(await r.zcard(`sr:rpm:${(await pair.a.deps.keys.find(key))!.id}`), 20, 'the window is in Redis');
        r.disconnect();
      }
      const pool = createPool(pair.databaseUrl, { max: 1 });
      assert.equal((await pool.query('SELECT count(*) AS n FROM rate_log')).rows[0].n, redis ? 0 : 20, redis ? 'PostgreSQL counted nothing' : 'the window is in PostgreSQL');
      await pool.end();
    } finally {
      await pair.close();
      redis?.stop();
    }
  });
}

test('Redis unreachable: requests are still served, each instance counts its own, and /metrics says so', { skip: skip || (!redisAvailable() ? 'no redis-server here' : false), timeout: 60_000 }, async () => {
  const redis = await startRedis();
  const pair = await startPair({ redisUrl: redis.url, config: (c) => ({ ...c, limits: { ...c.limits, requestsPerMinute: 4 } }) });
  try {
    const { key } = await pair.a.deps.keys.create({ name: 'redis-down' });
    const admin = await pair.a.deps.keys.create({ name: 'admin', role: 'admin' });
    const shared = async (app: Synrouter) => /^synrouter_limits_shared (\d)/m.exec(await (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${admin.key}` } })).text())?.[1];
    const statuses = async (app: Synrouter, n: number) => { const out: number[] = []; for (let i = 0; i < n; i++) out.push((await ask(app.url, key)).status); return out; };
    assert.deepEqual([...await statuses(pair.a, 2), ...await statuses(pair.b, 3)], [200, 200, 200, 200, 429], 'shared: 4 of 5 across both');
    assert.equal(await shared(pair.a), '1');
    redis.stop();
    // Each instance alone counts from the moment it fell back: 4 more each, then 429s (the stated
    // tolerance of the fallback: N instances admit up to N times the limit).
    const [sa, sb] = [await statuses(pair.a, 6), await statuses(pair.b, 6)];
    assert.deepEqual(sa, [200, 200, 200, 200, 429, 429], 'A serves, under its own limit');
    assert.deepEqual(sb, [200, 200, 200, 200, 429, 429], 'B too');
    assert.equal(await shared(pair.a), '0', '/metrics: limits are per instance now');
    assert.equal(await shared(pair.b), '0');
  } finally {
    await pair.close();
    redis.stop();
  }
});

/**
 * Turns of one session on the given instances (in order), with idle spells in between on a manual
 * clock, every instance ticking its keep-alive at each step as its timer would. Returns the ledger.
 */
async function keepAliveScenario(clock: ManualClock, turnsOn: Synrouter[], all: Synrouter[], key: string, rows: () => Promise<Row[]>): Promise<Row[]> {
  const SYS = 'You are a careful coding agent. Keep answers short and precise. '.repeat(400);
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Session task.' }, { role: 'assistant', content: 'Working on it.' }];
  // Quick turns (a tool loop), then an idle spell that the pings bridge, a few quick turns, another spell.
  const idleMinutes = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 9.5, 0.5, 0.5, 9.5];
  for (const [i, app] of turnsOn.entries()) {
    const client = new Anthropic({ apiKey: key, baseURL: `${app.url}/api/anthropic`, maxRetries: 0 });
    // Each turn brings a long tool output: extending a 5m entry stays cheaper than a 1h one (choose-ttl.ts) after an idle spell.
    messages.push({ role: 'user', content: `turn ${i + 1}\n` + `output line ${i + 1}\n`.repeat(1500) });
    const reply = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 256, system: SYS, messages, metadata: { user_id: JSON.stringify({ session_id: 'ka-shared' }) } });
    messages.push({ role: 'assistant', content: reply.content });
    for (let t = 0; t < idleMinutes[i]! * 60; t += 30) {
      clock.advance(30_000);
      await Promise.all(all.map((a) => a.deps.keepalive.tick(clock.now())));
    }
  }
  return await rows();
}

test('keep-alive across instances: as many pings as on one instance, one per due time, each from the instance that served the session\'s last turn', { skip }, async () => {
  const T0 = Date.UTC(2026, 11, 4, 9);
  const oneClock = new ManualClock(T0);
  const one = await startStack({ simulator: { clock: oneClock } });
  const oneRows = await keepAliveScenario(oneClock, Array(11).fill(one.app), [one.app], one.key, async () => (await one.turns()) as Row[]);
  await one.close();
  const onePings = oneRows.filter((r) => r.kind === 'keepalive');
  assert.ok(onePings.length >= 3, `the scenario pings on one instance: ${oneRows.map((r) => r.kind).join(' ')}`);

  const clock = new ManualClock(T0);
  const pair = await startPair({ simulator: { clock } });
  try {
    const { key } = await pair.a.deps.keys.create({ name: 'ka', mode: 'coding' });
    const { a, b } = pair;
    const rows = await keepAliveScenario(clock, [a, b, a, b, a, b, a, b, a, b, a], [a, b], key, () => pair.rows());
    assert.deepEqual(rows.map((r) => r.kind), oneRows.map((r) => r.kind), 'the same turns and pings, in the same order, as on one instance');
    const pings = rows.filter((r) => r.kind === 'keepalive');
    assert.deepEqual(pings.map((r) => r.ts), onePings.map((r) => r.ts), 'at the same due times');
    assert.equal(new Set(pings.map((r) => r.ts)).size, pings.length, 'one ping per due time');
    let owner = '';
    for (const r of rows) {
      if (r.kind === 'turn') owner = instanceOf(r);
      else assert.equal(instanceOf(r), owner, `the ping at ${new Date(r.ts).toISOString()} comes from the instance that served the last turn`);
    }
    assert.deepEqual(new Set(pings.map(instanceOf)).size, 2, 'both instances pinged, each after its own turns');
    assert.deepEqual(rows.filter((r) => r.kind === 'turn').map((r) => r.cache_read_tokens), oneRows.filter((r) => r.kind === 'turn').map((r) => r.cache_read_tokens), 'the turns read what they read on one instance');
    assert.equal(messagesTo(pair.sim).length, rows.length, 'every ping and turn reached the upstream once');
  } finally {
    await pair.close();
  }
});

// ---------------------------------------------------------------------------------------------
// `synrouter serve` processes on one database, behind the balancer.

let procSim: Simulator;
before(async () => { if (!skip) procSim = await startSimulator({ port: 0, rounds: 1000 }); });
after(async () => { await procSim?.close(); });

async function serveTwo(databaseUrl: string): Promise<[ServeProcess, ServeProcess]> {
  const env = { SYNROUTER_DATABASE_URL: databaseUrl, SYNROUTER_ANTHROPIC_API_KEY: 'sim', SYNROUTER_ANTHROPIC_BASE_URL: procSim.url, SYNROUTER_LOG_LEVEL: 'silent', SYNROUTER_SHUTDOWN_GRACE_MS: '20000' };
  return await Promise.all([serveProcess(env), serveProcess(env)]);
}

/** Session s: `turns` turns one after another through `base`, most streamed slowly. Resolves with what each turn ended as. */
async function loadSession(base: string, key: string, tag: string, s: number, turns: number): Promise<Array<'complete' | 'in-band error' | 'cut' | `status ${number}`>> {
  const out: Array<'complete' | 'in-band error' | 'cut' | `status ${number}`> = [];
  const messages: Array<{ role: string; content: string }> = [];
  for (let t = 0; t < turns; t++) {
    messages.push({ role: 'user', content: `Session ${s}, turn ${t}: tell me a long story about ${s * 100 + t}.` });
    const stream = t % 4 !== 3;
    try {
      const res = await fetch(`${base}/api/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json', 'x-session-id': `${tag}-${s}`, ...(stream ? { 'x-sim-delta-ms': '15' } : {}) },
        body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 600, stream, messages }),
      });
      const text = await res.text();
      if (res.status !== 200) out.push(`status ${res.status}: ${text.slice(0, 200)}` as `status ${number}`);
      else if (!stream) out.push('complete');
      else out.push(text.includes('event: message_stop') ? 'complete' : text.includes('event: error') ? 'in-band error' : 'cut');
    } catch {
      out.push('cut');
    }
    messages.push({ role: 'assistant', content: `Reply ${t}.` });
  }
  return out;
}

/** Per session: the ledger's rows against the requests the simulator received from it. */
function rowsPerSession(rows: Row[], tag: string, sessions: number): Array<{ rows: Row[]; received: number }> {
  return Array.from({ length: sessions }, (_, s) => ({
    rows: rows.filter((r) => r.session_id === `${tag}-${s}`),
    received: messagesTo(procSim).filter((r) => r.headers['x-session-id'] === `${tag}-${s}`).length,
  }));
}

/** SIGTERM, and the exit: its last rows are flushed. */
async function stop(p: ServeProcess): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  p.proc.kill('SIGTERM');
  const [code] = await once(p.proc, 'exit');
  assert.equal(code, 0, `exited cleanly: ${p.stderr()}`);
}

async function allRows(databaseUrl: string): Promise<Row[]> {
  const pool = createPool(databaseUrl, { max: 1 });
  try {
    return (await pool.query<Row>('SELECT * FROM turns ORDER BY id')).rows;
  } finally {
    await pool.end();
  }
}

async function clientKey(databaseUrl: string): Promise<string> {
  const admin = await openPgAdmin(databaseUrl);
  try {
    return (await admin.keys.create({ name: 'load', mode: 'coding' })).key;
  } finally {
    await admin.close();
  }
}

/**
 * Two `synrouter serve` processes on a new database behind the balancer, and a load of `sessions`
 * sessions of `turns` turns through it. Resolves once a third of the turns reached the simulator and A
 * relays streams right then (the balancer's CPU is the test's, so that is waited for, not assumed).
 */
async function loadOnTwo(tag: string, sessions: number, turns: number) {
  const databaseUrl = await testDatabaseUrl();
  const key = await clientKey(databaseUrl);
  const [a, b] = await serveTwo(databaseUrl);
  const lb = await startRoundRobin([a.url, b.url]);
  const start = messagesTo(procSim).length;
  const load = Array.from({ length: sessions }, (_, s) => loadSession(lb.url, key, tag, s, turns));
  while (messagesTo(procSim).length - start < (sessions * turns) / 3) await new Promise((r) => setTimeout(r, 5));
  while (lb.active(0) < 2) await new Promise((r) => setTimeout(r, 2));
  return { databaseUrl, a, b, lb, load };
}

test('kill -9 of one instance in the middle of a load: the next turns succeed on the other, and no row is lost (the killed one\'s streams become interrupted turns)', { skip, timeout: 120_000 }, async (t) => {
  const TAG = 'kill9';
  const SESSIONS = 8;
  const TURNS_EACH = 8;
  const { databaseUrl, a, b, lb, load } = await loadOnTwo(TAG, SESSIONS, TURNS_EACH);
  try {
    a.proc.kill('SIGKILL');
    await once(a.proc, 'exit');
    const ends = await Promise.all(load);
    // A session whose turn died with A goes on: every turn after it is served by B. One exception, the
    // kernel's and not Synrouter's: SIGKILL closes a process's sockets one by one, so a connection to
    // A's port can still complete its handshake (in the listen backlog) just after A's streams were
    // cut, and is then reset unread. That request never reached Synrouter (the row count below proves
    // it: no row, the simulator never saw it); a balancer cannot know that, so it answers 502 (nginx
    // does too: a POST is not retried once sent). Only the turn right after the cut may meet it.
    const unreadReset = /^status 502: balancer: read ECONNRESET$/;
    for (const [s, e] of ends.entries()) {
      const firstCut = e.findIndex((x) => x !== 'complete');
      if (firstCut < 0) continue;
      const after = e.slice(firstCut + 1);
      const rest = unreadReset.test(after[0] ?? '') ? after.slice(1) : after;
      assert.deepEqual(rest.filter((x) => x !== 'complete'), [], `session ${s}: after the kill every turn succeeds (${e.join(', ')})`);
    }
    assert.ok(ends.flat().includes('cut'), 'some streams were cut by the kill');
    // B's housekeeping finds A's heartbeat stopped and records its open rows as interrupted (within ~12 s).
    await eventually(async () => (await allRows(databaseUrl)).some((r) => r.error_code === 'INTERRUPTED'), 'the killed instance\'s open rows are recovered', 30_000);
    await stop(b);
    const rows = await allRows(databaseUrl);
    let unsent = 0;
    for (const [s, { rows: mine, received }] of rowsPerSession(rows, TAG, SESSIONS).entries()) {
      // As in kill9.test.ts: a row is opened before the request goes out, so the kill can fall between
      // the two; that request has a row (interrupted, nothing billed) the simulator never saw.
      const extra = mine.length - received;
      assert.ok(extra === 0 || extra === 1, `session ${s}: ${mine.length} rows for ${received} requests received`);
      if (extra === 1) {
        unsent++;
        assert.ok(mine.some((r) => r.error_code === 'INTERRUPTED' && r.cost_usd === null && r.input_tokens + r.output_tokens === 0), `session ${s}: the extra row is a request stopped on its way out`);
      }
    }
    const interrupted = rows.filter((r) => r.error_code === 'INTERRUPTED');
    t.diagnostic(`rows ${rows.length}, interrupted ${interrupted.length}, stopped before the upstream ${unsent}; turn ends: ${ends.flat().filter((x) => x !== 'complete').join(', ')}`);
    assert.ok(interrupted.every((r) => r.aborted === 1));
    const left = createPool(databaseUrl, { max: 1 });
    assert.equal((await left.query('SELECT count(*) AS n FROM open_turns')).rows[0].n, 0, 'nothing left open');
    await left.end();
  } finally {
    await lb.close();
    a.proc.kill('SIGKILL');
    await stop(b);
  }
});

test('a rolling restart: one instance out of the balancer and SIGTERM during its streams: every stream completes, 0 rows lost, the turns go on on the other', { skip, timeout: 120_000 }, async () => {
  const TAG = 'sigterm';
  const SESSIONS = 8;
  const TURNS_EACH = 12;
  const { databaseUrl, a, b, lb, load } = await loadOnTwo(TAG, SESSIONS, TURNS_EACH);
  try {
    // The rolling restart as the README has it: out of the balancer first, then SIGTERM. (A balancer
    // that goes on sending to an instance while it closes its port can see a request reset at that
    // moment: a 502 before anything reached Synrouter, no row and nothing billed.)
    lb.down(0);
    const signalledAt = Date.now();
    a.proc.kill('SIGTERM');
    const [code] = await once(a.proc, 'exit');
    assert.equal(code, 0, `A drained and exited cleanly: ${a.stderr()}`);
    const ends = await Promise.all(load);
    // Within the grace period a drain finishes its streams; none is cut, none ends without its end.
    assert.deepEqual(ends.flat().filter((x) => x !== 'complete'), [], 'every turn completed');
    await stop(b);
    const rows = await allRows(databaseUrl);
    for (const [s, { rows: mine, received }] of rowsPerSession(rows, TAG, SESSIONS).entries()) {
      assert.equal(mine.length, received, `session ${s}: one row per request the simulator received`);
      assert.equal(mine.length, TURNS_EACH);
    }
    assert.equal(rows.filter((r) => r.error_code === 'INTERRUPTED').length, 0);
    // A's streams that were running when it was told to stop: finished, whole, during its drain.
    const later = new Set(rows.filter((r) => r.ts > signalledAt + 300).map(instanceOf));
    assert.equal(later.size, 1, 'after the signal only B takes turns');
    const drained = rows.filter((r) => !later.has(instanceOf(r)) && r.ts < signalledAt && r.ts + r.latency_ms! > signalledAt);
    assert.ok(drained.length > 0, 'A had streams in flight when it was signalled');
    assert.ok(drained.every((r) => r.status === 200 && r.aborted === 0 && r.error_code === null), 'and finished them');
  } finally {
    await lb.close();
    a.proc.kill('SIGKILL');
    await stop(b);
  }
});

test('the database unreachable: requests are still served, limits fall back to each instance\'s own, and /metrics says so', { skip, timeout: 60_000 }, async () => {
  // A cluster of this test's own, to stop.
  const cluster = await startCluster();
  const databaseUrl = `${cluster.url.replace(/\/postgres$/, '')}/postgres`;
  const pair = await startPair({ databaseUrl, config: (c) => ({ ...c, limits: { ...c.limits, requestsPerMinute: 6 } }) });
  try {
    const { key } = await pair.a.deps.keys.create({ name: 'down' });
    const admin = await pair.a.deps.keys.create({ name: 'admin', role: 'admin' });
    const unseen = await pair.a.deps.keys.create({ name: 'never used' });
    assert.equal((await ask(pair.a.url, key)).status, 200);
    assert.equal((await ask(pair.b.url, key)).status, 200, 'B has seen the key while the database was up');
    const shared = async (app: Synrouter) => {
      const text = await (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${admin.key}` } })).text();
      return /^synrouter_limits_shared (\d)/m.exec(text)?.[1] ?? text.slice(0, 300);
    };
    assert.equal(await shared(pair.a), '1');
    assert.equal(await shared(pair.b), '1');
    const ready = async (app: Synrouter) => { const r = await fetch(`${app.url}/ready`); return [r.status, ((await r.json()) as { status: string }).status]; };
    assert.deepEqual(await ready(pair.a), [200, 'ready']);
    cluster.stop();
    // A key neither instance has checked yet cannot be: a 503 in the caller's protocol, with retry-after.
    const refused = await ask(pair.b.url, unseen.key);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.equal(((await refused.json()) as { error: { type: string } }).error.type, 'api_error');
    // Two used of 6 across both; now each instance counts alone: A admits its own 6 - 1 more, B 6 - 1.
    const statuses = async (app: Synrouter) => { const out: number[] = []; for (let i = 0; i < 8; i++) out.push((await ask(app.url, key)).status); return out; };
    const [sa, sb] = [await statuses(pair.a), await statuses(pair.b)];
    assert.ok(sa.includes(200) && sb.includes(200), `requests still served: A ${sa.join(' ')}, B ${sb.join(' ')}`);
    assert.ok(sa.includes(429) && sb.includes(429), 'and each instance applies its own RPM limit');
    assert.ok(sa.filter((s) => s === 200).length <= 6 && sb.filter((s) => s === 200).length <= 6);
    assert.equal(await shared(pair.a), '0', 'A says in /metrics that limits are per instance');
    assert.equal((await fetch(`${pair.a.url}/health`)).status, 200);
    assert.deepEqual(await ready(pair.a), [200, 'ready'], 'still ready: a balancer that checks /ready keeps serving through the outage');
    assert.match(((await (await fetch(`${pair.a.url}/ready`)).json()) as { store: string }).store, /^postgres unreachable, serving degraded/);
    assert.equal(await shared(pair.b), '0');
  } finally {
    await pair.close();
    cluster.stop();
  }
});
