// @ts-check
/**
 * #/session?key=&id=: one session's totals, its tokens per turn as stacked bars, and every turn
 * (pings and retries included) with its tokens, costs, miss reason, miss cost and what the engine
 * did.
 * @typedef {import('../api.js').Turn} Turn
 */
import { getSession } from '../api.js';
import { tokenBars } from '../charts/token-bars.js';
import { h } from '../dom.js';
import { card, money, noCacheSub, savedSub, savingsClass, unpricedNote, valueEl } from '../figures.js';
import { count, pct, usd, when, whenSec } from '../format.js';

/** @type {import('../router.js').View} */
export async function session(params) {
  const id = params.get('id');
  if (!id) throw new Error('No session id in the address.');
  const data = await getSession(id, params.get('key'));
  const t = data.session;
  return [
    h('p', { class: 'muted small' }, h('a', { href: '#/sessions', text: '‹ Sessions' })),
    h('h1', {}, 'Session ', h('span', { class: 'mono', id: 'session-id', text: t.sessionId })),
    h('p', { class: 'muted' }, `Key ${t.keyName || ''} (${t.keyId}) · ${t.client.label} · ${t.models.join(', ') || 'no model'} · ${when(t.firstTs)} → ${when(t.lastTs)}`),
    unpricedNote(t),
    h('div', { class: 'cards', id: 'session-cards' },
      card('card-s-turns', 'Turns', valueEl('ss-turns', count(t.turns), t.turns), t.keepalives ? `+ ${count(t.keepalives)} keep-alive pings (${usd(t.keepaliveCostUsd)})` : null),
      card('card-s-hit', 'Hit rate', valueEl('ss-hit-rate', pct(t.hitRate), t.hitRate), `fresh input ${pct(t.freshInputShare)}`),
      card('card-s-cost', 'Cost', valueEl('ss-cost', usd(t.costUsd), t.costUsd), null),
      card('card-s-savings', 'Saved by Synrouter', valueEl('ss-savings', usd(t.savingsUsd), t.savingsUsd, savingsClass(t.savingsUsd)), savedSub(t, 'ss')),
      card('card-s-no-cache', 'vs no caching', valueEl('ss-savings-no-cache', usd(t.savingsVsNoCacheUsd), t.savingsVsNoCacheUsd, savingsClass(t.savingsVsNoCacheUsd)), noCacheSub(t, 'ss')),
      card('card-s-miss', 'Cache misses', valueEl('ss-misses', count(data.misses), data.misses),
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

/** @param {Turn['engine']} actions */
function engineCell(actions) {
  if (!actions.length) return h('span', { class: 'muted', text: '—' });
  return actions.map((a) => h('span', { class: 'pill', title: a.detail, text: `${a.kind}: ${a.detail}` }));
}

const COLUMNS = ['#', 'Time', 'Model', 'Status', 'Input', 'Cache read', 'Write 5m', 'Write 1h', 'Output', 'Hit rate', 'Cost', 'Client alone', 'No caching', 'Miss', 'Miss cost'];
const NUMERIC = new Set(['#', 'Input', 'Cache read', 'Write 5m', 'Write 1h', 'Output', 'Hit rate', 'Cost', 'Client alone', 'No caching', 'Miss cost']);

/** @param {Turn[]} turns */
function turnsTable(turns) {
  // Each turn is one row of numbers, then (when the engine did something) a full-width row saying what.
  const rows = turns.flatMap((t, i) => [
    h('tr', { 'data-turn-index': i, 'data-request-id': t.requestId, class: `${t.kind !== 'turn' ? 'muted' : ''} ${t.engine.length ? 'has-engine' : ''}` },
      h('td', { class: 'num', text: String(i + 1) }),
      h('td', { 'data-col': 'ts', title: whenSec(t.ts), text: whenSec(t.ts).slice(11) }),
      h('td', { class: 'mono', 'data-col': 'model', text: (t.responseModel || t.requestedModel || '—') + (t.kind !== 'turn' ? ` (${t.kind})` : '') }),
      h('td', { 'data-col': 'status', title: t.errorCode || undefined, class: t.status === 200 ? '' : 'bad', text: `${t.status}${t.aborted ? ' aborted' : ''}${t.errorCode ? ` ${t.errorCode}` : ''}` }),
      h('td', { class: 'num', 'data-col': 'inputTokens', 'data-value': t.inputTokens, text: count(t.inputTokens) }),
      h('td', { class: 'num', 'data-col': 'cacheReadTokens', 'data-value': t.cacheReadTokens, text: count(t.cacheReadTokens) }),
      h('td', { class: 'num', 'data-col': 'cacheWrite5mTokens', 'data-value': t.cacheWrite5mTokens, text: count(t.cacheWrite5mTokens) }),
      h('td', { class: 'num', 'data-col': 'cacheWrite1hTokens', 'data-value': t.cacheWrite1hTokens, text: count(t.cacheWrite1hTokens) }),
      h('td', { class: 'num', 'data-col': 'outputTokens', 'data-value': t.outputTokens, text: count(t.outputTokens) }),
      h('td', { class: 'num', 'data-col': 'hitRate', 'data-value': t.hitRate ?? '', text: pct(t.hitRate) }),
      h('td', { class: 'num', 'data-col': 'costUsd' }, money(t.costUsd)),
      h('td', { class: 'num', 'data-col': 'costClientUsd' }, money(t.costClientUsd)),
      h('td', { class: 'num', 'data-col': 'costDirectUsd' }, money(t.costDirectUsd)),
      h('td', { 'data-col': 'missReason', 'data-value': t.missReason || '' }, t.missReason ? h('span', { class: 'pill miss', text: t.missReason }) : ''),
      h('td', { class: 'num', 'data-col': 'missCostUsd', title: t.expectedReadTokens !== null ? `expected to read ${count(t.expectedReadTokens)} tokens` : undefined }, t.missReason ? money(t.missCostUsd) : '')),
    t.engine.length ? h('tr', { class: 'engine-row', 'data-engine-for': i },
      h('td', {}), h('td', { colspan: COLUMNS.length - 1, class: 'wrap', 'data-col': 'engine' }, h('span', { class: 'muted small', text: 'Engine: ' }), engineCell(t.engine))) : null,
  ]).filter(Boolean);
  return h('div', { class: 'scroll' }, h('table', { id: 'turns-table' },
    h('thead', {}, h('tr', {}, COLUMNS.map((c) => h('th', { class: NUMERIC.has(c) ? 'num' : '', text: c })))),
    h('tbody', {}, rows)));
}
