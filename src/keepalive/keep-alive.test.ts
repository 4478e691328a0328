/**
 * The keep-alive on its own (the simulator as the upstream, on a manual clock): the break-even rule,
 * the lazily built ping body, and the memory bound on what it keeps.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Limits } from '../auth/limits.ts';
import { Spliced } from '../json/splice.ts';
import { Metrics } from '../meter/metrics.ts';
import { createRegistry, type Prices } from '../route/registry.ts';
import { ManualClock } from '../simulator/clock.ts';
import { startSimulator, type Simulator } from '../simulator/simulator.ts';
import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../store/db.ts';
import { KeyStore } from '../store/keys.ts';
import { Ledger } from '../store/ledger.ts';
import { Queries } from '../store/queries.ts';
import { sqliteReader } from '../store/sql.ts';
import { createUpstreamAgent } from '../upstream/send-upstream.ts';
import { RowSink } from '../store/row-sink.ts';
import { DEFAULT_KEEPALIVE, KeepAlive, worthPinging, type TrackedSession } from './keep-alive.ts';
import { pingAllowed, pingBody } from './ping-body.ts';
import { PING_EVERY_MS } from '../rewrite/choose-ttl.ts';

const SONNET: Prices = { input: 3, output: 15, cacheRead: 0.3, cacheWrite5m: 3.75, cacheWrite1h: 6 };
const START = Date.UTC(2026, 10, 25, 9, 0, 0);
const clock = new ManualClock(START);
let sim: Simulator;
before(async () => { sim = await startSimulator({ port: 0, clock }); });
after(() => sim.close());

/** Counts the pings the rule allows in a row when every ping costs what the first is estimated at. */
function pingsAllowed(prefixTokens: number, prices: Prices): number {
  const ping = (prefixTokens * prices.cacheRead) / 1e6;
  let n = 0;
  while (worthPinging({ prefixTokens, prices, pingUsd: n * ping, lastPingUsd: n ? ping : null }) && n < 1000) n++;
  return n;
}

test('worthPinging: pings of one idle spell, the next included, cost no more than one 5m write of the prefix', () => {
  assert.equal(pingsAllowed(50_000, SONNET), 12, 'Sonnet: read 0.1x, write 1.25x');
  assert.equal(pingsAllowed(50_000, { ...SONNET, cacheRead: 0.075 }), 50, 'a 0.025x read price: 50 pings');
  assert.equal(pingsAllowed(50_000, { ...SONNET, cacheRead: 3.75 }), 1, 'a read as dear as the write: one ping');
  // The next ping is priced as the last one actually cost (e.g. with an uncached tail).
  assert.equal(worthPinging({ prefixTokens: 10_000, prices: SONNET, pingUsd: 0.03, lastPingUsd: 0.0075 }), true, '0.0375 = one write');
  assert.equal(worthPinging({ prefixTokens: 10_000, prices: SONNET, pingUsd: 0.03, lastPingUsd: 0.008 }), false);
});

test('pingAllowed is the cheap per-turn check; pingBody edits only max_tokens and stream, byte for byte', () => {
  assert.equal(pingAllowed({}), true);
  assert.equal(pingAllowed({ thinking: { type: 'enabled' } }), false);
  assert.equal(pingAllowed({ thinking: { type: 'adaptive' } }), true);
  assert.equal(pingAllowed({ output_config: { format: { type: 'json_schema' } } }), false);
  assert.equal(pingAllowed({ tool_choice: { type: 'tool' } }), false);
  assert.equal(pingAllowed({ tool_choice: { type: 'auto' } }), true);
  const body = Buffer.from('{"model":"m", "max_tokens" : 2048,"stream":true,"messages":[{"role":"user","content":"hi"}]}');
  assert.equal(pingBody(body)!.toString(), '{"model":"m", "max_tokens" : 0,"stream":false,"messages":[{"role":"user","content":"hi"}]}');
  assert.equal(pingBody(body, { thinking: { type: 'enabled' } }), undefined);
});

/** The ledger's spend of a key since a time, as the SQLite store gives it to Limits (store/sqlite-store.ts). */
function spentSince(db: DatabaseSync) {
  const st = db.prepare('SELECT coalesce(sum(cost_usd), 0) AS usd FROM turns WHERE key_id = ? AND ts >= ?');
  return (keyId: string, since: number) => (st.get(keyId, since) as { usd: number }).usd;
}

