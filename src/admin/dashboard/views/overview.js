// @ts-check
/**
 * #/overview?range=24h|7d|30d|all: spend, what Synrouter saved (against the client alone, then
 * against no caching), hit rate and turns as cards; the hit rate over time; spend by model; the top
 * sessions by spend.
 * @typedef {import('../api.js').GroupTotals} GroupTotals
 */
import { getOverview, qs } from '../api.js';
import { hitRateChart } from '../charts/hit-rate-chart.js';
import { h } from '../dom.js';
import { card, dollarsOf, money, noCacheSub, savedSub, savingsClass, unpricedNote, valueEl } from '../figures.js';
import { compact, count, pct, usd } from '../format.js';
import { sessionsTable } from '../sessions-table.js';

const RANGES = [['24h', 'Last 24 h'], ['7d', '7 days'], ['30d', '30 days'], ['all', 'All time']];

/** @type {import('../router.js').View} */
export async function overview(params) {
  const range = params.get('range') || '30d';
  const since = range === 'all' ? undefined : range;
  const data = await getOverview({ since });
  const t = data.totals;
  const totalTokens = t.inputTokens + t.cacheReadTokens + t.cacheWrite5mTokens + t.cacheWrite1hTokens;
  return [
    h('div', { class: 'toolbar' }, h('h1', { text: 'Overview' }), rangePicker(range, params)),
    unpricedNote(t),
    h('div', { class: 'cards', id: 'overview-cards' },
      card('card-spend', 'Spend', valueEl('ov-spend', usd(t.costUsd), t.costUsd),
        t.keepalives ? `incl. ${usd(t.keepaliveCostUsd)} for ${count(t.keepalives)} keep-alive pings` : 'what the provider bills, cache writes included'),
      card('card-savings', 'Saved by Synrouter', valueEl('ov-savings', usd(t.savingsUsd), t.savingsUsd, savingsClass(t.savingsUsd)), savedSub(t, 'ov')),
      card('card-no-cache', 'vs no caching', valueEl('ov-savings-no-cache', usd(t.savingsVsNoCacheUsd), t.savingsVsNoCacheUsd, savingsClass(t.savingsVsNoCacheUsd)), noCacheSub(t, 'ov')),
      card('card-hit', 'Cache hit rate', valueEl('ov-hit-rate', pct(t.hitRate), t.hitRate),
        h('span', {}, 'token-weighted; fresh input ', h('span', { id: 'ov-fresh', 'data-value': t.freshInputShare ?? '', text: pct(t.freshInputShare) }))),
      card('card-turns', 'Turns', valueEl('ov-turns', count(t.turns), t.turns), `${compact(totalTokens)} input tokens, ${compact(t.outputTokens)} output`),
      data.shadow && data.shadow.turns
        ? card('card-shadow', 'Shadow keys', valueEl('ov-shadow-save', usd(data.shadow.wouldSaveUsd), data.shadow.wouldSaveUsd, savingsClass(data.shadow.wouldSaveUsd)),
          `Synrouter would have saved this on ${count(data.shadow.turns)} turns forwarded untouched (${usd(data.shadow.costUsd)} spent)`)
        : null),
    h('div', { class: 'grid2' },
      h('div', { class: 'panel' }, h('h2', { text: 'Cache hit rate over time' }), hitRateChart(data.hitRateSeries)),
      h('div', {}, h('h2', { text: 'By model' }), byModelTable(data.byModel))),
    h('h2', { text: 'Top sessions by spend' }),
    sessionsTable(data.topSessions, { id: 'top-sessions' }),
  ];
}

/**
 * @param {string} current
 * @param {URLSearchParams} params the other params are kept
 */
function rangePicker(current, params) {
  return h('div', { class: 'segmented', id: 'range' }, RANGES.map(([r, label]) =>
    h('a', { href: `#/overview${qs({ ...Object.fromEntries(params), range: r })}`, class: r === current ? 'active' : '', 'data-range': r, text: label })));
}

/** @param {GroupTotals[]} rows */
function byModelTable(rows) {
  return h('table', { id: 'by-model' },
    h('thead', {}, h('tr', {}, h('th', { text: 'Model' }), h('th', { class: 'num', text: 'Turns' }), h('th', { class: 'num', text: 'Hit rate' }), h('th', { class: 'num', text: 'Spend' }), h('th', { class: 'num', text: 'Saved' }))),
    h('tbody', {}, rows.length ? rows.map((r) => h('tr', {},
      h('td', { class: 'mono', text: r.label }), h('td', { class: 'num', text: count(r.turns) }), h('td', { class: 'num', text: pct(r.hitRate) }),
      h('td', { class: 'num' }, money(dollarsOf(r, 'costUsd'))), h('td', { class: `num ${savingsClass(r.savingsUsd)}` }, money(dollarsOf(r, 'savingsUsd'))))) : h('tr', {}, h('td', { colspan: 5, class: 'muted', text: 'No turns in this range.' }))));
}
