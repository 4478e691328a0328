/**
 * The admin API against a real workload: admin auth (401 / 403 / 200), keys created, changed and
 * revoked through the API (a revoked key is refused on /messages), and every number the API gives
 * (overview, sessions, one session, totals by key / model / day) equal to sums over the ledger rows.
 * /metrics counts the same turns.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import type { LedgerTurn } from './support/stack.ts';
import { runSavingsScenario, type Scenario } from './support/savings-scenario.ts';
import { KNOWN, recordKnownLedger } from './support/known-ledger.ts';

let sc: Scenario;
before(async () => { sc = await runSavingsScenario(); });
after(() => sc.stack.close());

async function call(path: string, opts: { key?: string | null; header?: 'bearer' | 'x-api-key'; method?: string; body?: unknown } = {}) {
  const key = opts.key === undefined ? sc.adminKey : opts.key;
  const headers: Record<string, string> = {};
  if (key) headers[opts.header === 'x-api-key' ? 'x-api-key' : 'authorization'] = opts.header === 'x-api-key' ? key : `Bearer ${key}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(sc.stack.app.url + path, { method: opts.method ?? 'GET', headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** The accounting rules, re-derived independently from raw ledger rows. */
function sums(rows: LedgerTurn[]) {
  const turns = rows.filter((r) => r.kind === 'turn');
  const priced = turns.filter((r) => r.cost_usd !== null);
  const add = (xs: LedgerTurn[], f: (r: LedgerTurn) => number) => xs.reduce((a, r) => a + f(r), 0);
  const input = add(turns, (r) => r.input_tokens);
  const read = add(turns, (r) => r.cache_read_tokens);
  const w5 = add(turns, (r) => r.cache_write_5m_tokens);
  const w1h = add(turns, (r) => r.cache_write_1h_tokens);
  const cost = add(rows.filter((r) => r.cost_usd !== null), (r) => r.cost_usd!);
  const direct = add(priced, (r) => r.cost_direct_usd!);
  const clientOnly = add(priced, (r) => r.cost_client_usd!);
  return {
    turns: turns.length, inputTokens: input, cacheReadTokens: read, cacheWrite5mTokens: w5, cacheWrite1hTokens: w1h, outputTokens: add(turns, (r) => r.output_tokens),
    hitRate: read / (input + read + w5 + w1h), costUsd: cost, costDirectUsd: direct, costClientUsd: clientOnly,
    // What Synrouter saved: against the client's own requests sent directly; the cut against no caching second.
    savingsUsd: clientOnly - cost, savingsPct: (clientOnly - cost) / clientOnly, savingsVsNoCacheUsd: direct - cost, savingsVsNoCachePct: (direct - cost) / direct,
    unpricedTurns: turns.filter((r) => r.cost_usd === null && r.input_tokens + r.cache_read_tokens + r.cache_write_5m_tokens + r.cache_write_1h_tokens + r.output_tokens > 0).length,
    errors: turns.filter((r) => r.status !== 200).length,
  };
}

function assertTotals(api: Record<string, number | null>, ledger: ReturnType<typeof sums>, what: string) {
  for (const [k, v] of Object.entries(ledger)) {
    if (Number.isNaN(v)) { assert.equal(api[k], null, `${what}: ${k}`); continue; }
    assert.ok(typeof api[k] === 'number' && Math.abs(api[k]! - v) < 1e-9, `${what}: ${k} = ${api[k]}, ledger says ${v}`);
  }
}

test('admin routes: 401 without a key or with a bad one, 403 with a client key, 200 with the admin key (Bearer or x-api-key)', async () => {
  const none = await call('/admin/api/overview', { key: null });
  assert.equal(none.status, 401);
  assert.deepEqual(Object.keys(none.body.error).sort(), ['code', 'message', 'type']);
  assert.equal(none.body.error.type, 'authentication_error');
  assert.equal(none.body.error.code, 'auth_missing');
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.equal((await call('/admin/api/overview', { key: 'sk-sr-not-a-key' })).body.error.code, 'auth_invalid');
  const client = await call('/admin/api/keys', { key: sc.stack.key });
  assert.equal(client.status, 403);
  assert.equal(client.body.error.type, 'permission_error');
  for (const path of ['/admin/api/overview', '/admin/api/sessions', '/admin/api/keys', '/admin/api/totals?by=day', `/admin/api/sessions/${sc.sessions.a}`]) {
    assert.equal((await call(path)).status, 200, path);
    assert.equal((await call(path, { header: 'x-api-key' })).status, 200, `${path} with x-api-key`);
  }
  const wrongMethod = await call('/admin/api/overview', { method: 'DELETE' });
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get('allow'), 'GET');
  assert.equal((await call('/admin/api/overview', { method: 'DELETE', key: null })).status, 401, 'no route shape without a key');
  assert.equal((await call('/admin/api/nothing')).status, 404);
  assert.equal((await call('/admin/api/sessions/no-such-session')).status, 404);
  assert.equal((await call('/admin/api/sessions?sort=bogus')).status, 400);
  assert.equal((await call('/admin/api/sessions?since=yesterday-ish')).status, 400);
  assert.equal((await call('/admin/api/totals?by=week')).status, 400);
});

