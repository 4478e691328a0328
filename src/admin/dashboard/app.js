// Synrouter dashboard: plain JS, no dependencies, no external resources. Talks to /admin/api/* with the
// admin key kept in sessionStorage and sent as `Authorization: Bearer`. Views: #/overview, #/sessions,
// #/session?key=&id=, #/keys. Every number shown has a stable id or data-col and its raw value in data-value.
'use strict';

const STORE_KEY = 'synrouter.adminKey';
const main = document.getElementById('main');
const topBar = document.getElementById('top');

// ------------------------------------------------------------------ DOM helpers (no innerHTML: ids and names are user data)

// textContent stops markup, not control and bidi characters: an RLO in a model name or session id
// shows "evil" as "live". Every text and title is shown with them as escapes (`\x1b`, `\u202e`).
// A copy of escape-controls.js, because this page is one plain script that imports nothing;
// escape-controls.test.ts checks that the two agree.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
function visible(v) {
  return String(v).replace(CONTROLS, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  appendAll(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  appendAll(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = visible(v);
    else if (k === 'title') el.setAttribute(k, visible(v));
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function appendAll(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(visible(c)));
  }
}

function render(...nodes) {
  main.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
}

// ------------------------------------------------------------------ formatting (the e2e test formats the ledger's sums the same way)

function usd(v) {
  if (v === null || v === undefined) return '—';
  const a = Math.abs(v);
  const digits = a >= 1 ? 2 : 4;
  const text = a.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return (v < 0 && Number(a.toFixed(digits)) !== 0 ? '-' : '') + '$' + text;
}
function pct(v) { return v === null || v === undefined ? '—' : (v * 100).toFixed(1) + '%'; }
function int(v) { return v === null || v === undefined ? '—' : Math.round(v).toLocaleString('en-US'); }
function compact(v) {
  if (v >= 1e6) return (v / 1e6).toFixed(v >= 1e7 ? 0 : 1) + 'M';
  if (v >= 1e3) return (v / 1e3).toFixed(v >= 1e4 ? 0 : 1) + 'k';
  return String(Math.round(v));
}
function pad(n) { return String(n).padStart(2, '0'); }
function when(ms) {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
function whenSec(ms) { const d = new Date(ms); return `${when(ms)}:${pad(d.getSeconds())}`; }
function toLocalInput(ms) { return ms ? when(ms).replace(' ', 'T') : ''; }
function shortId(id) { return id.length > 22 ? id.slice(0, 10) + '…' + id.slice(-8) : id; }

/** Dollars of a totals object: null ('—') when none of its turns had known prices. */
function dollarsOf(t, field) { return t.pricedTurns === 0 && t.unpricedTurns > 0 ? null : t[field]; }

/** A number cell or card value: formatted text, raw value in data-value, exact value on hover. */
function money(v, attrs) {
  return h('span', { ...attrs, 'data-value': v === null ? '' : v, title: v === null ? 'unknown prices' : `$${v.toFixed(8)}`, text: usd(v) });
}

// ------------------------------------------------------------------ API

class AuthError extends Error {}

async function api(path, opts = {}) {
  const key = sessionStorage.getItem(STORE_KEY);
  if (!key) throw new AuthError('Log in with an admin key.');
  const res = await fetch(path, {
    method: opts.method || 'GET',
    headers: { authorization: `Bearer ${key}`, ...(opts.body ? { 'content-type': 'application/json' } : {}) },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
    cache: 'no-store',
  });
  const body = await res.json().catch(() => ({}));
  if (res.status === 401 || res.status === 403) {
    sessionStorage.removeItem(STORE_KEY);
    throw new AuthError(body.error ? body.error.message : 'Not authorised.');
  }
  if (!res.ok) throw new Error(body.error ? `${body.error.message} (${res.status} ${body.error.code})` : `HTTP ${res.status}`);
  return body;
}

function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const q = u.toString();
  return q ? `?${q}` : '';
}

// ------------------------------------------------------------------ routing

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/overview';
  const [path, query = ''] = raw.split('?');
  return { path, params: new URLSearchParams(query) };
}

function go(path, params) { location.hash = `#${path}${qs(params || {})}`; }

let generation = 0;
async function route() {
  const gen = ++generation;
  const { path, params } = parseHash();
  if (!sessionStorage.getItem(STORE_KEY)) return showLogin();
  topBar.hidden = false;
  for (const a of topBar.querySelectorAll('nav a')) a.classList.toggle('active', path.startsWith(a.getAttribute('href').slice(1).replace(/s$/, '')));
  const views = { '/overview': overview, '/sessions': sessions, '/session': session, '/keys': keys };
  const view = views[path] || overview;
  try {
    const nodes = await view(params);
    if (gen === generation) render(nodes);
  } catch (err) {
    if (gen !== generation) return;
    if (err instanceof AuthError) return showLogin(err.message);
    render(h('div', { class: 'error', id: 'view-error', text: err.message }));
  }
}

function showLogin(message) {
  topBar.hidden = true;
  const input = h('input', { type: 'password', id: 'login-key', name: 'key', placeholder: 'sk-sr-…', autocomplete: 'off', required: true });
  const form = h('form', {
    id: 'login-form', class: 'panel login',
    onsubmit: async (e) => {
      e.preventDefault();
      sessionStorage.setItem(STORE_KEY, input.value.trim());
      try {
        await api('/admin/api/keys');
        route();
      } catch (err) {
        showLogin(err.message);
      }
    },
  },
  h('h1', { text: 'Synrouter dashboard' }),
  h('p', { class: 'muted', text: 'Log in with an admin key (sk-sr-…). It stays in this browser tab only (sessionStorage).' }),
  message ? h('div', { class: 'error', id: 'login-error', text: message }) : null,
  h('label', { for: 'login-key', text: 'Admin key' }),
  input,
  h('button', { type: 'submit', class: 'primary', id: 'login-submit', text: 'Log in' }));
  render(form);
  input.focus();
}

document.getElementById('logout').addEventListener('click', () => {
  sessionStorage.removeItem(STORE_KEY);
  showLogin();
});
window.addEventListener('hashchange', route);
route();

// ------------------------------------------------------------------ shared pieces

function card(id, label, valueNode, sub) {
  return h('div', { class: 'card', 'data-testid': id }, h('div', { class: 'label', text: label }), valueNode, sub ? h('div', { class: 'sub' }, sub) : null);
}

function valueEl(id, text, raw, cls) {
  return h('div', { class: `value ${cls || ''}`, id, 'data-value': raw === null || raw === undefined ? '' : raw, title: typeof raw === 'number' ? String(raw) : undefined, text });
}

function savingsClass(v) { return v > 0 ? 'good' : v < 0 ? 'bad' : ''; }

function unpricedNote(t) {
  return t.unpricedTurns > 0
    ? h('div', { class: 'note', id: 'unpriced-note', 'data-value': t.unpricedTurns, text: `${int(t.unpricedTurns)} turn(s) had unknown prices: they are counted in tokens and turns but left out of every dollar figure.` })
    : null;
}

const RANGES = [['24h', 'Last 24 h'], ['7d', '7 days'], ['30d', '30 days'], ['all', 'All time']];

function rangePicker(current, path, params) {
  return h('div', { class: 'segmented', id: 'range' }, RANGES.map(([r, label]) =>
    h('a', { href: `#${path}${qs({ ...Object.fromEntries(params), range: r })}`, class: r === current ? 'active' : '', 'data-range': r, text: label })));
}

function sessionLink(row) {
  return h('a', { href: `#/session${qs({ key: row.keyId, id: row.sessionId })}`, class: 'mono', title: row.sessionId, text: shortId(row.sessionId) });
}

// ------------------------------------------------------------------ overview

async function overview(params) {
  const range = params.get('range') || '30d';
  const since = range === 'all' ? undefined : range;
  const data = await api(`/admin/api/overview${qs({ since })}`);
  const t = data.totals;
  const totalTokens = t.inputTokens + t.cacheReadTokens + t.cacheWrite5mTokens + t.cacheWrite1hTokens;
  return [
    h('div', { class: 'toolbar' }, h('h1', { text: 'Overview' }), rangePicker(range, '/overview', params)),
    unpricedNote(t),
    h('div', { class: 'cards', id: 'overview-cards' },
      card('card-spend', 'Spend', valueEl('ov-spend', usd(t.costUsd), t.costUsd),
        t.keepalives ? `incl. ${usd(t.keepaliveCostUsd)} for ${int(t.keepalives)} keep-alive pings` : 'what the provider bills, cache writes included'),
      card('card-savings', 'Saved by Synrouter', valueEl('ov-savings', usd(t.savingsUsd), t.savingsUsd, savingsClass(t.savingsUsd)), savedSub(t, 'ov')),
      card('card-no-cache', 'vs no caching', valueEl('ov-savings-no-cache', usd(t.savingsVsNoCacheUsd), t.savingsVsNoCacheUsd, savingsClass(t.savingsVsNoCacheUsd)), noCacheSub(t, 'ov')),
      card('card-hit', 'Cache hit rate', valueEl('ov-hit-rate', pct(t.hitRate), t.hitRate),
        h('span', {}, 'token-weighted; fresh input ', h('span', { id: 'ov-fresh', 'data-value': t.freshInputShare ?? '', text: pct(t.freshInputShare) }))),
      card('card-turns', 'Turns', valueEl('ov-turns', int(t.turns), t.turns), `${compact(totalTokens)} input tokens, ${compact(t.outputTokens)} output`),
      data.shadow && data.shadow.turns
        ? card('card-shadow', 'Shadow keys', valueEl('ov-shadow-save', usd(data.shadow.wouldSaveUsd), data.shadow.wouldSaveUsd, savingsClass(data.shadow.wouldSaveUsd)),
          `Synrouter would have saved this on ${int(data.shadow.turns)} turns forwarded untouched (${usd(data.shadow.costUsd)} spent)`)
        : null),
    h('div', { class: 'grid2' },
      h('div', { class: 'panel' }, h('h2', { text: 'Cache hit rate over time' }), hitRateChart(data.hitRateSeries)),
      h('div', {}, h('h2', { text: 'By model' }), byModelTable(data.byModel))),
    h('h2', { text: 'Top sessions by spend' }),
    sessionsTable(data.topSessions, { id: 'top-sessions' }),
  ];
}

/**
 * Under the headline: what it is measured against. Saved = what the client's own requests would have
 * cost sent straight to the provider (its own cache markers, its own pauses) minus what was paid,
 * keep-alive pings included, so it is negative when pings or rewrites cost more than they saved.
 */
function savedSub(t, prefix) {
  return h('span', {},
    h('span', { id: `${prefix}-savings-pct`, 'data-value': t.savingsPct ?? '', text: pct(t.savingsPct) }),
    ' of ', h('span', { id: `${prefix}-client`, 'data-value': t.costClientUsd, title: `$${t.costClientUsd.toFixed(8)}`, text: usd(t.costClientUsd) }),
    ', what the client’s own requests would have cost sent directly (its own cache markers)',
    t.keepalives ? `; keep-alive pings (${usd(t.keepaliveCostUsd)}) included` : '');
}

/** The second figure: the cut against no caching at all, which credits Synrouter with what the client's own markers cache. */
function noCacheSub(t, prefix) {
  return h('span', {},
    h('span', { id: `${prefix}-savings-no-cache-pct`, 'data-value': t.savingsVsNoCachePct ?? '', text: pct(t.savingsVsNoCachePct) }),
    ' below ', h('span', { id: `${prefix}-direct`, 'data-value': t.costDirectUsd, title: `$${t.costDirectUsd.toFixed(8)}`, text: usd(t.costDirectUsd) }),
    ', the same tokens with no caching at all');
}

function byModelTable(rows) {
  return h('table', { id: 'by-model' },
    h('thead', {}, h('tr', {}, h('th', { text: 'Model' }), h('th', { class: 'num', text: 'Turns' }), h('th', { class: 'num', text: 'Hit rate' }), h('th', { class: 'num', text: 'Spend' }), h('th', { class: 'num', text: 'Saved' }))),
    h('tbody', {}, rows.length ? rows.map((r) => h('tr', {},
      h('td', { class: 'mono', text: r.label }), h('td', { class: 'num', text: int(r.turns) }), h('td', { class: 'num', text: pct(r.hitRate) }),
      h('td', { class: 'num' }, money(dollarsOf(r, 'costUsd'))), h('td', { class: `num ${savingsClass(r.savingsUsd)}` }, money(dollarsOf(r, 'savingsUsd'))))) : h('tr', {}, h('td', { colspan: 5, class: 'muted', text: 'No turns in this range.' }))));
}

function hitRateChart(series) {
  const W = 760, H = 240, L = 44, R = 12, T = 12, B = 30;
  const pts = series.points.filter((p) => p.hitRate !== null);
  const svg = s('svg', { class: 'chart', id: 'hit-rate-chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Cache hit rate over time', 'data-points': pts.length });
  for (const y of [0, 0.25, 0.5, 0.75, 1]) {
    const py = T + (1 - y) * (H - T - B);
    svg.append(s('line', { x1: L, x2: W - R, y1: py, y2: py, stroke: '#e3e7ee' }), s('text', { x: L - 6, y: py + 4, 'text-anchor': 'end', text: `${y * 100}%` }));
  }
  if (!pts.length) {
    svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', text: 'No turns in this range' }));
    return svg;
  }
  const x0 = pts[0].ts, x1 = Math.max(pts[pts.length - 1].ts, x0 + series.bucketMs);
  const px = (ts) => L + ((ts - x0) / (x1 - x0 || 1)) * (W - L - R);
  const py = (v) => T + (1 - v) * (H - T - B);
  // One line per run of consecutive buckets: no line is drawn across a time without turns.
  const runs = [];
  for (const p of pts) {
    const run = runs[runs.length - 1];
    if (run && p.ts - run[run.length - 1].ts <= series.bucketMs) run.push(p);
    else runs.push([p]);
  }
  for (const run of runs) {
    const line = run.map((p, i) => `${i ? 'L' : 'M'}${px(p.ts).toFixed(1)},${py(p.hitRate).toFixed(1)}`).join(' ');
    const area = `${line} L${px(run[run.length - 1].ts).toFixed(1)},${py(0)} L${px(run[0].ts).toFixed(1)},${py(0)} Z`;
    svg.append(s('path', { d: area, fill: '#2fa36b', 'fill-opacity': 0.12 }), s('path', { d: line, fill: 'none', stroke: '#2fa36b', 'stroke-width': 2 }));
  }
  for (const p of pts) {
    svg.append(s('circle', { cx: px(p.ts), cy: py(p.hitRate), r: 3, fill: '#2fa36b', 'data-ts': p.ts, 'data-value': p.hitRate },
      s('title', { text: `${when(p.ts)}: ${pct(p.hitRate)} hit rate, ${int(p.turns)} turns, spend ${usd(p.costUsd)}, saved ${usd(p.savingsUsd)}` })));
  }
  const ticks = Math.min(6, pts.length);
  for (let i = 0; i < ticks; i++) {
    const ts = x0 + ((x1 - x0) * i) / Math.max(1, ticks - 1);
    const label = series.bucketMs >= 86400000 ? when(ts).slice(0, 10) : when(ts).slice(5);
    svg.append(s('text', { x: px(ts), y: H - 10, 'text-anchor': i === 0 ? 'start' : i === ticks - 1 ? 'end' : 'middle', text: label }));
  }
  return svg;
}

// ------------------------------------------------------------------ sessions

const SESSION_COLUMNS = [
  ['session', 'Session', null],
  ['client', 'Client', null],
  ['key', 'Key', null],
  ['model', 'Model', null],
  ['turns', 'Turns', 'turns'],
  ['hitRate', 'Hit rate', 'hit_rate'],
  ['costUsd', 'Cost', 'cost'],
  ['costClientUsd', 'Client alone', 'cost_client'],
  ['savingsUsd', 'Saved', 'savings'],
  ['savingsPct', 'Saved %', 'savings_pct'],
  ['savingsVsNoCacheUsd', 'vs no caching', 'savings_vs_no_cache'],
  ['lastTs', 'Last active', 'last'],
];

function sessionsTable(rows, opts) {
  const sortable = Boolean(opts.onSort);
  const head = h('tr', {}, SESSION_COLUMNS.map(([col, label, sortKey]) => {
    const numeric = !['session', 'client', 'key', 'model'].includes(col);
    const active = sortable && sortKey && opts.sort === sortKey;
    const arrow = active ? (opts.order === 'asc' ? ' ▲' : ' ▼') : '';
    return h('th', {
      class: `${numeric ? 'num' : ''} ${sortable && sortKey ? 'sortable' : ''}`, 'data-sort': sortKey || undefined, 'data-col': col,
      onclick: sortable && sortKey ? () => opts.onSort(sortKey) : undefined, text: label + arrow,
    });
  }));
  const body = rows.length ? rows.map((r) => h('tr', { 'data-session-id': r.sessionId, 'data-key-id': r.keyId },
    h('td', { 'data-col': 'session' }, sessionLink(r)),
    h('td', { 'data-col': 'client', text: r.client.label }),
    h('td', { 'data-col': 'key', title: r.keyId, text: r.keyName || r.keyId }),
    h('td', { 'data-col': 'model', class: 'mono', text: r.models.join(', ') || '—' }),
    h('td', { 'data-col': 'turns', class: 'num', 'data-value': r.turns, text: int(r.turns) }),
    h('td', { 'data-col': 'hitRate', class: 'num', 'data-value': r.hitRate ?? '', text: pct(r.hitRate) }),
    h('td', { 'data-col': 'costUsd', class: 'num' }, money(dollarsOf(r, 'costUsd'))),
    h('td', { 'data-col': 'costClientUsd', class: 'num' }, money(dollarsOf(r, 'costClientUsd'))),
    h('td', { 'data-col': 'savingsUsd', class: `num ${savingsClass(r.savingsUsd)}` }, money(dollarsOf(r, 'savingsUsd'))),
    h('td', { 'data-col': 'savingsPct', class: 'num', 'data-value': r.savingsPct ?? '', text: pct(r.savingsPct) }),
    h('td', { 'data-col': 'savingsVsNoCacheUsd', class: `num ${savingsClass(r.savingsVsNoCacheUsd)}` }, money(dollarsOf(r, 'savingsVsNoCacheUsd'))),
    h('td', { 'data-col': 'lastTs', class: 'num', 'data-value': r.lastTs, text: when(r.lastTs) }),
  )) : h('tr', {}, h('td', { colspan: SESSION_COLUMNS.length, class: 'muted', text: 'No sessions in this range.' }));
  return h('div', { class: 'scroll' }, h('table', { id: opts.id }, h('thead', {}, head), h('tbody', {}, body)));
}

const PAGE = 50;

async function sessions(params) {
  const p = Object.fromEntries(params);
  const sort = p.sort || 'last';
  const order = p.order || 'desc';
  const offset = Number(p.offset || 0);
  const [data, keyList] = await Promise.all([
    api(`/admin/api/sessions${qs({ key: p.key, since: p.since, until: p.until, sort, order, limit: PAGE, offset })}`),
    api('/admin/api/keys'),
  ]);
  const keySel = h('select', { id: 'filter-key', name: 'key' }, h('option', { value: '', text: 'All keys' }),
    keyList.keys.map((k) => h('option', { value: k.id, selected: k.id === p.key, text: `${k.name} (${k.id})` })));
  const since = h('input', { type: 'datetime-local', id: 'filter-since', value: p.since ? toLocalInput(Number(p.since)) : '' });
  const until = h('input', { type: 'datetime-local', id: 'filter-until', value: p.until ? toLocalInput(Number(p.until)) : '' });
  const ms = (input) => (input.value ? String(new Date(input.value).getTime()) : undefined);
  const filters = h('form', {
    class: 'toolbar', id: 'sessions-filters',
    onsubmit: (e) => { e.preventDefault(); go('/sessions', { key: keySel.value, since: ms(since), until: ms(until), sort, order }); },
  },
  h('label', {}, 'Key', keySel), h('label', {}, 'From', since), h('label', {}, 'To', until),
  h('button', { type: 'submit', class: 'primary', id: 'filter-apply', text: 'Apply' }),
  h('button', { type: 'button', id: 'filter-clear', text: 'Clear', onclick: () => go('/sessions', {}) }));
  const onSort = (key) => go('/sessions', { ...p, sort: key, order: key === sort && order === 'desc' ? 'asc' : 'desc', offset: 0 });
  const end = Math.min(offset + data.sessions.length, data.total);
  return [
    h('h1', { text: 'Sessions' }),
    filters,
    sessionsTable(data.sessions, { id: 'sessions-table', onSort, sort, order }),
    h('div', { class: 'pager' },
      h('button', { id: 'page-prev', disabled: offset === 0, text: '‹ Previous', onclick: () => go('/sessions', { ...p, offset: Math.max(0, offset - PAGE) }) }),
      h('span', { id: 'page-info', 'data-total': data.total, text: data.total ? `${offset + 1}–${end} of ${int(data.total)} sessions` : '0 sessions' }),
      h('button', { id: 'page-next', disabled: end >= data.total, text: 'Next ›', onclick: () => go('/sessions', { ...p, offset: offset + PAGE }) })),
    h('p', { class: 'muted small', id: 'savings-definition', text: 'Totals cover the turns inside the chosen time range. Hit rate = cache read / all input tokens. '
      + 'Client alone = what the client’s own requests would have cost sent directly (its own cache markers, its own pauses). '
      + 'Saved = client alone − cost, keep-alive pings included: negative when Synrouter cost more. vs no caching = the same tokens with no caching at all − cost.' }),
  ];
}

// ------------------------------------------------------------------ one session

async function session(params) {
  const id = params.get('id');
  if (!id) throw new Error('No session id in the address.');
  const data = await api(`/admin/api/sessions/${encodeURIComponent(id)}${qs({ key: params.get('key') })}`);
  const t = data.session;
  return [
    h('p', { class: 'muted small' }, h('a', { href: '#/sessions', text: '‹ Sessions' })),
    h('h1', {}, 'Session ', h('span', { class: 'mono', id: 'session-id', text: t.sessionId })),
    h('p', { class: 'muted' }, `Key ${t.keyName || ''} (${t.keyId}) · ${t.client.label} · ${t.models.join(', ') || 'no model'} · ${when(t.firstTs)} → ${when(t.lastTs)}`),
    unpricedNote(t),
    h('div', { class: 'cards', id: 'session-cards' },
      card('card-s-turns', 'Turns', valueEl('ss-turns', int(t.turns), t.turns), t.keepalives ? `+ ${int(t.keepalives)} keep-alive pings (${usd(t.keepaliveCostUsd)})` : null),
      card('card-s-hit', 'Hit rate', valueEl('ss-hit-rate', pct(t.hitRate), t.hitRate), `fresh input ${pct(t.freshInputShare)}`),
      card('card-s-cost', 'Cost', valueEl('ss-cost', usd(t.costUsd), t.costUsd), null),
      card('card-s-savings', 'Saved by Synrouter', valueEl('ss-savings', usd(t.savingsUsd), t.savingsUsd, savingsClass(t.savingsUsd)), savedSub(t, 'ss')),
      card('card-s-no-cache', 'vs no caching', valueEl('ss-savings-no-cache', usd(t.savingsVsNoCacheUsd), t.savingsVsNoCacheUsd, savingsClass(t.savingsVsNoCacheUsd)), noCacheSub(t, 'ss')),
      card('card-s-miss', 'Cache misses', valueEl('ss-misses', int(data.misses), data.misses),
        h('span', {}, 'cost ', h('span', { id: 'ss-miss-cost', 'data-value': data.missCostUsd, text: usd(data.missCostUsd) }), ' more than reading the cache'))),
    h('div', { class: 'panel' }, h('h2', { text: 'Tokens per turn' }), tokenBars(data.turns),
      h('div', { class: 'legend' }, h('span', { class: 'input', text: 'input (uncached)' }), h('span', { class: 'read', text: 'cache read' }),
        h('span', { class: 'w5m', text: 'cache write 5m' }), h('span', { class: 'w1h', text: 'cache write 1h' }), h('span', { class: 'output', text: 'output' }), h('span', { class: 'miss', text: 'cache miss' }))),
    h('h2', { text: 'Turns' }),
    turnsTable(data.turns),
    data.rows > data.turns.length ? h('p', { class: 'note', text: `Showing the first ${data.turns.length} of ${data.rows} rows.` }) : null,
    h('p', { class: 'muted small', id: 'miss-cost-definition' },
      'Miss cost: this turn’s cost minus what it would have cost had it read, at the cache-read price, the prefix the previous turn of the session left in the cache ',
      '(that turn’s cache read + cache writes, capped at this turn’s input). New sessions have nothing to read: their miss cost is “—”.'),
  ];
}

function tokenBars(turns) {
  const rows = turns.filter((t) => t.kind === 'turn' || t.kind === 'keepalive');
  const W = 1000, H = 260, L = 54, R = 8, T = 14, B = 26;
  const stacks = rows.map((t) => [
    ['read', t.cacheReadTokens, '#2fa36b'], ['w1h', t.cacheWrite1hTokens, '#b8661a'], ['w5m', t.cacheWrite5mTokens, '#e69a2e'],
    ['input', t.inputTokens, '#4a78d6'], ['output', t.outputTokens, '#8a5cc7'],
  ]);
  const max = Math.max(1, ...stacks.map((st) => st.reduce((a, [, v]) => a + v, 0)));
  const svg = s('svg', { class: 'chart', id: 'token-bars', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Tokens per turn', 'data-bars': rows.length });
  for (const f of [0, 0.5, 1]) {
    const y = T + (1 - f) * (H - T - B);
    svg.append(s('line', { x1: L, x2: W - R, y1: y, y2: y, stroke: '#e3e7ee' }), s('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', text: compact(max * f) }));
  }
  const slot = (W - L - R) / Math.max(1, rows.length);
  const bw = Math.max(1, Math.min(40, slot * 0.75));
  rows.forEach((t, i) => {
    const x = L + i * slot + (slot - bw) / 2;
    let y = H - B;
    const g = s('g', { 'data-turn-index': i, class: 'bar' });
    for (const [kind, v, color] of stacks[i]) {
      if (!v) continue;
      const hgt = (v / max) * (H - T - B);
      y -= hgt;
      g.append(s('rect', { x: x.toFixed(2), y: y.toFixed(2), width: bw.toFixed(2), height: Math.max(0.5, hgt).toFixed(2), fill: color, 'data-kind': kind, 'data-value': v }));
    }
    if (t.missReason) g.append(s('rect', { x: x.toFixed(2), y: Math.max(0, y - 6).toFixed(2), width: bw.toFixed(2), height: 4, fill: '#c0392b', 'data-kind': 'miss' }));
    g.append(s('title', { text: `Turn ${i + 1}${t.kind !== 'turn' ? ` (${t.kind})` : ''}: input ${int(t.inputTokens)}, cache read ${int(t.cacheReadTokens)}, write 5m ${int(t.cacheWrite5mTokens)}, write 1h ${int(t.cacheWrite1hTokens)}, output ${int(t.outputTokens)}${t.missReason ? `; miss: ${t.missReason}` : ''}` }));
    svg.append(g);
    if (rows.length <= 40 || i % Math.ceil(rows.length / 20) === 0) svg.append(s('text', { x: (x + bw / 2).toFixed(2), y: H - 8, 'text-anchor': 'middle', text: String(i + 1) }));
  });
  return svg;
}

function engineCell(actions) {
  if (!actions.length) return h('span', { class: 'muted', text: '—' });
  return actions.map((a) => h('span', { class: 'pill', title: a.detail, text: `${a.kind}: ${a.detail}` }));
}

function turnsTable(turns) {
  const cols = ['#', 'Time', 'Model', 'Status', 'Input', 'Cache read', 'Write 5m', 'Write 1h', 'Output', 'Hit rate', 'Cost', 'Client alone', 'No caching', 'Miss', 'Miss cost'];
  const numeric = new Set(['#', 'Input', 'Cache read', 'Write 5m', 'Write 1h', 'Output', 'Hit rate', 'Cost', 'Client alone', 'No caching', 'Miss cost']);
  // Each turn is one row of numbers, then (when the engine did something) a full-width row saying what.
  const rows = turns.flatMap((t, i) => [
    h('tr', { 'data-turn-index': i, 'data-request-id': t.requestId, class: `${t.kind !== 'turn' ? 'muted' : ''} ${t.engine.length ? 'has-engine' : ''}` },
      h('td', { class: 'num', text: String(i + 1) }),
      h('td', { 'data-col': 'ts', title: whenSec(t.ts), text: whenSec(t.ts).slice(11) }),
      h('td', { class: 'mono', 'data-col': 'model', text: (t.responseModel || t.requestedModel || '—') + (t.kind !== 'turn' ? ` (${t.kind})` : '') }),
      h('td', { 'data-col': 'status', title: t.errorCode || undefined, class: t.status === 200 ? '' : 'bad', text: `${t.status}${t.aborted ? ' aborted' : ''}${t.errorCode ? ` ${t.errorCode}` : ''}` }),
      h('td', { class: 'num', 'data-col': 'inputTokens', 'data-value': t.inputTokens, text: int(t.inputTokens) }),
      h('td', { class: 'num', 'data-col': 'cacheReadTokens', 'data-value': t.cacheReadTokens, text: int(t.cacheReadTokens) }),
      h('td', { class: 'num', 'data-col': 'cacheWrite5mTokens', 'data-value': t.cacheWrite5mTokens, text: int(t.cacheWrite5mTokens) }),
      h('td', { class: 'num', 'data-col': 'cacheWrite1hTokens', 'data-value': t.cacheWrite1hTokens, text: int(t.cacheWrite1hTokens) }),
      h('td', { class: 'num', 'data-col': 'outputTokens', 'data-value': t.outputTokens, text: int(t.outputTokens) }),
      h('td', { class: 'num', 'data-col': 'hitRate', 'data-value': t.hitRate ?? '', text: pct(t.hitRate) }),
      h('td', { class: 'num', 'data-col': 'costUsd' }, money(t.costUsd)),
      h('td', { class: 'num', 'data-col': 'costClientUsd' }, money(t.costClientUsd)),
      h('td', { class: 'num', 'data-col': 'costDirectUsd' }, money(t.costDirectUsd)),
      h('td', { 'data-col': 'missReason', 'data-value': t.missReason || '' }, t.missReason ? h('span', { class: 'pill miss', text: t.missReason }) : ''),
      h('td', { class: 'num', 'data-col': 'missCostUsd', title: t.expectedReadTokens !== null ? `expected to read ${int(t.expectedReadTokens)} tokens` : undefined }, t.missReason ? money(t.missCostUsd) : '')),
    t.engine.length ? h('tr', { class: 'engine-row', 'data-engine-for': i },
      h('td', {}), h('td', { colspan: cols.length - 1, class: 'wrap', 'data-col': 'engine' }, h('span', { class: 'muted small', text: 'Engine: ' }), engineCell(t.engine))) : null,
  ]).filter(Boolean);
  return h('div', { class: 'scroll' }, h('table', { id: 'turns-table' },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { class: numeric.has(c) ? 'num' : '', text: c })))),
    h('tbody', {}, rows)));
}

