/**
 * Whether a turn's session is kept warm, from the request actually sent upstream: the TTL of its
 * deepest breakpoint, the client's own markers included, not the TTL the engine chose for its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ENGINE_CONFIG } from '../rewrite/cache-engine.ts';
import { rewriteAnthropicRequest } from '../rewrite/rewrite-request.ts';
import { anthropicStable, fingerprint } from '../session/fingerprint.ts';
import type { SessionCacheState } from '../session/session-state.ts';
import { scriptSession } from '../testing/agent-sessions.ts';
import type { MessagesRequest } from '../protocols/anthropic/wire.ts';
import { createRegistry } from '../route/registry.ts';
import type { Route } from '../route/resolve-route.ts';
import { anthropic } from '../upstream/providers.ts';
import { newTurn } from '../turn.ts';
import type { KeyRecord } from '../store/keys.ts';
import { Limits } from '../auth/limits.ts';
import { Metrics } from '../meter/metrics.ts';
import { openDatabase } from '../store/db.ts';
import { KeyStore } from '../store/keys.ts';
import { Ledger } from '../store/ledger.ts';
import { Queries } from '../store/queries.ts';
import { sqliteReader } from '../store/sql.ts';
import type { DatabaseSync } from 'node:sqlite';
import { createUpstreamAgent } from '../upstream/send-upstream.ts';
import { RowSink } from '../store/row-sink.ts';
import { DEFAULT_KEEPALIVE, KeepAlive, type TrackedSession } from './keep-alive.ts';
import { entryTtl, keepWarm } from './keep-warm.ts';

const registry = createRegistry();
const route: Route = {
  providerName: 'anthropic', provider: { spec: anthropic, baseUrl: 'http://127.0.0.1:9', apiKeys: ['k'] },
  entry: registry.resolve('claude-sonnet-4-6')!, upstreamModel: 'claude-sonnet-4-6', apiKey: 'k', wire: 'anthropic',
};

/** Claude Code's shape (3 markers of its own); `ttl: '1h'` is ENABLE_PROMPT_CACHING_1H=1, which marks all three 1h. */
function claudeCodeTurns(ttl: '5m' | '1h') {
  const turns = scriptSession({ model: 'claude-sonnet-4-6', turns: 3, tools: 12, toolChars: 1500, systemChars: 12_000, resultChars: 3000, markers: 'claude-code', gapSeconds: 20 });
  if (ttl === '1h') {
    for (const t of turns) {
      JSON.stringify(t.body, (_k, v: unknown) => {
        if (v && typeof v === 'object' && 'cache_control' in v) (v as { cache_control: object }).cache_control = { type: 'ephemeral', ttl: '1h' };
        return v;
      });
    }
  }
  return turns;
}

/** The ledger's spend of a key since a time, as the SQLite store gives it to Limits (store/sqlite-store.ts). */
function spentSince(db: DatabaseSync) {
  const st = db.prepare('SELECT coalesce(sum(cost_usd), 0) AS usd FROM turns WHERE key_id = ? AND ts >= ?');
  return (keyId: string, since: number) => (st.get(keyId, since) as { usd: number }).usd;
}

/**
 * Runs a session's turns through the engine as Anthropic-direct turns with keep-alive on (the default
 * terms: coding, 60 minutes); what keepWarm handed the keep-alive after the last one, and whether the
 * keep-alive kept the session (nothing is sent: the test ends before any ping would fall due).
 */