test('keys through the API: create (shown once), change mode and budget, revoke (then 401 on /messages)', async () => {
  const created = await call('/admin/api/keys', { method: 'POST', body: { name: 'api-made', mode: 'coding' } });
  assert.equal(created.status, 201);
  assert.match(created.body.key, /^sk-sr-/);
  const id = created.body.record.id as string;
  assert.equal(created.body.record.mode, 'coding');
  const list = await call('/admin/api/keys');
  const listed = list.body.keys.find((k: { id: string }) => k.id === id);
  assert.equal(listed.name, 'api-made');
  assert.ok(!JSON.stringify(list.body).includes(created.body.key), 'the key itself is never listed');

  const client = new Anthropic({ apiKey: created.body.key, baseURL: sc.stack.anthropicBase, maxRetries: 0 });
  const ask = () => client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] });
  await ask();

  const patched = await call(`/admin/api/keys/${id}`, { method: 'PATCH', body: { mode: 'general', budgetUsdDay: 5, budgetUsdMonth: 100 } });
  assert.equal(patched.status, 200);
  assert.deepEqual([patched.body.record.mode, patched.body.record.budgetUsdDay, patched.body.record.budgetUsdMonth], ['general', 5, 100]);
  assert.equal((await sc.stack.app.deps.keys.find(created.body.key))?.mode, 'general', 'the proxy sees the new mode on the next request');
  const cleared = await call(`/admin/api/keys/${id}`, { method: 'PATCH', body: { budgetUsdDay: null } });
  assert.deepEqual([cleared.body.record.budgetUsdDay, cleared.body.record.budgetUsdMonth], [null, 100]);
  assert.equal((await call(`/admin/api/keys/${id}`, { method: 'PATCH', body: { mode: 'fast' } })).status, 400);
  assert.equal((await call(`/admin/api/keys/${id}`, { method: 'PATCH', body: { budgetUsdDay: -1 } })).status, 400);
  assert.equal((await call(`/admin/api/keys/${id}`, { method: 'PATCH', body: { colour: 'red' } })).status, 400);
  assert.equal((await call('/admin/api/keys', { method: 'POST', body: { mode: 'coding' } })).status, 400, 'name is required');
  const notJson = await fetch(`${sc.stack.app.url}/admin/api/keys`, { method: 'POST', headers: { authorization: `Bearer ${sc.adminKey}` }, body: '{nope' });
  assert.equal(notJson.status, 400);
  assert.equal((await call('/admin/api/keys/key_nothere', { method: 'PATCH', body: { mode: 'coding' } })).status, 404);
  assert.equal((await call('/admin/api/keys/key_nothere/revoke', { method: 'POST' })).status, 404);

  const revoked = await call(`/admin/api/keys/${id}/revoke`, { method: 'POST' });
  assert.equal(revoked.status, 200);
  assert.equal(revoked.body.record.status, 'revoked');
  await assert.rejects(ask(), (err: unknown) => err instanceof Anthropic.AuthenticationError);
  const raw = await fetch(`${sc.stack.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'x-api-key': created.body.key, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(raw.status, 401);
  assert.equal(((await raw.json()) as { error: { type: string } }).error.type, 'authentication_error');

  assert.equal((await call(`/admin/api/keys/${sc.adminKeyId}/revoke`, { method: 'POST' })).status, 409, 'the last admin key cannot be revoked');
});

test('overview, sessions and totals equal sums over the ledger rows', async () => {
  const rows = (await sc.stack.turns());
  const ov = await call('/admin/api/overview');
  assertTotals(ov.body.totals, sums(rows), 'overview');
  assert.ok(ov.body.totals.savingsUsd > 0, 'Synrouter saved money on this workload');
  assert.ok(ov.body.totals.unpricedTurns >= 2, 'the unpriced model is reported');
  const series = ov.body.hitRateSeries;
  assert.equal(series.points.reduce((a: number, p: { turns: number }) => a + p.turns, 0), sums(rows).turns, 'the series covers every turn');
  assert.ok(Math.abs(series.points.reduce((a: number, p: { costUsd: number }) => a + p.costUsd, 0) - sums(rows).costUsd) < 1e-9);
  assert.equal(ov.body.topSessions[0].sessionId, sc.sessions.a, 'top session by spend');

  const list = await call('/admin/api/sessions?limit=100');
  const ids = [...new Set(rows.filter((r) => r.session_id).map((r) => `${r.key_id} ${r.session_id}`))];
  assert.equal(list.body.total, ids.length);
  for (const s of list.body.sessions) {
    const mine = rows.filter((r) => r.session_id === s.sessionId && r.key_id === s.keyId);
    assertTotals(s, sums(mine), `session ${s.sessionId}`);
  }
  const byId = Object.fromEntries(list.body.sessions.map((s: { sessionId: string }) => [s.sessionId, s]));
  assert.equal(byId[sc.sessions.a].client.source, 'client');
  assert.equal(byId[sc.sessions.b].client.source, 'derived');
  assert.equal(byId[sc.sessions.c].unpricedTurns, 2);
  assert.equal(byId[sc.sessions.c].costUsd, 0, 'unknown prices are not counted as dollars');
  // Session D cached on its own markers and was pinged for nothing: a loss against the client alone,
  // though still cheaper than no caching at all (which would credit Synrouter with the client's own caching).
  assert.ok(byId[sc.sessions.d].keepalives > 0 && byId[sc.sessions.d].savingsUsd < 0, `session D saved ${byId[sc.sessions.d].savingsUsd}`);
  assert.ok(byId[sc.sessions.d].savingsVsNoCacheUsd > 0);
  assert.deepEqual(byId[sc.sessions.a].models, ['claude-sonnet-4-6']);

  // Sorting and paging.
  const bySavings = (await call('/admin/api/sessions?sort=savings&order=desc')).body.sessions.map((s: { savingsUsd: number }) => s.savingsUsd);
  assert.deepEqual(bySavings, [...bySavings].sort((a, b) => b - a));
  const byHitAsc = (await call('/admin/api/sessions?sort=hit_rate&order=asc')).body.sessions.map((s: { hitRate: number }) => s.hitRate);
  assert.deepEqual(byHitAsc, [...byHitAsc].sort((a, b) => a - b));
  const page2 = await call('/admin/api/sessions?limit=1&offset=1&sort=cost');
  assert.equal(page2.body.sessions.length, 1);
  assert.equal(page2.body.total, ids.length);
  // Filters: key and time.
  assert.equal((await call(`/admin/api/sessions?key=${sc.adminKeyId}`)).body.total, 0);
  const firstTs = Math.min(...rows.map((r) => r.ts));
  const late = await call(`/admin/api/sessions?since=${firstTs + 3_600_000}`);
  assertTotals(late.body.sessions.find((s: { sessionId: string }) => s.sessionId === sc.sessions.a),
    sums(rows.filter((r) => r.session_id === sc.sessions.a && r.ts >= firstTs + 3_600_000)), 'session A after the pause only');
  const iso = await call(`/admin/api/totals?since=${new Date(firstTs + 3_600_000).toISOString()}`);
  assertTotals(iso.body.total, sums(rows.filter((r) => r.ts >= firstTs + 3_600_000)), 'totals since an ISO time');

  for (const by of ['key', 'model', 'day'] as const) {
    const t = await call(`/admin/api/totals?by=${by}`);
    assertTotals(t.body.total, sums(rows), `totals by ${by}`);
    const group = (r: LedgerTurn) => by === 'key' ? r.key_id : by === 'model' ? r.response_model ?? r.requested_model ?? '(none)' : new Date(r.ts).toISOString().slice(0, 10);
    assert.equal(t.body.rows.length, new Set(rows.map(group)).size, `groups by ${by}`);
    for (const g of t.body.rows) assertTotals(g, sums(rows.filter((r) => group(r) === g.group)), `${by} ${g.group}`);
  }
  const byKey = (await call('/admin/api/totals?by=key')).body.rows;
  assert.equal(byKey.find((g: { group: string }) => g.group === sc.stack.keyId).label, 'e2e', 'keys are labelled with their names');
});

test('one session: its turns in order, with miss reasons, miss costs and what the engine did', async () => {
  const rows = (await sc.stack.turns()).filter((r) => r.session_id === sc.sessions.a);
  const res = await call(`/admin/api/sessions/${encodeURIComponent(sc.sessions.a)}`);
  assert.equal(res.status, 200);
  assertTotals(res.body.session, sums(rows), 'session A');
  assert.equal(res.body.turns.length, rows.length);
  res.body.turns.forEach((t: Record<string, unknown>, i: number) => {
    const r = rows[i]!;
    assert.deepEqual(
      [t.requestId, t.inputTokens, t.cacheReadTokens, t.cacheWrite5mTokens, t.cacheWrite1hTokens, t.outputTokens, t.costUsd, t.costDirectUsd, t.costClientUsd, t.missReason, t.status],
      [r.request_id, r.input_tokens, r.cache_read_tokens, r.cache_write_5m_tokens, r.cache_write_1h_tokens, r.output_tokens, r.cost_usd, r.cost_direct_usd, r.cost_client_usd, r.miss_reason, r.status],
      `turn ${i}`,
    );
    assert.deepEqual(t.engine, r.engine ? JSON.parse(r.engine) : []);
  });
  // The first turn of a session has nothing to read: a miss with no miss cost.
  assert.equal(res.body.turns[0].missReason, 'new_session');
  assert.equal(res.body.turns[0].missCostUsd, null);
  // After the pause the prefix had expired: the re-write is priced against reading what the previous turn cached.
  const i = rows.findIndex((r) => r.miss_reason === 'ttl_expired');
  assert.ok(i > 0, 'the pause produced a ttl_expired miss');
  const prev = rows[i - 1]!;
  const miss = rows[i]!;
  const expected = Math.min(prev.cache_read_tokens + prev.cache_write_5m_tokens + prev.cache_write_1h_tokens, miss.input_tokens + miss.cache_read_tokens + miss.cache_write_5m_tokens + miss.cache_write_1h_tokens);
  assert.equal(res.body.turns[i].expectedReadTokens, expected);
  // claude-sonnet-4-6: read 0.30, write 5m 3.75, write 1h 6.00, input 3.00 per MTok.
  let extra = expected - miss.cache_read_tokens;
  const from1h = Math.min(extra, miss.cache_write_1h_tokens); extra -= from1h;
  const from5m = Math.min(extra, miss.cache_write_5m_tokens); extra -= from5m;
  const fromInput = Math.min(extra, miss.input_tokens);
  const missCost = (from1h * (6 - 0.3) + from5m * (3.75 - 0.3) + fromInput * (3 - 0.3)) / 1e6;
  assert.ok(Math.abs(res.body.turns[i].missCostUsd - missCost) < 1e-12, `${res.body.turns[i].missCostUsd} ≈ ${missCost}`);
  assert.ok(Math.abs(res.body.missCostUsd - missCost) < 1e-12, 'the session total is the one priced miss');
  assert.ok(res.body.turns.some((t: { engine: Array<{ kind: string }> }) => t.engine.some((c) => c.kind === 'breakpoint')));
});

test('keep-alive pings count as spend with no direct cost; rows with unknown prices stay out of the dollars', async () => {
  const { ledger } = sc.stack.app.deps;
  const last = (await sc.stack.turns()).filter((r) => r.session_id === sc.sessions.b).at(-1)!;
  const ping = {
    ts: last.ts + 1000, requestId: 'req_ping_1', kind: 'keepalive' as 'turn', keyId: last.key_id, sessionId: last.session_id, clientProtocol: 'anthropic',
    endpoint: 'messages', requestedModel: 'claude-sonnet-4-6', responseModel: 'claude-sonnet-4-6', provider: 'anthropic', status: 200, errorCode: null,
    streamed: false, aborted: false, inputTokens: 0, cacheReadTokens: 4000, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0,
    costUsd: 0.0012, costDirectUsd: null, costClientUsd: null, missReason: null, engine: null, latencyMs: 100, ttfbMs: 90,
  };
  ledger.record(ping);
  const rows = (await sc.stack.turns()).filter((r) => r.session_id === sc.sessions.b);
  const turnsOnly = rows.filter((r) => r.kind === 'turn');
  const s = (await call(`/admin/api/sessions/${sc.sessions.b}`)).body.session;
  assert.equal(s.keepalives, 1);
  assert.equal(s.turns, turnsOnly.length, 'a ping is not a turn');
  assert.ok(Math.abs(s.keepaliveCostUsd - 0.0012) < 1e-12);
  assert.ok(Math.abs(s.costUsd - (sums(turnsOnly).costUsd + 0.0012)) < 1e-12, 'spend includes the ping');
  assert.ok(Math.abs(s.costDirectUsd - sums(turnsOnly).costDirectUsd) < 1e-12, 'direct cost has no ping');
  assert.ok(Math.abs(s.savingsUsd - (sums(turnsOnly).savingsUsd - 0.0012)) < 1e-12, 'savings are net of the ping');
  assert.equal(s.cacheReadTokens, sums(turnsOnly).cacheReadTokens, 'the ping does not inflate the hit rate');
});

test('/metrics needs the admin key: none is 401, a client key 403', async () => {
  const none = await fetch(`${sc.stack.app.url}/metrics`);
  assert.equal(none.status, 401);
  assert.equal(((await none.json()) as { error: { type: string } }).error.type, 'authentication_error');
  const client = await fetch(`${sc.stack.app.url}/metrics`, { headers: { authorization: `Bearer ${sc.stack.key}` } });
  assert.equal(client.status, 403);
  await client.body?.cancel();
});

test('/metrics counts the same turns as the ledger', async () => {
  const rows = (await sc.stack.turns()).filter((r) => r.kind === 'turn');
  const res = await fetch(`${sc.stack.app.url}/metrics`, { headers: { authorization: `Bearer ${sc.adminKey}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const sample = (re: RegExp) => [...text.matchAll(re)].reduce((a, m) => a + Number(m[1]), 0);
  // Rows the test wrote directly into the ledger (the ping) were never observed by the request flow.
  assert.equal(sample(/^synrouter_turns_total\{kind="turn",[^}]*\} (\S+)$/gm), rows.length);
  assert.equal(sample(/^synrouter_tokens_total\{kind="cache_read",[^}]*\} (\S+)$/gm), rows.reduce((a, r) => a + r.cache_read_tokens, 0));
  const cost = sample(/^synrouter_cost_usd_total\{[^}]*\} (\S+)$/gm);
  // Spend is every row the request flow and the keep-alive observed (session D's pings included).
  const observed = (await sc.stack.turns()).filter((r) => r.request_id !== 'req_ping_1' && !r.request_id.startsWith('known_'));
  assert.ok(Math.abs(cost - observed.reduce((a, r) => a + (r.cost_usd ?? 0), 0)) < 1e-9);
  assert.equal(sample(/^synrouter_turns_unpriced_total\{[^}]*\} (\S+)$/gm), rows.filter((r) => r.cost_usd === null && r.output_tokens > 0).length);
  assert.match(text, /^synrouter_active_streams 0$/m);
  assert.match(text, /^synrouter_turn_ttfb_seconds_bucket\{model="anthropic\/claude-sonnet-4\.6",le="\+Inf"\} \d+$/m);
});

