/**
 * `synrouter usage` and `synrouter sessions` as a user runs them, on the store of a running
 * Synrouter (WAL: the CLI reads while the server writes), checked against sums over the ledger rows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { LedgerTurn } from './support/stack.ts';
import { runSavingsScenario, type Scenario } from './support/savings-scenario.ts';
import { KNOWN, recordKnownLedger } from './support/known-ledger.ts';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

let sc: Scenario;
before(async () => { sc = await runSavingsScenario(); });
after(() => sc.stack.close());

async function cli(...args: string[]): Promise<string[][]> {
  await sc.stack.app.deps.ledger.flush();
  const { stdout } = await run(process.execPath, [MAIN, ...args, '--db', sc.stack.dbPath], { env: { ...process.env, SYNROUTER_CONFIG: '', ...(sc.stack.databaseUrl ? { SYNROUTER_DATABASE_URL: sc.stack.databaseUrl } : {}) } });
  return stdout.trimEnd().split('\n').map((l) => l.split(/ {2,}/));
}

/** Reads a table: header row, then rows as objects keyed by header. */
function table(lines: string[][]): Array<Record<string, string>> {
  const [head, ...rows] = lines;
  return rows.filter((r) => r.length === head!.length).map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i]!])));
}

const dollars = (s: string) => Number(s.replace(/[$,]/g, ''));
const percent = (s: string) => Number(s.replace('%', '')) / 100;
const ints = (s: string) => Number(s.replace(/,/g, ''));

function sums(rows: LedgerTurn[]) {
  const turns = rows.filter((r) => r.kind === 'turn');
  const priced = turns.filter((r) => r.cost_usd !== null);
  const add = (xs: LedgerTurn[], f: (r: LedgerTurn) => number) => xs.reduce((a, r) => a + f(r), 0);
  const read = add(turns, (r) => r.cache_read_tokens);
  const allIn = add(turns, (r) => r.input_tokens + r.cache_read_tokens + r.cache_write_5m_tokens + r.cache_write_1h_tokens);
  const cost = add(rows.filter((r) => r.cost_usd !== null), (r) => r.cost_usd!);
  const direct = add(priced, (r) => r.cost_direct_usd!);
  const client = add(priced, (r) => r.cost_client_usd!);
  return {
    turns: turns.length, priced: priced.length, allIn, out: add(turns, (r) => r.output_tokens), hit: allIn ? read / allIn : null, cost, client,
    savings: client - cost, savingsPct: client ? (client - cost) / client : null, vsNoCache: direct - cost, vsNoCachePct: direct ? (direct - cost) / direct : null,
  };
}

/** A printed row equals the ledger's sums, to the precision printed ($0.0001 below $1, 0.1% for rates). */
function assertRow(row: Record<string, string>, s: ReturnType<typeof sums>, what: string) {
  assert.equal(ints(row.TURNS!), s.turns, `${what} turns`);
  assert.equal(ints(row['INPUT TOK']!), s.allIn, `${what} input tokens`);
  assert.equal(ints(row['OUTPUT TOK']!), s.out, `${what} output tokens`);
  if (s.hit === null) assert.equal(row['HIT RATE'], '-');
  else assert.ok(Math.abs(percent(row['HIT RATE']!) - s.hit) <= 0.0005 + 1e-12, `${what} hit rate ${row['HIT RATE']} vs ${s.hit}`);
  for (const [col, v] of [['COST', s.cost], ['CLIENT ALONE', s.client], ['SAVED', s.savings], ['VS NO CACHING', s.vsNoCache]] as const) assertDollars(row[col]!, v, s.priced, `${what} ${col}`);
  for (const [col, v] of [['SAVED %', s.savingsPct], ['VS NO CACHING %', s.vsNoCachePct]] as const) assertPercent(row[col]!, v, `${what} ${col}`);
}

/** A printed rate equals the ledger's to 0.1%; '-' where it has no base. */
function assertPercent(printed: string, v: number | null, what: string) {
  if (v === null) assert.equal(printed, '-', what);
  else assert.ok(Math.abs(percent(printed) - v) <= 0.0005 + 1e-12, `${what} ${printed} vs ${v}`);
}

/** Printed dollars equal the ledger's to the cent-hundredth; '-' only where no turn had prices (unknown is not $0). */
function assertDollars(printed: string, v: number, priced: number, what: string) {
  if (printed === '-') assert.equal(priced, 0, `${what}: '-' only without prices`);
  else assert.ok(Math.abs(dollars(printed) - v) <= 0.00005 + 1e-12, `${what} ${printed} vs ${v}`);
}

test('usage --by key|model|day prints the ledger sums per group and in total', async () => {
  const rows = (await sc.stack.turns());
  for (const by of ['key', 'model', 'day'] as const) {
    const out = await cli('usage', '--by', by);
    const t = table(out);
    const label = by.toUpperCase();
    const total = t.find((r) => r[label] === 'TOTAL');
    assert.ok(total, `a TOTAL row (${by})`);
    assertRow(total, sums(rows), `${by} TOTAL`);
    const group = (r: LedgerTurn) => by === 'key' ? `e2e (${r.key_id})` : by === 'model' ? r.response_model ?? r.requested_model ?? '(none)' : new Date(r.ts).toISOString().slice(0, 10);
    const groups = new Set(rows.map(group));
    assert.equal(t.length - 1, groups.size, `one row per ${by}`);
    for (const g of groups) {
      const printed = t.find((r) => r[label] === g);
      assert.ok(printed, `${by} row ${g}`);
      assertRow(printed, sums(rows.filter((r) => group(r) === g)), `${by} ${g}`);
    }
    assert.ok(out.flat().join(' ').includes('unknown prices'), 'says that some turns had no prices');
  }
});