function afterSession(turns: ReturnType<typeof claudeCodeTurns>) {
  const db = openDatabase(':memory:');
  const keys = new KeyStore(db);
  const ledger = new Ledger(db, { flushMs: 60_000, batchSize: 1000 });
  const agent = createUpstreamAgent({ headersTimeoutMs: 1000, bodyIdleTimeoutMs: 1000, connections: 1 });
  const limits = new Limits({ requestsPerMinute: 0, concurrentRequests: 0 }, spentSince(db));
  const keepalive = new KeepAlive({ agent, keys, rows: new RowSink({ ledger, metrics: new Metrics(registry), limits }), limits, queries: new Queries(sqliteReader(db)), config: DEFAULT_KEEPALIVE });
  const key: KeyRecord = keys.create({ name: 't', mode: 'coding' }).record;
  let state: SessionCacheState | undefined;
  const tracked: TrackedSession[] = [];
  const track = keepalive.track.bind(keepalive);
  keepalive.track = (s) => { tracked.push(s); track(s); };
  for (const t of turns) {
    const raw = Buffer.from(JSON.stringify(t.body));
    const request = JSON.parse(raw.toString()) as MessagesRequest;
    const out = rewriteAnthropicRequest({
      raw, request, route,
      cache: { mode: 'coding', state, now: t.atMs, config: DEFAULT_ENGINE_CONFIG, fingerprint: fingerprint(anthropicStable(request)), keepAlive: { maxIdleMs: 60 * 60_000 } },
    });
    state = out.engine!.nextState;
    const turn = { ...newTurn(`req_${t.atMs}`, 'anthropic', 'messages', t.atMs), key, status: 200, usage: { input: 100, cacheRead: 20_000, cacheWrite5m: 0, cacheWrite1h: 0, output: 50 } };
    tracked.length = 0;
    keepWarm({ keepalive, enabled: true, registry, headers: {}, route, turn, sessionId: 's', body: out.body, request, state });
  }
  const kept = keepalive.size;
  ledger.close();
  void agent.close();
  db.close();
  return { state: state!, tracked, kept };
}

test('Claude Code with ENABLE_PROMPT_CACHING_1H=1: its markers are all 1h, an entry that outlives the idle limit: the session is not kept for pings', () => {
  const { state, tracked, kept } = afterSession(claudeCodeTurns('1h'));
  // The engine's own choice for its markers is 5m (it expects pings): the decision must not read it.
  assert.equal(state.ttl, '5m', "the engine's own conversation TTL");
  assert.deepEqual(state.breakpoints.map((b) => b.ttl), ['1h', '1h', '1h', '1h'], "the request sent: the client's three 1h markers and the engine's, 1h before them");
  assert.equal(entryTtl(state.breakpoints), '1h');
  assert.deepEqual(tracked.map((s) => s.ttl), ['1h'], 'handed over as a 1h entry');
  assert.equal(kept, 0, 'a 1h entry lives the 60 minutes a coding session may idle: nothing to ping');
});

test("Claude Code's default 5m markers: kept warm as a 5m entry", () => {
  const { state, tracked, kept } = afterSession(claudeCodeTurns('5m'));
  assert.equal(entryTtl(state.breakpoints), '5m');
  assert.deepEqual(tracked.map((s) => s.ttl), ['5m']);
  assert.equal(kept, 1);
});

test('a client 5m marker at the end of the request is what expires, even when the engine chose 1h for its own markers', () => {
  // Long gaps make the engine choose 1h; the client's own last-message marker is still 5m.
  const turns = scriptSession({ model: 'claude-sonnet-4-6', turns: 6, tools: 12, toolChars: 1500, systemChars: 12_000, resultChars: 3000, markers: 'claude-code', gapSeconds: 40 * 60 });
  const { state, tracked, kept } = afterSession(turns);
  assert.equal(state.ttl, '1h', "the engine's own conversation TTL");
  assert.equal(state.breakpoints.at(-1)!.ttl, '5m', "the client's last marker");
  assert.deepEqual(tracked.map((s) => s.ttl), ['5m'], 'its 5m entry is kept warm');
  assert.equal(kept, 1);
});

test('a request with no breakpoint cached nothing: nothing to keep warm', () => {
  assert.equal(entryTtl([]), undefined);
  const turns = scriptSession({ model: 'claude-sonnet-4-6', turns: 1, tools: 0, toolChars: 0, systemChars: 10, resultChars: 10, markers: 'none' });
  const { state, tracked, kept } = afterSession(turns);
  assert.deepEqual(state.breakpoints, [], 'below the model minimum: the engine placed none');
  assert.deepEqual(tracked, []);
  assert.equal(kept, 0);
});