test('savings from a known ledger: against the client alone, pings included, a loss shown as one; the cut against no caching second', async () => {
  const { record } = await sc.stack.app.deps.keys.create({ name: 'known' });
  await recordKnownLedger(sc.stack.app.deps.ledger, record.id, Date.UTC(2026, 0, 5, 10));
  const close = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) < 1e-12, `${what}: ${got}, by hand ${want}`);
  const check = (api: Record<string, number>, want: Record<string, number>, what: string) => {
    for (const [k, v] of Object.entries(want)) close(api[k]!, v, `${what} ${k}`);
  };
  check((await call(`/admin/api/totals?key=${record.id}`)).body.total, KNOWN.total, 'totals');
  check((await call(`/admin/api/overview?key=${record.id}`)).body.totals, KNOWN.total, 'overview');
  const list = (await call(`/admin/api/sessions?key=${record.id}&sort=savings&order=asc`)).body.sessions;
  assert.deepEqual(list.map((s: { sessionId: string }) => s.sessionId), ['gone', 'kept'], 'the loss sorts first');
  check(list[0], KNOWN.gone, 'session gone');
  check(list[1], KNOWN.kept, 'session kept');
  check((await call(`/admin/api/sessions/kept?key=${record.id}`)).body.session, KNOWN.kept, 'one session');
  const byNoCache = (await call(`/admin/api/sessions?key=${record.id}&sort=savings_vs_no_cache&order=desc`)).body.sessions;
  assert.deepEqual(byNoCache.map((s: { sessionId: string }) => s.sessionId), ['kept', 'gone']);
});
