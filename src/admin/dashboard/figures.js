// @ts-check
/**
 * The figures the views share: cards, dollar amounts and the two savings lines. Every number shown
 * has a stable id or data-col and its raw value in data-value (the e2e test reads both), and its
 * exact value on hover.
 * @typedef {import('./api.js').Totals} Totals
 * @typedef {import('./dom.js').Child} Child
 */
import { h } from './dom.js';
import { count, pct, usd } from './format.js';

/**
 * Dollars of a totals object: null ('—') when none of its turns had known prices (unknown is not $0).
 * @param {Totals} t
 * @param {'costUsd' | 'costClientUsd' | 'savingsUsd' | 'savingsVsNoCacheUsd'} field
 * @returns {number | null}
 */
export function dollarsOf(t, field) {
  return t.pricedTurns === 0 && t.unpricedTurns > 0 ? null : t[field];
}

/**
 * A dollar amount in a cell or a sentence: formatted text, raw value in data-value, exact value on hover.
 * @param {number | null} v
 * @param {import('./dom.js').Attrs} [attrs]
 */
export function money(v, attrs) {
  return h('span', { ...attrs, 'data-value': v === null ? '' : v, title: v === null ? 'unknown prices' : `$${v.toFixed(8)}`, text: usd(v) });
}

/**
 * @param {string} id its data-testid
 * @param {string} label
 * @param {HTMLElement} valueNode
 * @param {Child} [sub] the line under the value
 */
export function card(id, label, valueNode, sub) {
  return h('div', { class: 'card', 'data-testid': id }, h('div', { class: 'label', text: label }), valueNode, sub ? h('div', { class: 'sub' }, sub) : null);
}

/**
 * A card's value.
 * @param {string} id
 * @param {string} text
 * @param {number | null | undefined} raw
 * @param {string} [cls]
 */
export function valueEl(id, text, raw, cls) {
  return h('div', { class: `value ${cls || ''}`, id, 'data-value': raw === null || raw === undefined ? '' : raw, title: typeof raw === 'number' ? String(raw) : undefined, text });
}

/**
 * Green for a saving, red for a loss.
 * @param {number} v
 */
export function savingsClass(v) {
  return v > 0 ? 'good' : v < 0 ? 'bad' : '';
}

/** @param {Totals} t */
export function unpricedNote(t) {
  return t.unpricedTurns > 0
    ? h('div', { class: 'note', id: 'unpriced-note', 'data-value': t.unpricedTurns, text: `${count(t.unpricedTurns)} turn(s) had unknown prices: they are counted in tokens and turns but left out of every dollar figure.` })
    : null;
}

/**
 * Under the headline: what it is measured against. Saved = what the client's own requests would have
 * cost sent straight to the provider (its own cache markers, its own pauses) minus what was paid,
 * keep-alive pings included, so it is negative when pings or rewrites cost more than they saved.
 * @param {Totals} t
 * @param {string} prefix of the ids: 'ov' (overview) or 'ss' (session)
 */
export function savedSub(t, prefix) {
  return h('span', {},
    h('span', { id: `${prefix}-savings-pct`, 'data-value': t.savingsPct ?? '', text: pct(t.savingsPct) }),
    ' of ', h('span', { id: `${prefix}-client`, 'data-value': t.costClientUsd, title: `$${t.costClientUsd.toFixed(8)}`, text: usd(t.costClientUsd) }),
    ', what the client’s own requests would have cost sent directly (its own cache markers)',
    t.keepalives ? `; keep-alive pings (${usd(t.keepaliveCostUsd)}) included` : '');
}

/**
 * The second figure: the cut against no caching at all, which credits Synrouter with what the
 * client's own markers cache.
 * @param {Totals} t
 * @param {string} prefix
 */
export function noCacheSub(t, prefix) {
  return h('span', {},
    h('span', { id: `${prefix}-savings-no-cache-pct`, 'data-value': t.savingsVsNoCachePct ?? '', text: pct(t.savingsVsNoCachePct) }),
    ' below ', h('span', { id: `${prefix}-direct`, 'data-value': t.costDirectUsd, title: `$${t.costDirectUsd.toFixed(8)}`, text: usd(t.costDirectUsd) }),
    ', the same tokens with no caching at all');
}
