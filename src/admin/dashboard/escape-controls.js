// @ts-check
/**
 * Makes client-controlled and operator-named strings (model names, session ids, key names) safe to
 * show: every C0 and C1 control character (NUL, CR, LF, TAB and ESC, which starts terminal escape
 * sequences, included), DEL, and the Unicode bidi controls (which reorder what is shown: "evil"
 * with an RLO before it reads "live") become visible escapes such as `\x1b` and `\u202e`. For display
 * only: a literal backslash is left as it is, so the result is not meant to be decoded.
 * @see https://www.unicode.org/reports/tr9/#Directional_Formatting_Characters (UAX #9, the bidi controls)
 * @see https://www.unicode.org/reports/tr36/#Bidirectional_Text_Spoofing
 *
 * One module for the browser and Node: the dashboard imports it as /dashboard/escape-controls.js, and
 * the server and the CLI through src/escape-controls.ts. It is plain JavaScript (types in JSDoc,
 * checked by tsc) because a browser runs only what is served, and it lives here because everything
 * served is in this folder.
 */

/** C0 (U+0000-001F), DEL and C1 (U+007F-009F); ALM, LRM, RLM; LRE RLE PDF LRO RLO; LRI RLI FSI PDI. */
export const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * One control character as its escape: `\x1b` below U+0100, `\u202e` above.
 * @param {string} c
 * @returns {string}
 */
export function escapeControl(c) {
  const n = c.charCodeAt(0);
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/**
 * @param {string} s
 * @returns {string}
 */
export function escapeControls(s) {
  return s.replace(CONTROLS, escapeControl);
}
