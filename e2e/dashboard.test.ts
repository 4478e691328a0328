/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core. Log in with the
 * admin key, read the overview and a session page, and check that the numbers shown equal sums over
 * the ledger rows; create, re-mode and revoke a key on the keys page. The page must load nothing
 * from outside Synrouter, and each of its ES modules must load without an error; its charts use
 * style.css's colours. Screenshots go to test-output/.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`); fails without it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { DASHBOARD_FILES } from '../src/admin/dashboard-assets.ts';
import type { LedgerTurn } from './support/stack.ts';
import { runSavingsScenario, type Scenario } from './support/savings-scenario.ts';

const CHROMIUM = '/usr/bin/chromium';
const OUT = fileURLToPath(new URL('../test-output/', import.meta.url));

let sc: Scenario;
let context: BrowserContext;
let page: Page;
let profile: string;
const foreign: string[] = [];
const problems: string[] = [];

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\``);
  mkdirSync(OUT, { recursive: true });
  sc = await runSavingsScenario();
  profile = mkdtempSync(join(tmpdir(), 'synrouter-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1366, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('request', (r) => { if (!r.url().startsWith(sc.stack.app.url) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('dialog', (d) => void d.accept());
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await sc?.stack.close();
});

function sums(rows: LedgerTurn[]) {
  const turns = rows.filter((r) => r.kind === 'turn');
  const priced = turns.filter((r) => r.cost_usd !== null);
  const add = (xs: LedgerTurn[], f: (r: LedgerTurn) => number) => xs.reduce((a, r) => a + f(r), 0);
  const read = add(turns, (r) => r.cache_read_tokens);
  const allIn = add(turns, (r) => r.input_tokens + r.cache_read_tokens + r.cache_write_5m_tokens + r.cache_write_1h_tokens);
  const cost = add(rows.filter((r) => r.cost_usd !== null), (r) => r.cost_usd!);
  const direct = add(priced, (r) => r.cost_direct_usd!);
  const clientOnly = add(priced, (r) => r.cost_client_usd!);
  // What Synrouter saved is against the client's own requests sent directly; no caching at all is the second figure.
  return {
    turns: turns.length, hitRate: read / allIn, cost, direct, clientOnly, savings: clientOnly - cost, savingsPct: (clientOnly - cost) / clientOnly,
    vsNoCache: direct - cost, vsNoCachePct: (direct - cost) / direct,
  };
}

/** The text shown and the raw value behind it, for an element. */
async function shown(selector: string): Promise<{ text: string; value: number }> {
  const el = page.locator(selector).first();
  return { text: (await el.textContent())!.trim(), value: Number(await el.getAttribute('data-value')) };
}

/** Dollars: the raw value equals the ledger's, and the text shows it rounded ($0.0001 below $1). */
async function assertUsd(selector: string, expected: number) {
  const { text, value } = await shown(selector);
  assert.ok(Math.abs(value - expected) < 1e-9, `${selector} data-value ${value} vs ledger ${expected}`);
  assert.match(text, /^-?\$[\d,]+\.\d{2,4}$/, `${selector} text ${text}`);
  const digits = Math.abs(expected) >= 1 ? 2 : 4;
  assert.ok(Math.abs(Number(text.replace(/[$,]/g, '')) - expected) <= 0.5 * 10 ** -digits + 1e-12, `${selector} shows ${text} for ${expected}`);
}

async function assertPct(selector: string, expected: number) {
  const { text, value } = await shown(selector);
  assert.ok(Math.abs(value - expected) < 1e-12, `${selector} data-value ${value} vs ledger ${expected}`);
  assert.equal(text, `${(expected * 100).toFixed(1)}%`, selector);
}

