// @ts-check
/**
 * Numbers and times as text, for the dashboard and the CLI: the CLI's tables (src/cli/usage.ts)
 * import `usd`, `pct` and `count` from here, so `$0.0123` or `41.2%` reads the same in the terminal
 * and in the browser, and the e2e tests round the ledger's sums the same way. Plain JavaScript for
 * the same reason as escape-controls.js.
 *
 * A figure that does not exist (no prices, no input tokens) shows `none`: an em dash on the page;
 * the CLI passes '-'.
 */

const NONE = '—';

/**
 * Dollars: cents from $1, a hundredth of a cent below it (a turn costs fractions of a cent), and no
 * minus sign on a value that rounds to zero.
 * @param {number | null | undefined} v
 * @param {string} [none]
 * @returns {string}
 */
export function usd(v, none = NONE) {
  if (v === null || v === undefined) return none;
  const a = Math.abs(v);
  const digits = a >= 1 ? 2 : 4;
  const text = a.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return (v < 0 && Number(a.toFixed(digits)) !== 0 ? '-' : '') + '$' + text;
}

/**
 * A share (0.412) as a percentage with one decimal (41.2%).
 * @param {number | null | undefined} v
 * @param {string} [none]
 * @returns {string}
 */
export function pct(v, none = NONE) {
  return v === null || v === undefined ? none : `${(v * 100).toFixed(1)}%`;
}

/**
 * A count (turns, tokens) in full, with thousands separators.
 * @param {number | null | undefined} v
 * @param {string} [none]
 * @returns {string}
 */
export function count(v, none = NONE) {
  return v === null || v === undefined ? none : Math.round(v).toLocaleString('en-US');
}

/**
 * Tokens in three characters or so, for chart axes and summaries: 950, 1.2k, 34k, 1.5M, 12M.
 * @param {number} v
 * @returns {string}
 */
export function compact(v) {
  if (v >= 1e6) return (v / 1e6).toFixed(v >= 1e7 ? 0 : 1) + 'M';
  if (v >= 1e3) return (v / 1e3).toFixed(v >= 1e4 ? 0 : 1) + 'k';
  return String(Math.round(v));
}

/** @param {number} n */
const pad = (n) => String(n).padStart(2, '0');

/**
 * A time in the browser's zone, to the minute: 2026-12-03 17:42.
 * @param {number | null | undefined} ms epoch
 * @returns {string}
 */
export function when(ms) {
  if (ms === null || ms === undefined) return NONE;
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * The same to the second: 2026-12-03 17:42:09.
 * @param {number} ms epoch
 * @returns {string}
 */
export function whenSec(ms) {
  return `${when(ms)}:${pad(new Date(ms).getSeconds())}`;
}

/**
 * The value of an `<input type="datetime-local">` for a time ('' for none).
 * @param {number} ms epoch
 * @returns {string}
 */
export function toLocalInput(ms) {
  return ms ? when(ms).replace(' ', 'T') : '';
}

/**
 * A long id shortened in the middle for a table cell; the full id goes in its title.
 * @param {string} id
 * @returns {string}
 */
export function shortId(id) {
  return id.length > 22 ? id.slice(0, 10) + '…' + id.slice(-8) : id;
}