test('usage --since keeps only later turns; a bad time is refused', async () => {
  const rows = (await sc.stack.turns());
  const cut = Math.min(...rows.map((r) => r.ts)) + 3_600_000;
  const t = table(await cli('usage', '--by', 'model', '--since', new Date(cut).toISOString()));
  assertRow(t.find((r) => r.MODEL === 'TOTAL')!, sums(rows.filter((r) => r.ts >= cut)), 'since');
  await assert.rejects(cli('usage', '--since', 'last tuesday'), (err: { code?: number; stderr?: string }) => err.code === 2 && /not a time/.test(err.stderr ?? ''));
  await assert.rejects(cli('usage', '--by', 'week'), (err: { code?: number }) => err.code === 2);
});

test('sessions prints recent sessions with hit rate, cost, the client alone, savings and the cut against no caching', async () => {
  const rows = (await sc.stack.turns());
  const t = table(await cli('sessions', '--limit', '10'));
  const ids = new Set(rows.filter((r) => r.session_id).map((r) => r.session_id!));
  assert.equal(t.length, ids.size);
  assert.equal(t[0]!.SESSION, rows.filter((r) => r.session_id).at(-1)!.session_id, 'most recent first');
  for (const r of t) {
    const mine = rows.filter((x) => x.session_id === r.SESSION);
    const s = sums(mine);
    assert.equal(ints(r.TURNS!), s.turns);
    assert.ok(Math.abs(percent(r['HIT RATE']!) - s.hit!) <= 0.0005 + 1e-12);
    for (const [col, v] of [['COST', s.cost], ['CLIENT ALONE', s.client], ['SAVED', s.savings]] as const) assertDollars(r[col]!, v, s.priced, `${r.SESSION} ${col}`);
    if (s.priced) assertPercent(r['SAVED %']!, s.savingsPct, `${r.SESSION} SAVED %`);
    if (s.priced) assertPercent(r['VS NO CACHING %']!, s.vsNoCachePct, `${r.SESSION} VS NO CACHING %`);
  }
  const d = t.find((r) => r.SESSION === sc.sessions.d)!;
  assert.match(d.SAVED!, /^-\$0\.\d{4}$/, `pinged for nothing: a loss against the client alone, shown as one (${d.SAVED})`);
  assert.ok(percent(d['VS NO CACHING %']!) > 0, 'though under no caching at all');
  assert.equal(t.find((r) => r.SESSION === sc.sessions.c)!.COST, '-', 'a session with unknown prices shows no dollars');
  assert.equal(t.find((r) => r.SESSION === sc.sessions.b)!.CLIENT, 'anthropic/derived');
  assert.equal(t.find((r) => r.SESSION === sc.sessions.a)!.CLIENT, 'anthropic/client');
  const one = table(await cli('sessions', '--limit', '1'));
  assert.equal(one.length, 1);
});

test('usage and sessions on a known ledger print what was saved against the client alone, pings included, and the cut against no caching second', async () => {
  const { record } = await sc.stack.app.deps.keys.create({ name: 'known' });
  await recordKnownLedger(sc.stack.app.deps.ledger, record.id, Date.UTC(2026, 0, 5, 10));
  const usage = await cli('usage', '--by', 'key', '--key', record.id);
  const total = table(usage).find((r) => r.KEY === 'TOTAL')!;
  assert.deepEqual(
    [total.COST, total['CLIENT ALONE'], total.SAVED, total['SAVED %'], total['VS NO CACHING'], total['VS NO CACHING %']],
    ['$0.0105', '$0.0107', '$0.0002', '1.9%', '$0.0040', '27.6%'],
    'by hand: 0.0107 - 0.0105, and 0.0145 - 0.0105 against no caching',
  );
  assert.ok(Math.abs(dollars(total.SAVED!) - KNOWN.total.savingsUsd) < 1e-12);
  const text = usage.flat().join(' ');
  assert.match(text, /3 keep-alive pings \(\$0\.0005\)/);
  assert.match(text, /SAVED = CLIENT ALONE - COST, keep-alive pings included/);
  const sessions = Object.fromEntries(table(await cli('sessions', '--key', record.id)).map((r) => [r.SESSION, r]));
  assert.deepEqual([sessions.kept!.COST, sessions.kept!['CLIENT ALONE'], sessions.kept!.SAVED, sessions.kept!['SAVED %'], sessions.kept!['VS NO CACHING %']], ['$0.0072', '$0.0077', '$0.0005', '6.5%', '40.0%']);
  assert.deepEqual([sessions.gone!.COST, sessions.gone!['CLIENT ALONE'], sessions.gone!.SAVED, sessions.gone!['SAVED %'], sessions.gone!['VS NO CACHING %']], ['$0.0033', '$0.0030', '-$0.0003', '-10.0%', '-32.0%'], 'the pings were a loss, not zero');
});