test('log in with the admin key; the overview shows the ledger\'s spend, what Synrouter saved against the client alone, the cut against no caching (labelled) and hit rate', async () => {
  await page.goto(`${sc.stack.app.url}/dashboard`);
  await page.waitForSelector('#login-form');
  await page.fill('#login-key', sc.stack.key);
  await page.click('#login-submit');
  await page.waitForSelector('#login-error');
  assert.match((await page.textContent('#login-error'))!, /admin key/, 'a client key is refused');
  await page.fill('#login-key', sc.adminKey);
  await page.click('#login-submit');
  await page.waitForSelector('#ov-spend');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('synrouter.adminKey')), sc.adminKey, 'the key is kept in sessionStorage');

  const s = sums((await sc.stack.turns()));
  await assertUsd('#ov-spend', s.cost);
  // The headline: saved against what the client's own requests would have cost sent directly.
  assert.ok(Math.abs(s.savings - s.vsNoCache) > 0.001, 'the scenario tells the two apart (session D caches on its own markers)');
  await assertUsd('#ov-savings', s.savings);
  await assertUsd('#ov-client', s.clientOnly);
  await assertPct('#ov-savings-pct', s.savingsPct);
  assert.equal(await page.textContent('[data-testid=card-savings] .label'), 'Saved by Synrouter');
  assert.match((await page.textContent('[data-testid=card-savings] .sub'))!, /of \$[\d.]+, what the client’s own requests would have cost sent directly \(its own cache markers\); keep-alive pings \(\$[\d.]+\) included$/);
  // The second figure, labelled as the cut against no caching.
  await assertUsd('#ov-savings-no-cache', s.vsNoCache);
  await assertUsd('#ov-direct', s.direct);
  await assertPct('#ov-savings-no-cache-pct', s.vsNoCachePct);
  assert.equal(await page.textContent('[data-testid=card-no-cache] .label'), 'vs no caching');
  assert.match((await page.textContent('[data-testid=card-no-cache] .sub'))!, /below \$[\d.]+, the same tokens with no caching at all$/);
  const cards = await page.$$eval('#overview-cards .card', (els) => els.map((e) => e.getAttribute('data-testid')));
  assert.ok(cards.indexOf('card-savings') < cards.indexOf('card-no-cache'), `the headline comes first: ${cards.join(', ')}`);
  assert.equal(await page.locator('#main').getByText('without Synrouter').count(), 0, 'no "spend without Synrouter" claim');
  await assertPct('#ov-hit-rate', s.hitRate);
  assert.equal(Number(await page.getAttribute('#ov-turns', 'data-value')), s.turns);
  assert.match((await page.textContent('#unpriced-note'))!, /^2 turn\(s\) had unknown prices/);
  assert.ok(Number(await page.getAttribute('#hit-rate-chart', 'data-points')) >= 2, 'the hit-rate chart has points');
  assert.ok(await page.locator('#hit-rate-chart circle').count() >= 2);
  assert.equal(await page.getAttribute('#top-sessions tbody tr:first-child', 'data-session-id'), sc.sessions.a, 'top session by spend');
  await page.screenshot({ path: join(OUT, 'dashboard-overview.png'), fullPage: true });
});

