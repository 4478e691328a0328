// @ts-check
/**
 * The address is the state: `#/overview?range=7d`, `#/sessions?sort=cost`, `#/session?key=&id=`,
 * `#/keys`. On every hash change the view for the path renders from the API; a view that finishes
 * after the user moved on is dropped. Without a key (or once the API refused it) the login form
 * shows instead, and a successful login renders the view in the address.
 */
import { AuthError, loggedIn, qs } from './api.js';
import { byId, h, render } from './dom.js';
import { loginForm } from './views/login.js';

/**
 * A view: the nodes of one page, built from the address's params.
 * @typedef {(params: URLSearchParams) => Promise<import('./dom.js').Child[]>} View
 */

/** @type {Record<string, View>} */
let views = {};
let home = '';
/** Counts routings: a view whose routing is no longer the latest is not shown. */
let generation = 0;

/**
 * Routes the current address now and on every change.
 * @param {Record<string, View>} table views by path
 * @param {string} homePath the view shown for an empty or unknown address
 */
export function startRouter(table, homePath) {
  views = table;
  home = homePath;
  window.addEventListener('hashchange', route);
  void route();
}

/** @returns {{ path: string; params: URLSearchParams }} */
function parseHash() {
  const raw = location.hash.replace(/^#/, '') || home;
  const [path = '', query = ''] = raw.split('?');
  return { path, params: new URLSearchParams(query) };
}

/**
 * Goes to a view (a new history entry).
 * @param {string} path
 * @param {Record<string, string | number | null | undefined>} [params]
 */
export function go(path, params) {
  location.hash = `#${path}${qs(params || {})}`;
}

/** Renders the view in the address, or the login form. */
export async function route() {
  const gen = ++generation;
  const { path, params } = parseHash();
  if (!loggedIn()) return showLogin();
  const top = byId('top');
  top.hidden = false;
  // The tab whose path starts this one, less a final "s": Sessions is lit on /session too.
  for (const a of top.querySelectorAll('nav a')) a.classList.toggle('active', path.startsWith(String(a.getAttribute('href')).slice(1).replace(/s$/, '')));
  const view = views[path] || views[home];
  if (!view) throw new Error(`No view ${home}.`);
  try {
    const nodes = await view(params);
    if (gen === generation) render(nodes);
  } catch (err) {
    if (gen !== generation) return;
    if (err instanceof AuthError) return showLogin(err.message);
    render(h('div', { class: 'error', id: 'view-error', text: /** @type {Error} */ (err).message }));
  }
}

/**
 * The login form in place of the page, with why (a refused key) when there is a reason.
 * @param {string} [message]
 */
export function showLogin(message) {
  byId('top').hidden = true;
  const form = loginForm(message, { loggedIn: route, refused: showLogin });
  render(form);
  form.querySelector('input')?.focus();
}
