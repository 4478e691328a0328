/**
 * The read side against a naive recomputation: random ledger rows (turns, keep-alive pings, retries,
 * unknown prices, many hours, keys and sessions), random ranges aligned or not to the hour, and every
 * sum equal to the same sum done in JS over the rows. Also: the rollup follows deletions, is back-filled
 * for a store that had rows before it existed, and the queries search indexes rather than scan the ledger.
 * The read side is one SQL text for both stores: the naive-recomputation tests run on SQLite (rows
 * rolled up by triggers) and on PostgreSQL (rows written by its ledger, rolled up per batch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatabaseSync } from 'node:sqlite';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './db.ts';
import { facts, parseTime, pickBucket, Queries, sessionTurnsSql, type Range, type Totals } from './queries.ts';
import { sqliteReader } from './sql.ts';
import type { TurnRow } from './ledger.ts';
import { openPgStore } from './postgres/store.ts';
import { postgresAvailable, testDatabaseUrl } from '../testing/postgres.ts';

interface Row {
  ts: number; kind: string; key_id: string; session_id: string | null; model: string | null; status: number;
  input: number; read: number; w5: number; w1h: number; out: number; cost: number | null; direct: number | null; client: number | null;
}

const T0 = Date.UTC(2026, 4, 1, 0, 0, 0);
const H = 3_600_000;

function randomRows(n: number, seed = 7): Row[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  return Array.from({ length: n }, () => {
    const kind = pick(['turn', 'turn', 'turn', 'turn', 'keepalive', 'retry']);
    const priced = rand() > 0.15;
    const tokens = () => Math.floor(rand() * 5000);
    const cost = priced ? rand() / 10 : null;
    return {
      ts: T0 + Math.floor(rand() * 72 * H), kind, key_id: pick(['k1', 'k2', 'k3']), session_id: rand() < 0.1 ? null : pick(['s1', 's2', 'drv_3', 's4', 'drv_5']),
      model: rand() < 0.05 ? null : pick(['claude-sonnet-4-6', 'claude-opus-4-8', 'acme/x']), status: rand() < 0.1 ? 502 : 200,
      input: tokens(), read: tokens(), w5: tokens(), w1h: rand() < 0.3 ? tokens() : 0, out: tokens(),
      cost, direct: priced ? (kind === 'turn' ? rand() / 5 : null) : null, client: priced ? (kind === 'turn' ? rand() / 7 : null) : null,
    };
  });
}

function insert(db: DatabaseSync, rows: Row[]) {
  const st = db.prepare(`INSERT INTO turns (ts, request_id, kind, key_id, session_id, client_protocol, endpoint, requested_model, response_model, status, streamed,
    input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, cost_usd, cost_direct_usd, cost_client_usd)
    VALUES (?, ?, ?, ?, ?, 'anthropic', 'messages', ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)`);
  db.exec('BEGIN');
  rows.forEach((r, i) => st.run(r.ts, `r${i}`, r.kind, r.key_id, r.session_id, r.model, r.model, r.status, r.input, r.read, r.w5, r.w1h, r.out, r.cost, r.direct, r.client));
  db.exec('COMMIT');
}

const STORES = ['sqlite', 'postgres'] as const;
const skipPg = (kind: string) => (kind === 'postgres' && !postgresAvailable() ? 'no PostgreSQL server binaries here (apt-get install -y postgresql)' : false);

/** The rows in a new store of `kind`, and its read side; `done` closes it. */
async function storeWith(kind: (typeof STORES)[number], rows: Row[]): Promise<{ q: Queries; done: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const db = openDatabase(':memory:');
    insert(db, rows);
    return { q: new Queries(sqliteReader(db)), done: async () => db.close() };
  }
  const store = await openPgStore(await testDatabaseUrl(), { ledger: { flushMs: 60_000, batchSize: 1e9 }, clock: Date, sessionRetentionMs: 0 });
  rows.forEach((r, i) => store.ledger.record(turnRow(r, i)));
  await store.ledger.flush();
  assert.equal(store.ledger.pending, 0, 'every row written');
  return { q: store.queries, done: () => store.close() };
}

function turnRow(r: Row, i: number): TurnRow {
  return {
    ts: r.ts, requestId: `r${i}`, kind: r.kind as TurnRow['kind'], keyId: r.key_id, sessionId: r.session_id, clientProtocol: 'anthropic', endpoint: 'messages',
    requestedModel: r.model, responseModel: r.model, provider: null, status: r.status, errorCode: null, streamed: true, aborted: false,
    inputTokens: r.input, cacheReadTokens: r.read, cacheWrite5mTokens: r.w5, cacheWrite1hTokens: r.w1h, outputTokens: r.out,
    costUsd: r.cost, costDirectUsd: r.direct, costClientUsd: r.client, missReason: null, engine: null, latencyMs: null, ttfbMs: null,
  };
}