test('the sessions table sorts by a clicked column and filters by key', async () => {
  await page.click('#nav-sessions');
  await page.waitForSelector('#sessions-table tbody tr[data-session-id]');
  const ids = new Set((await sc.stack.turns()).filter((r) => r.session_id).map((r) => r.session_id));
  assert.equal(await page.locator('#sessions-table tbody tr[data-session-id]').count(), ids.size);

  const savings = () => page.$$eval('#sessions-table tbody td[data-col=savingsUsd] span', (els) => els.map((e) => Number(e.getAttribute('data-value'))));
  await page.click('#sessions-table th[data-sort=savings]');
  await page.waitForSelector('#sessions-table th[data-sort=savings]:has-text("▼")');
  const desc = await savings();
  assert.deepEqual(desc, [...desc].sort((a, b) => b - a), 'savings, largest first');
  await page.click('#sessions-table th[data-sort=savings]');
  await page.waitForSelector('#sessions-table th[data-sort=savings]:has-text("▲")');
  const asc = await savings();
  assert.deepEqual(asc, [...asc].sort((a, b) => a - b), 'then smallest first');

  for (const r of await page.$$eval('#sessions-table tbody tr[data-session-id]', (trs) => trs.map((tr) => ({
    id: tr.getAttribute('data-session-id')!, cost: Number(tr.querySelector('td[data-col=costUsd] span')!.getAttribute('data-value')),
    client: Number(tr.querySelector('td[data-col=costClientUsd] span')!.getAttribute('data-value')), turns: Number(tr.querySelector('td[data-col=turns]')!.getAttribute('data-value')),
    saved: Number(tr.querySelector('td[data-col=savingsUsd] span')!.getAttribute('data-value')), noCache: Number(tr.querySelector('td[data-col=savingsVsNoCacheUsd] span')!.getAttribute('data-value')),
  })))) {
    const s = sums((await sc.stack.turns()).filter((t) => t.session_id === r.id));
    assert.equal(r.turns, s.turns, `${r.id} turns`);
    assert.ok(Math.abs(r.cost - s.cost) < 1e-9 && Math.abs(r.client - s.clientOnly) < 1e-9, `${r.id} cost and the client alone`);
    assert.ok(Math.abs(r.saved - s.savings) < 1e-9 && Math.abs(r.noCache - s.vsNoCache) < 1e-9, `${r.id} saved, and vs no caching`);
  }
  assert.equal(await page.textContent('#sessions-table th[data-col=savingsVsNoCacheUsd]'), 'vs no caching');

  await page.selectOption('#filter-key', sc.adminKeyId);
  await page.click('#filter-apply');
  await page.waitForSelector('#page-info[data-total="0"]');
  await page.selectOption('#filter-key', sc.stack.keyId);
  await page.click('#filter-apply');
  await page.waitForSelector(`#page-info[data-total="${ids.size}"]`);
  await page.screenshot({ path: join(OUT, 'dashboard-sessions.png'), fullPage: true });
});

test('a session page shows each turn\'s tokens, cost, miss reason, miss cost and engine actions as in the ledger', async () => {
  await page.click(`#sessions-table tr[data-session-id="${sc.sessions.a}"] a`);
  await page.waitForSelector('#turns-table tbody tr');
  const rows = (await sc.stack.turns()).filter((r) => r.session_id === sc.sessions.a);
  const s = sums(rows);
  assert.equal(await page.textContent('#session-id'), sc.sessions.a);
  await assertUsd('#ss-cost', s.cost);
  await assertUsd('#ss-client', s.clientOnly);
  await assertUsd('#ss-savings', s.savings);
  await assertUsd('#ss-direct', s.direct);
  await assertUsd('#ss-savings-no-cache', s.vsNoCache);
  await assertPct('#ss-hit-rate', s.hitRate);
  assert.equal(await page.locator('#token-bars g.bar').count(), rows.length, 'one stacked bar per turn');

  const shownTurns = await page.$$eval('#turns-table tbody tr[data-turn-index]', (trs) => trs.map((tr) => {
    const cell = (c: string) => tr.querySelector(`td[data-col=${c}]`)!;
    const v = (c: string) => cell(c).getAttribute('data-value') ?? cell(c).querySelector('[data-value]')?.getAttribute('data-value') ?? null;
    return {
      request: tr.getAttribute('data-request-id'), input: v('inputTokens'), read: v('cacheReadTokens'), w5: v('cacheWrite5mTokens'), w1h: v('cacheWrite1hTokens'),
      out: v('outputTokens'), cost: v('costUsd'), costText: cell('costUsd').textContent, miss: v('missReason'), missCost: cell('missCostUsd').querySelector('[data-value]')?.getAttribute('data-value') ?? null,
      engine: document.querySelector(`#turns-table tr[data-engine-for="${tr.getAttribute('data-turn-index')}"] td[data-col=engine]`)?.textContent ?? '',
    };
  }));
  assert.equal(shownTurns.length, rows.length);
  rows.forEach((r, i) => {
    const t = shownTurns[i]!;
    assert.equal(t.request, r.request_id, `turn ${i} in order`);
    assert.deepEqual([t.input, t.read, t.w5, t.w1h, t.out].map(Number), [r.input_tokens, r.cache_read_tokens, r.cache_write_5m_tokens, r.cache_write_1h_tokens, r.output_tokens], `turn ${i} tokens`);
    assert.ok(Math.abs(Number(t.cost) - r.cost_usd!) < 1e-12, `turn ${i} cost`);
    assert.equal(t.miss || null, r.miss_reason, `turn ${i} miss reason`);
    for (const c of (r.engine ? JSON.parse(r.engine) : []) as Array<{ kind: string; detail: string }>) assert.ok(t.engine!.includes(`${c.kind}: ${c.detail}`), `turn ${i} engine action ${c.detail}`);
  });
  // The ttl_expired turn: its miss cost, priced as documented on the page.
  const i = rows.findIndex((r) => r.miss_reason === 'ttl_expired');
  const prev = rows[i - 1]!, miss = rows[i]!;
  let extra = Math.min(prev.cache_read_tokens + prev.cache_write_5m_tokens + prev.cache_write_1h_tokens, miss.cache_read_tokens + miss.cache_write_5m_tokens + miss.cache_write_1h_tokens + miss.input_tokens) - miss.cache_read_tokens;
  const from1h = Math.min(extra, miss.cache_write_1h_tokens); extra -= from1h;
  const from5m = Math.min(extra, miss.cache_write_5m_tokens); extra -= from5m;
  const missCost = (from1h * (6 - 0.3) + from5m * (3.75 - 0.3) + Math.min(extra, miss.input_tokens) * (3 - 0.3)) / 1e6;
  assert.ok(Math.abs(Number(shownTurns[i]!.missCost) - missCost) < 1e-12, `miss cost ${shownTurns[i]!.missCost} vs ${missCost}`);
  await assertUsd('#ss-miss-cost', missCost);
  assert.match((await page.textContent('#miss-cost-definition'))!, /previous turn/);
  await page.screenshot({ path: join(OUT, 'dashboard-session.png'), fullPage: true });
});

