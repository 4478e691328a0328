/**
 * Admin API latency on a big store: N synthetic ledger rows (default 100,000: 2,000 sessions of 50
 * turns, 20 keys, 4 models, 30 days), a real Synrouter on them, every read route timed over HTTP
 * (median and worst of 7 runs after a warm-up), plus the query plans. `node bench/admin-api.ts [N]`
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { startSynrouter } from '../src/server/http-server.ts';
import { openDatabase } from '../src/store/db.ts';
import { KeyStore } from '../src/store/keys.ts';
import { createRegistry } from '../src/route/registry.ts';
import { costOf, directCostOf } from '../src/meter/cost.ts';
import { facts, sessionTurnsSql } from '../src/store/queries.ts';
import type { SQLInputValue } from 'node:sqlite';

const N = Number(process.argv[2] ?? 100_000);
const dbPath = join(mkdtempSync(join(tmpdir(), 'synrouter-bench-admin-')), 'synrouter.db');
const db = openDatabase(dbPath);
const keys = new KeyStore(db);
const admin = keys.create({ name: 'admin', role: 'admin' });
const keyIds = Array.from({ length: 20 }, (_, i) => keys.create({ name: `agent-${i}` }).record.id);
const models = ['claude-sonnet-4-6', 'claude-opus-4-8', 'claude-haiku-4-5', 'claude-opus-5'];
const registry = createRegistry();
const now = Date.now();
const TURNS = 50;
const insert = db.prepare(`INSERT INTO turns (ts, request_id, kind, key_id, session_id, client_protocol, endpoint, requested_model, response_model, provider, status, error_code,
  streamed, aborted, input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, cost_usd, cost_direct_usd, cost_client_usd, miss_reason, engine, latency_ms, ttfb_ms)
  VALUES (?, ?, 'turn', ?, ?, 'anthropic', 'messages', ?, ?, 'anthropic', 200, NULL, 1, 0, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)`);
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const t0 = performance.now();
db.exec('BEGIN');
for (let i = 0; i < N; i++) {
  const session = Math.floor(i / TURNS);
  const turn = i % TURNS;
  const start = now - 30 * 86_400_000 + (session / (N / TURNS)) * 30 * 86_400_000;
  const model = models[session % models.length]!;
  const prefix = 20_000 + turn * 1_500;
  const miss = turn === 0 || rand() < 0.04;
  const usage = { input: 3, cacheRead: miss ? 0 : prefix, cacheWrite5m: miss ? prefix : 1_500, cacheWrite1h: 0, output: 200 + Math.floor(rand() * 400) };
  const prices = registry.pricesFor(model);
  insert.run(Math.floor(start + turn * 30_000), `req_${i}`, keyIds[session % keyIds.length]!, session % 3 ? `drv_${session}` : `cc-${session}`, model, model,
    usage.input, usage.cacheRead, usage.cacheWrite5m, usage.output, costOf(usage, prices), directCostOf(usage, prices), directCostOf(usage, prices),
    miss ? (turn === 0 ? 'new_session' : 'ttl_expired') : null, '[{"kind":"breakpoint","detail":"system stable 5m"}]', 800 + rand() * 4000, 300 + rand() * 500);
}
db.exec('COMMIT');
console.log(`${N} rows written in ${Math.round(performance.now() - t0)} ms (${dbPath})`);

const plan = (sql: string, params: SQLInputValue[] = []) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
console.log(`\nrollup: ${(db.prepare('SELECT count(*) AS n FROM turn_hours').get() as { n: number }).n} rows in turn_hours for ${N} ledger rows`);
console.log('query plans:');
for (const [label, r] of [['all time', {}], ['last 24h (edges)', { since: now - 86_400_000 + 1234, until: now }], ['one key, 7 days', { keyId: keyIds[3], since: now - 7 * 86_400_000 + 1 }]] as const) {
  const f = facts(r);
  console.log(`  ${label.padEnd(18)}: ${plan(f.sql, f.params)}`);
}
console.log(`  one session       : ${plan(sessionTurnsSql('sqlite'), ['s', 'k', 10, 0])}`);

// Write cost of the rollup trigger: the same rows into a fresh ledger with and without it.
for (const trigger of [true, false]) {
  const d = openDatabase(':memory:');
  if (!trigger) d.exec('DROP TRIGGER turn_hours_insert');
  const ins = d.prepare(`INSERT INTO turns (ts, request_id, kind, key_id, session_id, client_protocol, endpoint, requested_model, response_model, status, streamed,
    input_tokens, cache_read_tokens, cache_write_5m_tokens, output_tokens, cost_usd, cost_direct_usd, cost_client_usd) VALUES (?, ?, 'turn', ?, ?, 'anthropic', 'messages', ?, ?, 200, 1, 3, ?, 1500, 300, 0.01, 0.05, 0.05)`);
  const t = performance.now();
  for (let b = 0; b < 200; b++) {
    d.exec('BEGIN');
    for (let i = 0; i < 200; i++) ins.run(now + (b * 200 + i) * 1000, `r${b}-${i}`, keyIds[i % 20]!, `s${Math.floor((b * 200 + i) / 50)}`, models[i % 4]!, models[i % 4]!, 20_000 + i);
    d.exec('COMMIT');
  }
  console.log(`ledger insert, 40,000 rows in batches of 200, rollup trigger ${trigger ? 'on ' : 'off'}: ${((performance.now() - t) / 40_000 * 1000).toFixed(2)} µs/row`);
  d.close();
}
db.close();

const config = loadConfig({ env: { SYNROUTER_LOG_LEVEL: 'silent' }, overrides: { port: 0, host: '127.0.0.1', dbPath } });
const app = await startSynrouter(config);
const headers = { authorization: `Bearer ${admin.key}` };
const target = `cc-${Math.floor(N / TURNS / 2) - (Math.floor(N / TURNS / 2) % 3)}`;
const routes = [
  '/admin/api/overview?since=30d',
  '/admin/api/overview?since=24h',
  '/admin/api/sessions?limit=50',
  '/admin/api/sessions?limit=50&sort=savings',
  `/admin/api/sessions?limit=50&key=${keyIds[3]}`,
  '/admin/api/sessions?limit=50&since=24h',
  `/admin/api/sessions/${target}`,
  '/admin/api/totals?by=key',
  '/admin/api/totals?by=model',
  '/admin/api/totals?by=day',
  '/admin/api/keys',
  '/metrics',
];
console.log('\nroute                                              median    worst   bytes');
for (const r of routes) {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 8; i++) {
    const t = performance.now();
    const res = await fetch(app.url + r, { headers });
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${r}: ${res.status} ${Buffer.from(body).toString()}`);
    if (i > 0) times.push(performance.now() - t);
    bytes = body.byteLength;
  }
  times.sort((a, b) => a - b);
  console.log(`${r.padEnd(50)} ${times[3]!.toFixed(1).padStart(6)} ms ${times.at(-1)!.toFixed(1).padStart(6)} ms ${String(bytes).padStart(7)}`);
}
await app.close({ graceMs: 100 });