/** The accounting rules of queries.ts, written out plainly. */
function naive(rows: Row[]) {
  const turns = rows.filter((r) => r.kind === 'turn');
  const priced = turns.filter((r) => r.cost !== null);
  const sum = (xs: Row[], f: (r: Row) => number) => xs.reduce((a, r) => a + f(r), 0);
  const inputTokens = sum(turns, (r) => r.input), cacheReadTokens = sum(turns, (r) => r.read);
  const cacheWrite5mTokens = sum(turns, (r) => r.w5), cacheWrite1hTokens = sum(turns, (r) => r.w1h);
  const all = inputTokens + cacheReadTokens + cacheWrite5mTokens + cacheWrite1hTokens;
  const costUsd = sum(rows, (r) => r.cost ?? 0);
  const costDirectUsd = sum(priced, (r) => r.direct ?? r.cost!);
  const costClientUsd = sum(priced, (r) => r.client ?? r.cost!);
  return {
    turns: turns.length, errors: turns.filter((r) => r.status !== 200).length, keepalives: rows.filter((r) => r.kind === 'keepalive').length,
    retries: rows.filter((r) => r.kind === 'retry').length, pricedTurns: priced.length,
    unpricedTurns: turns.filter((r) => r.cost === null && r.input + r.read + r.w5 + r.w1h + r.out > 0).length,
    inputTokens, cacheReadTokens, cacheWrite5mTokens, cacheWrite1hTokens, outputTokens: sum(turns, (r) => r.out),
    hitRate: all ? cacheReadTokens / all : null, costUsd, keepaliveCostUsd: sum(rows.filter((r) => r.kind === 'keepalive'), (r) => r.cost ?? 0),
    costDirectUsd, costClientUsd, savingsUsd: costClientUsd - costUsd, savingsPct: costClientUsd ? (costClientUsd - costUsd) / costClientUsd : null,
    savingsVsNoCacheUsd: costDirectUsd - costUsd, savingsVsNoCachePct: costDirectUsd ? (costDirectUsd - costUsd) / costDirectUsd : null,
    firstTs: rows.length ? Math.min(...rows.map((r) => r.ts)) : null, lastTs: rows.length ? Math.max(...rows.map((r) => r.ts)) : null,
  };
}

function assertTotals(actual: Totals, rows: Row[], what: string) {
  for (const [k, v] of Object.entries(naive(rows))) {
    const a = actual[k as keyof Totals];
    if (v === null) assert.equal(a, null, `${what} ${k}`);
    else assert.ok(typeof a === 'number' && Math.abs(a - v) < 1e-9, `${what} ${k}: ${a} vs ${v}`);
  }
}

const inRange = (r: Range) => (x: Row) => (r.since === undefined || x.ts >= r.since) && (r.until === undefined || x.ts < r.until) && (r.keyId === undefined || x.key_id === r.keyId);

for (const kind of STORES) test(`${kind}: totals, totals by key/model/day, sessions and series equal a naive recomputation over any range`, { skip: skipPg(kind) }, async () => {
  const rows = randomRows(3000);
  const { q, done } = await storeWith(kind, rows);
  const ranges: Range[] = [
    {}, { since: T0 + 5 * H }, { until: T0 + 30 * H }, { since: T0 + 5 * H, until: T0 + 30 * H },
    { since: T0 + 5 * H + 1234, until: T0 + 30 * H - 999 }, { since: T0 + 7 * H + 10, until: T0 + 7 * H + 60_000 },
    { since: T0 + 3 * H + 1, until: T0 + 4 * H }, { since: T0 + 12 * H - 1 }, { keyId: 'k2', since: T0 + 2.5 * H, until: T0 + 50.2 * H }, { keyId: 'nobody' },
  ];
  for (const r of ranges) {
    const mine = rows.filter(inRange(r));
    const what = JSON.stringify(r);
    assertTotals(await q.totals(r), mine, `totals ${what}`);
    for (const by of ['key', 'model', 'day'] as const) {
      const group = (x: Row) => by === 'key' ? x.key_id : by === 'model' ? x.model ?? '(none)' : new Date(x.ts).toISOString().slice(0, 10);
      const got = await q.totalsBy(by, r);
      assert.equal(got.length, new Set(mine.map(group)).size, `${by} groups ${what}`);
      for (const g of got) assertTotals(g, mine.filter((x) => group(x) === g.group), `${by}=${g.group} ${what}`);
    }
    const { total, sessions } = await q.sessions({ ...r, limit: 1000 });
    const ids = new Set(mine.filter((x) => x.session_id !== null).map((x) => `${x.key_id}/${x.session_id}`));
    assert.equal(total, ids.size, `session count ${what}`);
    for (const s of sessions) assertTotals(s, mine.filter((x) => x.key_id === s.keyId && x.session_id === s.sessionId), `session ${s.keyId}/${s.sessionId} ${what}`);
    const series = await q.series(r);
    assert.equal(series.points.reduce((a, p) => a + p.turns, 0), naive(mine).turns, `series turns ${what}`);
    assert.ok(Math.abs(series.points.reduce((a, p) => a + p.costUsd, 0) - naive(mine).costUsd) < 1e-9, `series cost ${what}`);
    for (const p of series.points) assert.equal(p.ts % series.bucketMs, 0, 'buckets are aligned');
  }
  await done();
});