test('a session pinged for nothing shows a negative saving against the client alone, not zero, beside its (positive) cut against no caching', async () => {
  await page.goto(`${sc.stack.app.url}/dashboard#/session?key=${sc.stack.keyId}&id=${sc.sessions.d}`);
  // This session's page, not the one still shown while its data loads (a hash change keeps the document).
  await page.waitForFunction((id) => document.getElementById('session-id')?.textContent === id && document.getElementById('ss-savings') !== null, sc.sessions.d);
  const rows = (await sc.stack.turns()).filter((r) => r.session_id === sc.sessions.d);
  const s = sums(rows);
  const pings = rows.filter((r) => r.kind === 'keepalive');
  assert.ok(pings.length >= 2 && s.savings < 0, `pinged ${pings.length} times, saved ${s.savings}`);
  assert.ok(Math.abs(s.savings + pings.reduce((a, r) => a + r.cost_usd!, 0)) < 1e-9, 'the client alone paid exactly the turns: the loss is the pings');
  await assertUsd('#ss-savings', s.savings);
  assert.match((await page.textContent('#ss-savings'))!, /^-\$0\.\d{4}$/);
  assert.match((await page.getAttribute('#ss-savings', 'class'))!, /\bbad\b/);
  await assertPct('#ss-savings-pct', s.savingsPct);
  assert.ok(s.vsNoCache > 0);
  await assertUsd('#ss-savings-no-cache', s.vsNoCache);
  assert.equal(await page.textContent('[data-testid=card-s-savings] .label'), 'Saved by Synrouter');
  assert.equal(await page.textContent('[data-testid=card-s-no-cache] .label'), 'vs no caching');
  await page.screenshot({ path: join(OUT, 'dashboard-session-loss.png'), fullPage: true });
});