interface Rig { ka: KeepAlive; keys: KeyStore; ledger: Ledger; metrics: Metrics; keyId: string; db: DatabaseSync; close(): void }

function rig(config: Partial<typeof DEFAULT_KEEPALIVE> = {}): Rig {
  const db = openDatabase(':memory:');
  const keys = new KeyStore(db);
  const ledger = new Ledger(db, { flushMs: 60_000, batchSize: 1000 });
  const metrics = new Metrics(createRegistry());
  const agent = createUpstreamAgent({ headersTimeoutMs: 10_000, bodyIdleTimeoutMs: 10_000, connections: 8 });
  const limits = new Limits({ requestsPerMinute: 0, concurrentRequests: 0 }, spentSince(db));
  const ka = new KeepAlive({ agent, keys, rows: new RowSink({ ledger, metrics, limits }), limits, queries: new Queries(sqliteReader(db)), config: { ...DEFAULT_KEEPALIVE, ...config } });
  const keyId = keys.create({ name: 't', mode: 'coding', now: START }).record.id;
  return { ka, keys, ledger, metrics, keyId, db, close: () => { ledger.close(); void agent.close(); db.close(); } };
}

interface Usage { input_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number }
let n = 0;
/** A streaming turn straight to the simulator (which caches its prefix), as Synrouter would have sent it, its markers all `ttl`. */
async function turn(session: string, ttl: '5m' | '1h' = '5m'): Promise<{ body: Buffer; inputTokens: number }> {
  const cache_control = ttl === '1h' ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' };
  const body = Buffer.from(JSON.stringify({
    model: 'claude-sonnet-4-6', max_tokens: 512, stream: true,
    system: [{ type: 'text', text: `Session ${session} ${n++}. ` + 'You are a careful coding agent. '.repeat(900), cache_control }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'go', cache_control }] }],
  }));
  const res = await fetch(`${sim.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'k', 'content-type': 'application/json' }, body });
  const events = (await res.text()).split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { type: string; message?: { usage: Usage } });
  const usage = events.find((e) => e.type === 'message_start')!.message!.usage;
  return { body, inputTokens: usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens };
}

function tracked(r: Rig, session: string, t: { body: Buffer; inputTokens: number }, prices: Prices | null = SONNET, ttl: '5m' | '1h' = '5m'): TrackedSession {
  return {
    ttl, keyId: r.keyId, mode: 'coding', sessionId: session, clientProtocol: 'anthropic', requestedModel: 'claude-sonnet-4-6', upstreamModel: 'claude-sonnet-4-6',
    providerName: 'anthropic', baseUrl: sim.url, path: '/v1/messages', headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
    body: new Spliced([t.body]), prices, prefixTokens: t.inputTokens, lastRefreshAt: clock.now(), lastTurnAt: clock.now(),
  };
}

const pingsSent = () => sim.requests.filter((q) => (q.body as { max_tokens?: number }).max_tokens === 0);

async function idle(r: Rig, minutes: number): Promise<void> {
  for (let t = 0; t < minutes * 60; t += 30) {
    clock.advance(30_000);
    await r.ka.tick(clock.now());
  }
}

test('the ping body is built only when a ping is due, from the kept turn body; only those bytes are accounted', async () => {
  const r = rig();
  try {
    const t = await turn('lazy');
    r.ka.track(tracked(r, 'lazy', t));
    assert.equal(r.ka.bytes, t.body.length, 'what is kept is the turn body itself');
    const before = pingsSent().length;
    await idle(r, 5);
    const sent = pingsSent().slice(before);
    assert.equal(sent.length, 1);
    assert.equal((sent[0]!.body as { stream?: boolean }).stream, false, 'the ping is not streamed');
    assert.deepEqual((sent[0]!.body as { system: unknown }).system, JSON.parse(t.body.toString()).system, 'with the exact prefix');
    assert.equal(r.ka.bytes, t.body.length, 'building the ping kept nothing more');
    // The memory bound still holds with turn bodies: past maxBytes the least recently active go.
    const small = rig({ maxBytes: t.body.length * 2 });
    try {
      for (const s of ['a', 'b', 'c']) small.ka.track(tracked(small, s, t));
      assert.equal(small.ka.size, 2);
      assert.ok(small.ka.bytes <= t.body.length * 2);
    } finally {
      small.close();
    }
  } finally {
    r.close();
  }
});

test('break-even: with a read at 2/7 of the write price, 3 pings, then the session is dropped; a real turn starts a new spell', async () => {
  const prices: Prices = { ...SONNET, cacheRead: 1, cacheWrite5m: 3.5 };
  const r = rig();
  try {
    const t = await turn('even');
    r.ka.track(tracked(r, 'even', t, prices));
    const before = pingsSent().length;
    await idle(r, 30);
    assert.equal(pingsSent().length - before, 3, '1 + 1 + 1 <= 3.5 < 4');
    assert.equal(r.ka.size, 0);
    // A real turn (re-tracked) resets the count.
    const t2 = await turn('even');
    r.ka.track(tracked(r, 'even', t2, prices));
    await idle(r, 5);
    assert.equal(pingsSent().length - before, 4);
    // Each ping is a ledger row and a /metrics observation.
    assert.match(r.metrics.render(), /^synrouter_turns_total\{kind="keepalive",model="anthropic\/claude-sonnet-4\.6",status="200"\} 4$/m);
  } finally {
    r.close();
  }
});

test('unknown prices: the session is not kept at all', async () => {
  const r = rig();
  try {
    const t = await turn('unpriced');
    r.ka.track(tracked(r, 'unpriced', t, null));
    assert.equal(r.ka.size, 0);
    assert.equal(r.ka.bytes, 0);
  } finally {
    r.close();
  }
});

test('a 1h entry is not pinged before its hour; under the coding mode\'s 60-minute idle limit it is not kept at all', async () => {
  const r = rig();
  try {
    const t = await turn('hour', '1h');
    r.ka.track(tracked(r, 'hour', t, SONNET, '1h'));
    assert.equal(r.ka.size, 0, 'the entry lives as long as the session may idle: nothing to keep warm');
    assert.equal(r.ka.bytes, 0);
  } finally {
    r.close();
  }
  // An idle limit longer than the entry: one ping shortly before the hour, none at 4.5 minutes.
  const long = rig({ maxIdleMs: { ...DEFAULT_KEEPALIVE.maxIdleMs, coding: 90 * 60_000 } });
  try {
    const t = await turn('hour-long', '1h');
    const start = clock.now();
    long.ka.track(tracked(long, 'hour-long', t, SONNET, '1h'));
    const before = pingsSent().length;
    await idle(long, 59);
    assert.equal(pingsSent().length - before, 0, 'no ping in the first 59 minutes');
    await idle(long, 60);
    const sent = sim.requests.slice(-1)[0]!;
    assert.equal(pingsSent().length - before, 1, 'one ping: the entry it refreshed lives past the 90-minute limit');
    assert.equal(sent.startMs - start, 59.5 * 60_000, 'at 59.5 minutes');
    const usage = sent.usage as unknown as Usage;
    assert.ok(usage.cache_read_input_tokens > 5000 && usage.cache_creation_input_tokens === 0, 'it read the 1h entry and wrote nothing');
    assert.equal(long.ka.size, 0);
  } finally {
    long.close();
  }
});

test('a ping is in the ledger before it goes out (an open row, committed), and its finished row replaces it', async () => {
  const r = rig();
  const rows = (table: string) => r.db.prepare(`SELECT kind, status FROM ${table}`).all().map((x) => ({ ...x }));
  try {
    r.ka.track(tracked(r, 'open', await turn('open')));
    clock.advance(PING_EVERY_MS);
    const before = pingsSent().length;
    // What the store holds when the keep-alive's open resolves, i.e. just before the request leaves
    // (the keep-alive awaits the store first: its checks read the store, which may be remote).
    let atOpen: { open: unknown[]; sent: number } | undefined;
    const open = r.ledger.open.bind(r.ledger);
    r.ledger.open = (row, progress) => open(row, progress).then((o) => { atOpen = { open: rows('open_turns'), sent: pingsSent().length }; return o; });
    await r.ka.tick(clock.now());
    assert.deepEqual(atOpen, { open: [{ kind: 'keepalive', status: 0 }], sent: before }, 'written before the request left');
    assert.equal(pingsSent().length, before + 1);
    r.ledger.flush();
    assert.deepEqual(rows('open_turns'), []);
    assert.deepEqual(rows('turns'), [{ kind: 'keepalive', status: 200 }]);
  } finally {
    r.close();
  }
});