for (const kind of STORES) test(`${kind}: sessions sort by any column, both ways, and page`, { skip: skipPg(kind) }, async () => {
  const { q, done } = await storeWith(kind, randomRows(800, 3));
  for (const [sort, f] of [['cost', (s: Totals) => s.costUsd], ['savings', (s: Totals) => s.savingsUsd], ['savings_pct', (s: Totals) => s.savingsPct ?? -Infinity],
    ['savings_vs_no_cache', (s: Totals) => s.savingsVsNoCacheUsd], ['cost_client', (s: Totals) => s.costClientUsd], ['turns', (s: Totals) => s.turns], ['hit_rate', (s: Totals) => s.hitRate ?? -1], ['last', (s: Totals) => s.lastTs!]] as const) {
    for (const order of ['asc', 'desc'] as const) {
      const xs = (await q.sessions({ sort, order, limit: 100 })).sessions.map(f);
      assert.deepEqual(xs, [...xs].sort((a, b) => (order === 'asc' ? a - b : b - a)), `${sort} ${order}`);
    }
  }
  const all = (await q.sessions({ sort: 'cost', limit: 100 })).sessions.map((s) => s.sessionId + s.keyId);
  const paged: string[] = [];
  for (const offset of [0, 4, 8, 12]) paged.push(...(await q.sessions({ sort: 'cost', limit: 4, offset })).sessions.map((s) => s.sessionId + s.keyId));
  assert.deepEqual(paged, all);
  assert.equal((await q.sessions({ limit: 5, offset: 1000 })).total, all.length, 'the total is known past the last page');
  await done();
});

for (const kind of STORES) test(`${kind}: savings are what Synrouter saved against the client alone, pings included, negative when pings cost more; vs no caching is the second figure`, { skip: skipPg(kind) }, async () => {
  const turn = (ts: number, session: string, cost: number, direct: number, client: number): Row => ({
    ts, kind: 'turn', key_id: 'k1', session_id: session, model: 'claude-sonnet-4-6', status: 200, input: 100, read: 900, w5: 0, w1h: 0, out: 10, cost, direct, client,
  });
  const ping = (ts: number, session: string, cost: number): Row => ({ ...turn(ts, session, cost, 0, 0), kind: 'keepalive', direct: null, client: null });
  const { q, done } = await storeWith(kind, [
    // The client's own markers cache: its bill (client) is well under no caching (direct); Synrouter did a little better.
    turn(T0, 'kept', 0.05, 0.04, 0.05), turn(T0 + 20_000, 'kept', 0.01, 0.04, 0.015), ping(T0 + 290_000, 'kept', 0.002), turn(T0 + 500_000, 'kept', 0.01, 0.04, 0.012),
    // Pings for a session that never came back: they cost more than they saved.
    turn(T0 + H, 'gone', 0.03, 0.025, 0.03), ping(T0 + H + 270_000, 'gone', 0.0015), ping(T0 + H + 540_000, 'gone', 0.0015),
  ]);
  const close = (a: number | null, b: number, what: string) => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);
  const kept = (await q.session('k1', 'kept'))!.summary;
  close(kept.costUsd, 0.072, 'kept: paid, the ping included');
  close(kept.costClientUsd, 0.077, 'kept: the client alone');
  close(kept.savingsUsd, 0.005, 'kept: saved');
  close(kept.savingsPct, 0.005 / 0.077, 'kept: saved, of the client alone');
  close(kept.savingsVsNoCacheUsd, 0.048, 'kept: vs no caching');
  close(kept.savingsVsNoCachePct, 0.4, 'kept: vs no caching, of the direct cost');
  const gone = (await q.session('k1', 'gone'))!.summary;
  close(gone.savingsUsd, -0.003, 'gone: the pings are a loss, not zero');
  close(gone.savingsPct, -0.1, 'gone: -10% of the client alone');
  close(gone.savingsVsNoCacheUsd, -0.008, 'gone: vs no caching');
  const all = await q.totals({});
  close(all.savingsUsd, 0.002, 'in total');
  close(all.savingsPct, 0.002 / 0.107, 'in total, of the client alone');
  close(all.savingsVsNoCacheUsd, 0.04, 'in total, vs no caching');
  assert.deepEqual((await q.sessions({ sort: 'savings', order: 'asc' })).sessions.map((s) => s.sessionId), ['gone', 'kept']);
  await done();
});