test('keys page: create (shown once), set mode, revoke', async () => {
  await page.click('#nav-keys');
  await page.waitForSelector('#keys-table');
  await page.fill('#new-key-name', 'from the browser');
  await page.selectOption('#new-key-mode', 'general');
  await page.click('#create-key');
  await page.waitForSelector('#new-key-value');
  const key = (await page.textContent('#new-key-value'))!;
  assert.match(key, /^sk-sr-/);
  const record = (await sc.stack.app.deps.keys.find(key))!;
  assert.equal(record.mode, 'general');
  assert.equal(record.name, 'from the browser');

  const row = `#keys-table tr[data-key-id="${record.id}"]`;
  await page.selectOption(`${row} select.key-mode`, 'coding');
  await page.waitForFunction((id) => document.querySelector(`#keys-table tr[data-key-id="${id}"] select.key-mode`) !== null && !document.getElementById('new-key-value'), record.id);
  assert.equal((await sc.stack.app.deps.keys.get(record.id))!.mode, 'coding');

  await page.click(`${row} button.revoke`);
  await page.waitForSelector(`${row}[data-status=revoked]`);
  assert.notEqual((await sc.stack.app.deps.keys.get(record.id))!.revokedAt, null);
  await page.screenshot({ path: join(OUT, 'dashboard-keys.png'), fullPage: true });
});

test('model names, session ids and key names with bidi and control characters are shown escaped (an RLO does not turn "evil" into "live")', async () => {
  // After the other tests: these rows would change their counts.
  const { key } = await sc.stack.app.deps.keys.create({ name: '\u202eevil-key' });
  const session = '\u202eevil-session\x1b';
  const post = (model: string) => fetch(`${sc.stack.anthropicBase}/v1/messages`, {
    method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ model, max_tokens: 16, metadata: { user_id: JSON.stringify({ session_id: session }) }, messages: [{ role: 'user', content: 'hi' }] }),
  }).then((r) => r.status);
  assert.equal(await post('\u202eevil-model\r'), 404);
  assert.equal(await post('claude-sonnet-4-6'), 200);
  await sc.stack.app.deps.ledger.flush();
  const raw = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
  const noRaw = async (what: string) => {
    const texts = await page.evaluate(() => [document.getElementById('main')!.textContent ?? '', ...[...document.querySelectorAll('#main [title]')].map((e) => e.getAttribute('title')!)]);
    const bad = texts.find((t) => raw.test(t));
    assert.equal(bad, undefined, `${what}: raw control or bidi character in ${JSON.stringify(bad)}`);
  };

  await page.goto(`${sc.stack.app.url}/dashboard#/sessions`);
  const row = `#sessions-table tr[data-session-id="${session}"]`;
  await page.waitForSelector(row);
  assert.equal(await page.textContent(`${row} td[data-col=session] a`), '\\u202eevil-session\\x1b');
  assert.equal(await page.getAttribute(`${row} td[data-col=session] a`, 'title'), '\\u202eevil-session\\x1b');
  assert.equal(await page.textContent(`${row} td[data-col=key]`), '\\u202eevil-key');
  assert.match((await page.textContent(`${row} td[data-col=model]`))!, /\\u202eevil-model\\x0d/);
  await noRaw('sessions');

  await page.click(`${row} td[data-col=session] a`);
  await page.waitForSelector('#turns-table tbody tr');
  assert.equal(await page.textContent('#session-id'), '\\u202eevil-session\\x1b');
  assert.ok((await page.$$eval('#turns-table td[data-col=model]', (tds) => tds.map((t) => t.textContent))).includes('\\u202eevil-model\\x0d'));
  await noRaw('session');

  await page.click('#nav-overview');
  await page.waitForSelector('#by-model');
  assert.ok((await page.$$eval('#by-model td.mono', (tds) => tds.map((t) => t.textContent))).includes('\\u202eevil-model\\x0d'));
  await noRaw('overview');

  await page.click('#nav-keys');
  await page.waitForSelector('#keys-table');
  assert.ok((await page.$$eval('#keys-table td', (tds) => tds.map((t) => t.textContent))).includes('\\u202eevil-key'));
  await noRaw('keys');
});

