/**
 * Two instances' stores on one real PostgreSQL (a throwaway cluster: src/testing/postgres.ts): what
 * they must share. Keys revoked through one are refused by the other within a second; migrations run
 * once when both start at once; a ledger batch written twice counts once, and one the database
 * refused is kept and written later; session state written by one is read by the other, and two
 * writers of one session keep the first trim decision; a keep-alive due time is claimed once, by the
 * instance that served the last turn; a requests-per-minute limit holds across both; a dead
 * instance's open rows become interrupted turns; an unreachable database leaves per-instance limits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPool } from './connect.ts';
import { openPgStore } from './store.ts';
import { PgLedger } from './ledger.ts';
import { PgLimits } from './limits.ts';
import { PgCounter } from './counter.ts';
import { Instances } from './instances.ts';
import { postgresAvailable, testDatabaseUrl } from '../../testing/postgres.ts';
import type { TurnRow } from '../ledger.ts';
import type { Store } from '../store.ts';
import type { SessionCacheState } from '../../session/session-state.ts';

const skip = postgresAvailable() ? false : 'no PostgreSQL server binaries here (apt-get install -y postgresql)';
const OPTS = { ledger: { flushMs: 60_000, batchSize: 1e9 }, clock: Date, sessionRetentionMs: 0 };

async function two(): Promise<{ url: string; a: Store; b: Store; done: () => Promise<void> }> {
  const url = await testDatabaseUrl();
  const [a, b] = await Promise.all([openPgStore(url, OPTS), openPgStore(url, OPTS)]);
  return { url, a, b, done: async () => { await a.close(); await b.close(); } };
}

const row = (requestId: string, over: Partial<TurnRow> = {}): TurnRow => ({
  ts: Date.UTC(2026, 11, 3, 10), requestId, kind: 'turn', keyId: 'k1', sessionId: 's1', clientProtocol: 'anthropic', endpoint: 'messages',
  requestedModel: 'claude-sonnet-4-6', responseModel: 'claude-sonnet-4-6', provider: 'anthropic', status: 200, errorCode: null, streamed: true, aborted: false,
  inputTokens: 10, cacheReadTokens: 1000, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 5,
  costUsd: 0.001, costDirectUsd: 0.004, costClientUsd: 0.002, missReason: null, engine: null, latencyMs: 5, ttfbMs: 2, ...over,
});

const state = (turns: number, trims: SessionCacheState['trims']): SessionCacheState => ({
  model: 'claude-sonnet-4-6', fingerprint: { prefix: 'fp', system: 'x', tools: 'y' } as unknown as SessionCacheState['fingerprint'], lastAt: 1000 * turns,
  lastHashes: ['a'], finalMessageFrom: 0, messageCount: 1, breakpoints: [], tailVolatile: false, trims, gaps: [], ttl: '5m', startedAt: 0, turns,
});

test('two instances started at once migrate once and both serve; a key revoked through one is refused by the other within 1 s', { skip }, async () => {
  const { url, a, b, done } = await two();
  const pool = createPool(url, { max: 1 });
  assert.equal((await pool.query('SELECT version FROM schema_version')).rows.length, 1, 'one version row');
  assert.deepEqual(await a.ready(), await b.ready());
  assert.equal((await a.ready()).ok, true);
  const { key, record } = await a.keys.create({ name: 'shared' });
  assert.equal((await b.keys.find(key))?.id, record.id, 'B finds a key A made');
  await a.keys.revoke(record.id);
  const t0 = performance.now();
  while ((await b.keys.find(key))?.revokedAt === null) {
    assert.ok(performance.now() - t0 < 1000, 'B still accepts the key 1 s after A revoked it');
    await new Promise((r) => setTimeout(r, 20));
  }
  await pool.end();
  await done();
});

test('a ledger batch written twice counts once; a batch the database refused is kept and written when it answers again', { skip }, async () => {
  const url = await testDatabaseUrl();
  const pool = createPool(url);
  const store = await openPgStore(url, OPTS);
  // Two ledgers with one instance id write rows with the same uids: the second write is the retried batch.
  const first = new PgLedger(pool, pool, 'inst', OPTS.ledger);
  const again = new PgLedger(pool, pool, 'inst', OPTS.ledger);
  for (const l of [first, again]) {
    l.record(row('r1'));
    l.record(row('r2'));
    await l.flush();
  }
  let totals = await store.queries.totals({});
  assert.equal(totals.turns, 2, 'each row once, in the rollup too');
  assert.equal((await pool.query('SELECT count(*) AS n FROM turns')).rows[0].n, 2);
  // The database refuses the write (the table is gone for a moment): rows stay queued, nothing is lost.
  const l = new PgLedger(pool, pool, 'other', OPTS.ledger);
  await pool.query('ALTER TABLE turns RENAME TO turns_away');
  l.record(row('r3'));
  await l.flush();
  assert.equal(l.pending, 1, 'kept after the failed write');
  assert.equal(l.failures, 1);
  await pool.query('ALTER TABLE turns_away RENAME TO turns');
  await l.flush();
  assert.equal(l.pending, 0);
  totals = await store.queries.totals({});
  assert.equal(totals.turns, 3);
  assert.ok(Math.abs(totals.costUsd - 0.003) < 1e-12);
  await Promise.all([first.close(), again.close(), l.close()]);
  await store.close();
  await pool.end();
});

test('text with NUL and the escape character is stored and read back as sent; a row PostgreSQL refuses is set aside, not retried forever', { skip }, async () => {
  const url = await testDatabaseUrl();
  const pool = createPool(url);
  const store = await openPgStore(url, OPTS);
  const evil = 'a\0b\u{E0000}0c\u{E0000}\u{E0000}\0';
  const { key, record } = await store.keys.create({ name: `key ${evil}` });
  assert.equal((await store.keys.find(key))?.name, `key ${evil}`, 'the key name as sent');
  const l = new PgLedger(pool, pool, 'nul', OPTS.ledger);
  l.record(row('n1', { sessionId: `s ${evil}`, requestedModel: `m ${evil}` }));
  l.record(row('n2', { sessionId: `s ${evil}`, status: 2 ** 40 }));
  l.record(row('n3', { sessionId: 's\0' }));
  await l.flush();
  assert.equal(l.pending, 0, 'nothing left queued');
  assert.equal(l.rejected, 1, 'the out-of-range status alone is set aside');
  const rows = (await pool.query('SELECT request_id, session_id, requested_model FROM turns WHERE request_id LIKE $1 ORDER BY request_id', ['n%'])).rows;
  assert.deepEqual(rows, [
    { request_id: 'n1', session_id: `s ${evil}`, requested_model: `m ${evil}` },
    { request_id: 'n3', session_id: 's\0', requested_model: 'claude-sonnet-4-6' },
  ]);
  // Distinct strings stay distinct (the escape is one-to-one): the escape character itself is not NUL.
  assert.equal((await pool.query('SELECT count(*) AS n FROM turns WHERE session_id = $1', ['s \u{E0000}0'])).rows[0].n, 0);
  assert.equal((await pool.query('SELECT count(*) AS n FROM turns WHERE session_id = $1', ['s\0'])).rows[0].n, 1);
  assert.ok(record.id);
  await l.close();
  await store.close();
  await pool.end();
});

test('session state written by one instance is read by the other; the first trim decision stands across writers', { skip }, async () => {
  const { a, b, done } = await two();
  await a.sessions.set('k1', 's1', state(1, { t1: { action: 'trim', head: 10, tail: 10 } as never }));
  const seen = await b.sessions.get('k1', 's1');
  assert.equal(seen?.turns, 1);
  // B decides t2; A, from its own (now old) copy, decides t2 differently and t1 again: B's t2 and A's first t1 stand.
  await b.sessions.set('k1', 's1', state(2, { ...seen!.trims, t2: { action: 'keep' } }));
  await a.sessions.set('k1', 's1', state(3, { t1: { action: 'keep' }, t2: { action: 'trim', head: 1, tail: 1 } as never, t3: { action: 'keep' } }));
  const merged = await b.sessions.get('k1', 's1');
  assert.equal(merged?.turns, 3);
  assert.deepEqual(merged?.trims, { t1: { action: 'trim', head: 10, tail: 10 }, t2: { action: 'keep' }, t3: { action: 'keep' } });
  assert.deepEqual((await a.sessions.get('k1', 's1'))?.trims, merged?.trims, 'A reads the merged state back');
  await done();
});

test('a keep-alive due time is claimed once, by the instance that served the last turn; a turn elsewhere moves it', { skip }, async () => {
  const { a, b, done } = await two();
  await a.sessions.set('k1', 's1', state(1, {}));
  assert.equal(await b.sessions.claimPing('k1', 's1', 1000, 5000), false, 'not the owner');
  assert.equal(await a.sessions.claimPing('k1', 's1', 1000, 5000), true, 'the owner claims it');
  assert.equal(await a.sessions.claimPing('k1', 's1', 1000, 5000), false, 'once per due time');
  assert.equal(await a.sessions.claimPing('k1', 's1', 1000, 9000), true, 'the next due time');
  await b.sessions.get('k1', 's1');
  await b.sessions.set('k1', 's1', state(2, {}));
  assert.equal(await a.sessions.claimPing('k1', 's1', 1000, 12000), false, 'A served an older turn');
  assert.equal(await b.sessions.claimPing('k1', 's1', 2000, 12000), true, 'B owns it now');
  await done();
});

test('a requests-per-minute limit holds across instances; in-flight requests of both count against one limit', { skip }, async () => {
  const { a, b, done } = await two();
  const { record } = await a.keys.create({ name: 'limited' });
  const la = a.limits({ requestsPerMinute: 20, concurrentRequests: 0 });
  const lb = b.limits({ requestsPerMinute: 20, concurrentRequests: 0 });
  const now = Date.now();
  const verdicts = await Promise.all(Array.from({ length: 40 }, (_, i) => Promise.resolve((i % 2 ? la : lb).admit(record, now + i)).then(() => 'ok', (e: Error) => e.message)));
  assert.equal(verdicts.filter((v) => v === 'ok').length, 20, 'exactly the limit, whichever instance admitted them');
  assert.match(verdicts.find((v) => v !== 'ok')!, /over its limit of 20 requests per minute/);
  const ca = a.limits({ requestsPerMinute: 0, concurrentRequests: 3 });
  const cb = b.limits({ requestsPerMinute: 0, concurrentRequests: 3 });
  const held = [await ca.admit(record, now), await cb.admit(record, now), await ca.admit(record, now)];
  await assert.rejects(Promise.resolve(cb.admit(record, now)), /already has 3 requests in flight/);
  held[0]!();
  await new Promise((r) => setTimeout(r, 100)); // the release is written in the background
  held.push(await cb.admit(record, now));
  assert.equal(la.scope, 'shared');
  await done();
});

test('an instance that stopped answering: its open rows become interrupted turns, recovered by the other', { skip }, async () => {
  const url = await testDatabaseUrl();
  const pool = createPool(url);
  const survivor = await openPgStore(url, OPTS);
  // A ledger of an instance with no heartbeat (killed before it wrote one, or long dead).
  const dead = new PgLedger(pool, pool, 'dead1', OPTS.ledger);
  await dead.open({ ts: Date.UTC(2026, 11, 3, 10), requestId: 'r-inflight', kind: 'turn', keyId: 'k1', sessionId: 's1', clientProtocol: 'anthropic', endpoint: 'messages', requestedModel: 'claude-sonnet-4-6', provider: 'anthropic', streamed: true });
  const jobs = new Instances(pool, 'janitor', { sessionRetentionMs: 0, clock: Date });
  await jobs.beat();
  assert.equal(await jobs.housekeeping(), true);
  assert.equal(jobs.recovered, 1);
  const rows = (await pool.query('SELECT request_id, error_code, status, aborted FROM turns')).rows;
  assert.equal(rows.length, 1);
  assert.deepEqual({ ...rows[0], status: undefined }, { request_id: 'r-inflight', error_code: 'INTERRUPTED', status: undefined, aborted: 1 });
  assert.equal((await survivor.queries.totals({})).turns, 1, 'in the rollup');
  assert.equal((await pool.query('SELECT count(*) AS n FROM open_turns')).rows[0].n, 0);
  await jobs.stop();
  await dead.close();
  await survivor.close();
  await pool.end();
});

test('the shared counters unreachable: limits fall back to this instance and say so', { skip }, async () => {
  const dead = createPool('postgres://postgres@127.0.0.1:1/none', { max: 1 });
  const limits = new PgLimits(dead, new PgCounter(dead, 'x'), { requestsPerMinute: 2, concurrentRequests: 0 });
  const key = { id: 'k', name: 'k', prefix: 'sk-sr-x', role: 'client', mode: 'coding', createdAt: 0, revokedAt: null, budgetUsdDay: null, budgetUsdMonth: null, shadow: false } as const;
  await limits.admit(key, 1000);
  assert.equal(limits.scope, 'local');
  await limits.admit(key, 1001);
  await assert.rejects(Promise.resolve(limits.admit(key, 1002)), /over its limit of 2/, 'the per-instance limit still applies');
  await dead.end();
});