test('sqlite: the rollup follows deletions and is back-filled for rows written before it existed', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'sr-queries-')), 'x.db');
  let db = openDatabase(path);
  const rows = randomRows(500, 11);
  insert(db, rows);
  db.prepare("DELETE FROM turns WHERE request_id IN ('r1', 'r2', 'r3')").run();
  const kept = rows.filter((_, i) => ![1, 2, 3].includes(i));
  assertTotals(await new Queries(sqliteReader(db)).totals({}), kept, 'after delete');
  // A store from before this migration: no rollup, no budget columns (and none of the later ones).
  db.exec(`DROP TRIGGER turn_hours_insert; DROP TRIGGER turn_hours_delete; DROP VIEW turn_facts; DROP TABLE turn_hours;
           ALTER TABLE keys DROP COLUMN budget_usd_day; ALTER TABLE keys DROP COLUMN budget_usd_month;
           ALTER TABLE keys DROP COLUMN shadow; ALTER TABLE turns DROP COLUMN cost_shadow_usd; DROP TABLE open_turns; PRAGMA user_version = 2;`);
  db.close();
  db = openDatabase(path);
  assertTotals(await new Queries(sqliteReader(db)).totals({}), kept, 'back-filled');
  assertTotals(await new Queries(sqliteReader(db)).totals({ since: T0 + 10 * H + 5, until: T0 + 20 * H + 7 }), kept.filter(inRange({ since: T0 + 10 * H + 5, until: T0 + 20 * H + 7 })), 'back-filled, ranged');
  db.close();
});

test('range queries search the rollup and the ledger indexes; nothing scans the ledger', () => {
  const db = openDatabase(':memory:');
  insert(db, randomRows(200));
  const plan = (r: Range) => {
    const f = facts(r);
    return (db.prepare(`EXPLAIN QUERY PLAN ${f.sql}`).all(...f.params) as Array<{ detail: string }>).map((x) => x.detail).join(' | ');
  };
  const edges = plan({ since: T0 + 5 * H + 1, until: T0 + 9 * H + 1 });
  assert.match(edges, /SEARCH turn_hours USING PRIMARY KEY \(hour>\? AND hour<\?\)/);
  assert.match(edges, /SEARCH turns USING INDEX turns_ts \(ts>\? AND ts<\?\)/);
  assert.match(plan({ keyId: 'k1', since: T0 + 1, until: T0 + 2 * H + 3 }), /SEARCH turns USING INDEX turns_key \(key_id=\? AND ts>\? AND ts<\?\)/);
  for (const r of [{}, { since: T0 + 5 * H + 1 }, { keyId: 'k1' }, { since: T0, until: T0 + 60_000 }]) assert.doesNotMatch(plan(r), /SCAN turns\b/, JSON.stringify(r));
  const one = (db.prepare(`EXPLAIN QUERY PLAN ${sessionTurnsSql('sqlite')}`).all('s1', 'k1', 10, 0) as Array<{ detail: string }>).map((x) => x.detail).join(' | ');
  assert.match(one, /SEARCH turns USING INDEX turns_session/);
});

test('times: ISO dates and date-times, epoch ms, and durations back from now', () => {
  const now = Date.UTC(2026, 4, 10, 12, 0, 0);
  assert.equal(parseTime('2026-05-01', now), Date.UTC(2026, 4, 1));
  assert.equal(parseTime('2026-05-01T12:30Z', now), Date.UTC(2026, 4, 1, 12, 30));
  assert.equal(parseTime(String(T0), now), T0);
  assert.equal(parseTime('24h', now), now - 24 * H);
  assert.equal(parseTime('7d', now), now - 7 * 24 * H);
  assert.equal(parseTime('90m', now), now - 90 * 60_000);
  assert.equal(parseTime('', now), undefined);
  assert.throws(() => parseTime('last week', now), RangeError);
  assert.throws(() => parseTime('2026-13-45', now), RangeError);
  assert.equal(pickBucket(2 * H, 60), 300_000);
  assert.equal(pickBucket(30 * 24 * H, 60), 12 * H);
});