test('every module of the page is served as JavaScript and loads in a fresh tab without an error or warning; an unknown path under /dashboard is a 404', async () => {
  const origin = sc.stack.app.url;
  const fresh = await context.newPage();
  const answers = new Map<string, { status: number; type: string | undefined }>();
  const errors: string[] = [];
  fresh.on('response', (r) => { if (r.url().startsWith(origin)) answers.set(new URL(r.url()).pathname, { status: r.status(), type: r.headers()['content-type'] }); });
  fresh.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  fresh.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`); });
  try {
    // The load event waits for the module graph (module scripts are deferred).
    await fresh.goto(`${origin}/dashboard`);
    const modules = DASHBOARD_FILES.filter((f) => f.endsWith('.js')).map((f) => `/dashboard/${f}`);
    const fetched = [...answers.keys()].filter((p) => p.endsWith('.js'));
    assert.deepEqual(fetched.sort(), [...modules].sort(), 'the browser fetched every listed module and no other');
    for (const m of modules) assert.deepEqual(answers.get(m), { status: 200, type: 'text/javascript; charset=utf-8' }, m);
    assert.deepEqual(answers.get('/dashboard/style.css'), { status: 200, type: 'text/css; charset=utf-8' });
    assert.deepEqual(errors, []);
    // A new tab has no key in its sessionStorage: the login form, drawn once every module ran.
    await fresh.waitForSelector('#login-form');

    assert.equal((await fresh.goto(`${origin}/dashboard/views/nope.js`))!.status(), 404);
    const unknown = await fetch(`${origin}/dashboard/nope.js`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'not_found');
    // Sent as written (fetch would resolve the dots): an encoded slash is no way out of the folder.
    const raw = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port: new URL(origin).port, path: '/dashboard/..%2f..%2f..%2fpackage.json' }, (res) => { res.resume(); resolve(res.statusCode!); }).on('error', reject).end();
    });
    assert.equal(raw, 404);
  } finally {
    await fresh.close();
  }
});

test('the charts are drawn in the colours style.css defines', async () => {
  await page.goto(`${sc.stack.app.url}/dashboard#/session?key=${sc.stack.keyId}&id=${sc.sessions.a}`);
  await page.waitForFunction((id) => document.getElementById('session-id')?.textContent === id, sc.sessions.a);
  await page.waitForSelector('#token-bars g.bar');
  const drawn = await page.evaluate(() => {
    const css = getComputedStyle(document.documentElement);
    const v = (name: string) => css.getPropertyValue(name).trim();
    const expected: Record<string, string> = { read: v('--read'), w1h: v('--write1h'), w5m: v('--write5m'), input: v('--input'), output: v('--output'), miss: v('--bad') };
    return {
      grid: v('--grid'),
      bad: [...document.querySelectorAll('#token-bars rect')].filter((r) => r.getAttribute('fill') !== expected[r.getAttribute('data-kind')!]).map((r) => `${r.getAttribute('data-kind')} ${r.getAttribute('fill')}`),
      kinds: new Set([...document.querySelectorAll('#token-bars rect')].map((r) => r.getAttribute('data-kind'))).size,
      lines: [...document.querySelectorAll('#token-bars line')].map((l) => l.getAttribute('stroke')),
    };
  });
  assert.ok(drawn.grid && drawn.kinds >= 3, `${drawn.kinds} kinds of bar, grid ${drawn.grid}`);
  assert.deepEqual(drawn.bad, [], 'every bar in its kind\'s colour');
  assert.deepEqual(new Set(drawn.lines), new Set([drawn.grid]));

  await page.click('#nav-overview');
  await page.waitForSelector('#hit-rate-chart circle');
  const hit = await page.evaluate(() => {
    const read = getComputedStyle(document.documentElement).getPropertyValue('--read').trim();
    const marks = [...document.querySelectorAll('#hit-rate-chart circle, #hit-rate-chart path')].map((e) => e.getAttribute('fill') === 'none' ? e.getAttribute('stroke') : e.getAttribute('fill'));
    return { read, marks };
  });
  assert.ok(hit.read);
  assert.deepEqual(new Set(hit.marks), new Set([hit.read]));
});

test('the page loaded nothing from outside Synrouter and logged no errors', () => {
  assert.deepEqual(foreign, []);
  assert.deepEqual(problems.filter((p) => !/401|403/.test(p)), [], 'no script errors or CSP violations');
});
