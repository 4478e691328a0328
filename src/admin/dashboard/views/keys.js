// @ts-check
/**
 * #/keys: create a key (shown once), and per key its mode, day and month budgets against spend,
 * and revoke.
 * @typedef {import('../api.js').Key} Key
 */
import { AuthError, createKey, listKeys, revokeKey, updateKey } from '../api.js';
import { byId, h, render, visible } from '../dom.js';
import { money } from '../figures.js';
import { when } from '../format.js';
import { showLogin } from '../router.js';

/** @returns {Promise<import('../dom.js').Child[]>} */
export async function keys() {
  const data = await listKeys();
  const name = h('input', { type: 'text', id: 'new-key-name', placeholder: 'laptop', required: true, maxlength: 100 });
  const mode = h('select', { id: 'new-key-mode' }, h('option', { value: 'coding', text: 'coding' }), h('option', { value: 'general', text: 'general' }));
  const role = h('select', { id: 'new-key-role' }, h('option', { value: 'client', text: 'client' }), h('option', { value: 'admin', text: 'admin' }));
  const created = h('div', { id: 'new-key-slot' });
  const form = h('form', {
    class: 'toolbar', id: 'create-key-form',
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        const res = await createKey({ name: name.value, mode: mode.value, role: role.value });
        render(await keys());
        // The new key in the re-rendered page: the only time it is shown.
        byId('new-key-slot').replaceChildren(h('div', { class: 'newkey', id: 'new-key' },
          h('div', {}, h('strong', { text: `Key ${res.record.id} (${res.record.name}) created. ` }), 'Copy it now: it is shown only this once.'),
          h('code', { id: 'new-key-value', text: res.key }), ' ',
          h('button', { type: 'button', text: 'Copy', onclick: () => navigator.clipboard && navigator.clipboard.writeText(res.key) })));
      } catch (err) {
        created.replaceChildren(h('div', { class: 'error', text: /** @type {Error} */ (err).message }));
      }
    },
  },
  h('label', {}, 'Name', name), h('label', {}, 'Mode', mode), h('label', {}, 'Role', role),
  h('button', { type: 'submit', class: 'primary', id: 'create-key', text: 'Create key' }));

  const status = h('div', { id: 'keys-status' });
  /** Runs a change, then shows the keys as they are now. @param {() => Promise<unknown>} change */
  const act = async (change) => {
    try {
      await change();
      render(await keys());
    } catch (err) {
      if (err instanceof AuthError) return showLogin(err.message);
      status.replaceChildren(h('div', { class: 'error', text: /** @type {Error} */ (err).message }));
    }
  };
  /** @param {Key} k @param {'budgetUsdDay' | 'budgetUsdMonth'} field */
  const budgetInput = (k, field) => h('input', { type: 'number', min: 0, step: '0.01', placeholder: 'none', class: 'budget', 'data-field': field, value: k[field] ?? '' });
  /** @param {HTMLInputElement} input */
  const num = (input) => (input.value === '' ? null : Number(input.value));
  const rows = data.keys.map((k) => {
    const day = budgetInput(k, 'budgetUsdDay');
    const month = budgetInput(k, 'budgetUsdMonth');
    return h('tr', { 'data-key-id': k.id, 'data-status': k.status },
      h('td', { class: 'mono', text: k.id }),
      h('td', { text: k.name }),
      h('td', { class: 'mono', text: `${k.prefix}…` }),
      h('td', { text: k.role }),
      h('td', {}, h('select', {
        class: 'key-mode', disabled: k.status !== 'active',
        onchange: (e) => act(() => updateKey(k.id, { mode: /** @type {HTMLSelectElement} */ (e.target).value })),
      }, ['coding', 'general'].map((m) => h('option', { value: m, selected: m === k.mode, text: m })))),
      h('td', { class: k.status === 'active' ? 'good' : 'bad', 'data-col': 'status', title: k.revokedAt ? `revoked ${when(k.revokedAt)}` : undefined, text: k.status }),
      h('td', { class: 'num' }, money(k.spendUsdDay), ' / ', day),
      h('td', { class: 'num' }, money(k.spendUsdMonth), ' / ', month, ' ', h('button', {
        type: 'button', class: 'save-budget', text: 'Save', title: 'Save both budgets (empty = no limit)',
        onclick: () => act(() => updateKey(k.id, { budgetUsdDay: num(day), budgetUsdMonth: num(month) })),
      })),
      h('td', { text: when(k.createdAt) }),
      h('td', {}, k.status === 'active' ? h('button', {
        type: 'button', class: 'danger revoke', text: 'Revoke',
        onclick: () => { if (confirm(`Revoke ${visible(k.name)} (${k.id})? Clients using it get 401 from now on.`)) act(() => revokeKey(k.id)); },
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
