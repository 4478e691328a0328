// @ts-check
/** The login form: an admin key, tried on the API before it is kept (api.js keeps it for this tab). */
import { listKeys, logIn } from '../api.js';
import { h } from '../dom.js';

/**
 * @param {string | undefined} message why the last key was refused, if one was
 * @param {{ loggedIn: () => unknown; refused: (message: string) => unknown }} then
 * @returns {HTMLFormElement}
 */
export function loginForm(message, then) {
  const input = h('input', { type: 'password', id: 'login-key', name: 'key', placeholder: 'sk-sr-…', autocomplete: 'off', required: true });
  return h('form', {
    id: 'login-form', class: 'panel login',
    onsubmit: async (e) => {
      e.preventDefault();
      logIn(input.value.trim());
      try {
        await listKeys();
        then.loggedIn();
      } catch (err) {
        then.refused(/** @type {Error} */ (err).message);
      }
    },
  },
  h('h1', { text: 'Synrouter dashboard' }),
  h('p', { class: 'muted', text: 'Log in with an admin key (sk-sr-…). It stays in this browser tab only (sessionStorage).' }),
  message ? h('div', { class: 'error', id: 'login-error', text: message }) : null,
  h('label', { for: 'login-key', text: 'Admin key' }),
  input,
  h('button', { type: 'submit', class: 'primary', id: 'login-submit', text: 'Log in' }));
}
