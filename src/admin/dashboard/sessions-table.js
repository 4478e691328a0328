// @ts-check
/**
 * The sessions table, on the overview (top sessions by spend) and on the sessions page, where its
 * headers sort. Each row carries data-session-id and data-key-id, each cell its data-col.
 * @typedef {import('./api.js').SessionSummary} SessionSummary
 */
import { qs } from './api.js';
import { h } from './dom.js';
import { dollarsOf, money, savingsClass } from './figures.js';
import { count, pct, shortId, when } from './format.js';

/** [field, header, the API's sort key (null: not sortable)] */
const COLUMNS = /** @type {const} */ ([
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
]);
const TEXT_COLUMNS = ['session', 'client', 'key', 'model'];

/** @param {SessionSummary} row */
function sessionLink(row) {
  return h('a', { href: `#/session${qs({ key: row.keyId, id: row.sessionId })}`, class: 'mono', title: row.sessionId, text: shortId(row.sessionId) });
}

/**
 * @param {SessionSummary[]} rows
 * @param {{ id: string; onSort?: (sortKey: string) => void; sort?: string; order?: string }} opts
 */
export function sessionsTable(rows, opts) {
  const { onSort } = opts;
  const head = h('tr', {}, COLUMNS.map(([col, label, sortKey]) => {
    const numeric = !TEXT_COLUMNS.includes(col);
    const active = onSort && sortKey && opts.sort === sortKey;
    const arrow = active ? (opts.order === 'asc' ? ' ▲' : ' ▼') : '';
    return h('th', {
      class: `${numeric ? 'num' : ''} ${onSort && sortKey ? 'sortable' : ''}`, 'data-sort': sortKey || undefined, 'data-col': col,
      onclick: onSort && sortKey ? () => onSort(sortKey) : undefined, text: label + arrow,
    });
  }));
  const body = rows.length ? rows.map((r) => h('tr', { 'data-session-id': r.sessionId, 'data-key-id': r.keyId },
    h('td', { 'data-col': 'session' }, sessionLink(r)),
    h('td', { 'data-col': 'client', text: r.client.label }),
    h('td', { 'data-col': 'key', title: r.keyId, text: r.keyName || r.keyId }),
    h('td', { 'data-col': 'model', class: 'mono', text: r.models.join(', ') || '—' }),
    h('td', { 'data-col': 'turns', class: 'num', 'data-value': r.turns, text: count(r.turns) }),
    h('td', { 'data-col': 'hitRate', class: 'num', 'data-value': r.hitRate ?? '', text: pct(r.hitRate) }),
    h('td', { 'data-col': 'costUsd', class: 'num' }, money(dollarsOf(r, 'costUsd'))),
    h('td', { 'data-col': 'costClientUsd', class: 'num' }, money(dollarsOf(r, 'costClientUsd'))),
    h('td', { 'data-col': 'savingsUsd', class: `num ${savingsClass(r.savingsUsd)}` }, money(dollarsOf(r, 'savingsUsd'))),
    h('td', { 'data-col': 'savingsPct', class: 'num', 'data-value': r.savingsPct ?? '', text: pct(r.savingsPct) }),
    h('td', { 'data-col': 'savingsVsNoCacheUsd', class: `num ${savingsClass(r.savingsVsNoCacheUsd)}` }, money(dollarsOf(r, 'savingsVsNoCacheUsd'))),
    h('td', { 'data-col': 'lastTs', class: 'num', 'data-value': r.lastTs, text: when(r.lastTs) }),
  )) : h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'muted', text: 'No sessions in this range.' }));
  return h('div', { class: 'scroll' }, h('table', { id: opts.id }, h('thead', {}, head), h('tbody', {}, body)));
}
