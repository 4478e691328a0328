// @ts-check
/**
 * The admin API client: one function per route the dashboard calls (src/admin/api-routes.ts), with
 * the admin key kept in sessionStorage (this tab only) and sent as `Authorization: Bearer`. A 401
 * or 403 forgets the key and throws AuthError, which sends the page back to the login form.
 *
 * The response types are the store's own (store/queries.ts, store/keys.ts), so tsc checks that the
 * views read fields the API sends; they are comments, and the browser never sees those files.
 * @typedef {import('../../store/queries.ts').Totals} Totals
 * @typedef {import('../../store/queries.ts').SessionSummary} SessionSummary
 * @typedef {import('../../store/queries.ts').Queries} Queries
 * @typedef {Awaited<ReturnType<Queries['series']>>} HitRateSeries
 * @typedef {Awaited<ReturnType<Queries['totalsBy']>>[number]} GroupTotals
 * @typedef {{ totals: Totals; hitRateSeries: HitRateSeries; topSessions: SessionSummary[]; byModel: GroupTotals[]; shadow: Awaited<ReturnType<Queries['shadow']>> }} Overview
 * @typedef {{ total: number; sessions: SessionSummary[] }} SessionPage
 * @typedef {import('../../store/queries.ts').TurnDetail & import('../miss-cost.ts').MissCost} Turn
 * @typedef {{ session: SessionSummary; rows: number; missCostUsd: number; misses: number; turns: Turn[] }} SessionDetail
 * @typedef {import('../../store/keys.ts').KeyRecord & { status: 'active' | 'revoked'; spendUsdDay: number; spendUsdMonth: number }} Key
 * @typedef {{ mode?: string; budgetUsdDay?: number | null; budgetUsdMonth?: number | null }} KeyChange
 */

const STORE_KEY = 'synrouter.adminKey';

export class AuthError extends Error {}

export const loggedIn = () => Boolean(sessionStorage.getItem(STORE_KEY));
/** @param {string} key */
export const logIn = (key) => sessionStorage.setItem(STORE_KEY, key);
export const logOut = () => sessionStorage.removeItem(STORE_KEY);

/**
 * A query string of the params that have a value ('' when none do).
 * @param {Record<string, string | number | null | undefined>} params
 * @returns {string}
 */
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const q = u.toString();
  return q ? `?${q}` : '';
}

/**
 * @param {string} path
 * @param {{ method?: string; body?: object }} [opts]
 * @returns {Promise<any>} the JSON body; the exported functions below give it its type
 */
async function call(path, opts = {}) {
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
    logOut();
    throw new AuthError(body.error ? body.error.message : 'Not authorised.');
  }
  if (!res.ok) throw new Error(body.error ? `${body.error.message} (${res.status} ${body.error.code})` : `HTTP ${res.status}`);
  return body;
}

/**
 * @param {{ since?: string }} range
 * @returns {Promise<Overview>}
 */
export const getOverview = (range) => call(`/admin/api/overview${qs(range)}`);

/**
 * @param {{ key?: string; since?: string; until?: string; sort: string; order: string; limit: number; offset: number }} query
 * @returns {Promise<SessionPage>}
 */
export const getSessions = (query) => call(`/admin/api/sessions${qs(query)}`);

/**
 * @param {string} id
 * @param {string | null} key
 * @returns {Promise<SessionDetail>}
 */
export const getSession = (id, key) => call(`/admin/api/sessions/${encodeURIComponent(id)}${qs({ key })}`);

/** @returns {Promise<{ keys: Key[] }>} */
export const listKeys = () => call('/admin/api/keys');

/**
 * @param {{ name: string; mode: string; role: string }} body
 * @returns {Promise<{ key: string; record: Key }>}
 */
export const createKey = (body) => call('/admin/api/keys', { method: 'POST', body });

/**
 * @param {string} id
 * @param {KeyChange} change
 * @returns {Promise<{ record: Key }>}
 */
export const updateKey = (id, change) => call(`/admin/api/keys/${encodeURIComponent(id)}`, { method: 'PATCH', body: change });

/**
 * @param {string} id
 * @returns {Promise<{ record: Key }>}
 */
export const revokeKey = (id) => call(`/admin/api/keys/${encodeURIComponent(id)}/revoke`, { method: 'POST' });
