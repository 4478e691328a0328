// @ts-check
/**
 * #/sessions?key=&since=&until=&sort=&order=&offset=: every session in the range, 50 a page,
 * sorted by a clicked header, filtered by key and time.
 */
import { getSessions, listKeys } from '../api.js';
import { h } from '../dom.js';
import { count, toLocalInput } from '../format.js';
import { go } from '../router.js';
import { sessionsTable } from '../sessions-table.js';

const PAGE = 50;

/** @type {import('../router.js').View} */
export async function sessions(params) {
  const p = Object.fromEntries(params);
  const sort = p.sort || 'last';
  const order = p.order || 'desc';
  const offset = Number(p.offset || 0);
  const [data, keyList] = await Promise.all([
    getSessions({ key: p.key, since: p.since, until: p.until, sort, order, limit: PAGE, offset }),
    listKeys(),
  ]);
  const keySel = h('select', { id: 'filter-key', name: 'key' }, h('option', { value: '', text: 'All keys' }),
    keyList.keys.map((k) => h('option', { value: k.id, selected: k.id === p.key, text: `${k.name} (${k.id})` })));
  const since = h('input', { type: 'datetime-local', id: 'filter-since', value: p.since ? toLocalInput(Number(p.since)) : '' });
  const until = h('input', { type: 'datetime-local', id: 'filter-until', value: p.until ? toLocalInput(Number(p.until)) : '' });
  /** @param {HTMLInputElement} input */
  const ms = (input) => (input.value ? String(new Date(input.value).getTime()) : undefined);
  const filters = h('form', {
    class: 'toolbar', id: 'sessions-filters',
    onsubmit: (e) => { e.preventDefault(); go('/sessions', { key: keySel.value, since: ms(since), until: ms(until), sort, order }); },
  },
  h('label', {}, 'Key', keySel), h('label', {}, 'From', since), h('label', {}, 'To', until),
  h('button', { type: 'submit', class: 'primary', id: 'filter-apply', text: 'Apply' }),
  h('button', { type: 'button', id: 'filter-clear', text: 'Clear', onclick: () => go('/sessions', {}) }));
  /** @param {string} key */
  const onSort = (key) => go('/sessions', { ...p, sort: key, order: key === sort && order === 'desc' ? 'asc' : 'desc', offset: 0 });
  const end = Math.min(offset + data.sessions.length, data.total);
  return [
    h('h1', { text: 'Sessions' }),
    filters,
    sessionsTable(data.sessions, { id: 'sessions-table', onSort, sort, order }),
    h('div', { class: 'pager' },
      h('button', { id: 'page-prev', disabled: offset === 0, text: '‹ Previous', onclick: () => go('/sessions', { ...p, offset: Math.max(0, offset - PAGE) }) }),
      h('span', { id: 'page-info', 'data-total': data.total, text: data.total ? `${offset + 1}–${end} of ${count(data.total)} sessions` : '0 sessions' }),
      h('button', { id: 'page-next', disabled: end >= data.total, text: 'Next ›', onclick: () => go('/sessions', { ...p, offset: offset + PAGE }) })),
    h('p', { class: 'muted small', id: 'savings-definition', text: 'Totals cover the turns inside the chosen time range. Hit rate = cache read / all input tokens. '
      + 'Client alone = what the client’s own requests would have cost sent directly (its own cache markers, its own pauses). '
      + 'Saved = client alone − cost, keep-alive pings included: negative when Synrouter cost more. vs no caching = the same tokens with no caching at all − cost.' }),
  ];
}