// ------------------------------------------------------------------ keys

async function keys() {
  const data = await api('/admin/api/keys');
  const name = h('input', { type: 'text', id: 'new-key-name', placeholder: 'laptop', required: true, maxlength: 100 });
  const mode = h('select', { id: 'new-key-mode' }, h('option', { value: 'coding', text: 'coding' }), h('option', { value: 'general', text: 'general' }));
  const role = h('select', { id: 'new-key-role' }, h('option', { value: 'client', text: 'client' }), h('option', { value: 'admin', text: 'admin' }));
  const created = h('div', { id: 'new-key-slot' });
  const form = h('form', {
    class: 'toolbar', id: 'create-key-form',
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        const res = await api('/admin/api/keys', { method: 'POST', body: { name: name.value, mode: mode.value, role: role.value } });
        const nodes = await keys();
        render(nodes);
        document.getElementById('new-key-slot').replaceChildren(h('div', { class: 'newkey', id: 'new-key' },
          h('div', {}, h('strong', { text: `Key ${res.record.id} (${res.record.name}) created. ` }), 'Copy it now: it is shown only this once.'),
          h('code', { id: 'new-key-value', text: res.key }), ' ',
          h('button', { type: 'button', text: 'Copy', onclick: () => navigator.clipboard && navigator.clipboard.writeText(res.key) })));
      } catch (err) {
        created.replaceChildren(h('div', { class: 'error', text: err.message }));
      }
    },
  },
  h('label', {}, 'Name', name), h('label', {}, 'Mode', mode), h('label', {}, 'Role', role),
  h('button', { type: 'submit', class: 'primary', id: 'create-key', text: 'Create key' }));

  const status = h('div', { id: 'keys-status' });
  const act = async (fn) => {
    try {
      await fn();
      render(await keys());
    } catch (err) {
      if (err instanceof AuthError) return showLogin(err.message);
      status.replaceChildren(h('div', { class: 'error', text: err.message }));
    }
  };
  const budgetInput = (k, field) => h('input', { type: 'number', min: 0, step: '0.01', placeholder: 'none', class: 'budget', 'data-field': field, value: k[field] ?? '' });
  const rows = data.keys.map((k) => {
    const day = budgetInput(k, 'budgetUsdDay');
    const month = budgetInput(k, 'budgetUsdMonth');
    const num = (input) => (input.value === '' ? null : Number(input.value));
    return h('tr', { 'data-key-id': k.id, 'data-status': k.status },
      h('td', { class: 'mono', text: k.id }),
      h('td', { text: k.name }),
      h('td', { class: 'mono', text: `${k.prefix}…` }),
      h('td', { text: k.role }),
      h('td', {}, h('select', {
        class: 'key-mode', disabled: k.status !== 'active',
        onchange: (e) => act(() => api(`/admin/api/keys/${encodeURIComponent(k.id)}`, { method: 'PATCH', body: { mode: e.target.value } })),
      }, ['coding', 'general'].map((m) => h('option', { value: m, selected: m === k.mode, text: m })))),
      h('td', { class: k.status === 'active' ? 'good' : 'bad', 'data-col': 'status', title: k.revokedAt ? `revoked ${when(k.revokedAt)}` : undefined, text: k.status }),
      h('td', { class: 'num' }, money(k.spendUsdDay), ' / ', day),
      h('td', { class: 'num' }, money(k.spendUsdMonth), ' / ', month, ' ', h('button', {
        type: 'button', class: 'save-budget', text: 'Save', title: 'Save both budgets (empty = no limit)',
        onclick: () => act(() => api(`/admin/api/keys/${encodeURIComponent(k.id)}`, { method: 'PATCH', body: { budgetUsdDay: num(day), budgetUsdMonth: num(month) } })),
      })),
      h('td', { text: when(k.createdAt) }),
      h('td', {}, k.status === 'active' ? h('button', {
        type: 'button', class: 'danger revoke', text: 'Revoke',
        onclick: () => { if (confirm(`Revoke ${visible(k.name)} (${k.id})? Clients using it get 401 from now on.`)) act(() => api(`/admin/api/keys/${encodeURIComponent(k.id)}/revoke`, { method: 'POST' })); },
      }) : null));
  });
  return [
    h('h1', { text: 'Keys' }),
    form,
    created,
    status,
    h('div', { class: 'scroll' }, h('table', { id: 'keys-table' },
      h('thead', {}, h('tr', {}, ['ID', 'Name', 'Key', 'Role', 'Mode', 'Status', 'Spend today / budget', 'Spend month / budget', 'Created', ''].map((c) => h('th', { text: c })))),
      h('tbody', {}, rows))),
    h('p', { class: 'muted small', text: 'coding: one long agent session, cache hot for its lifetime. general: many sessions of one agent sharing a cached tool/system prefix. A mode change applies from the key’s next request. Budgets are in USD per UTC day / month; spend includes keep-alive pings.' }),
  ];
}
