// @ts-check
/**
 * Building the page without innerHTML: ids, names and models are user data, so text goes in as
 * text nodes and attribute values, never as markup. textContent stops markup, not control and bidi
 * characters (an RLO in a model name or session id shows "evil" as "live"), so every text and title
 * is shown with them as escapes (`\x1b`, `\u202e`), by escape-controls.js.
 */
import { escapeControls } from './escape-controls.js';

/**
 * Attributes of an element: `text` sets its text, `on<event>` adds a listener, `title` is escaped
 * like text; undefined, null and false leave the attribute out, true sets it empty.
 * @typedef {{ [name: string]: unknown; [event: `on${string}`]: ((e: Event) => unknown) | undefined }} Attrs
 */
/**
 * A child: a node, or text (escaped); null, undefined and false are skipped, arrays flattened.
 * @typedef {Node | string | number | false | null | undefined | Child[]} Child
 */

/**
 * A value as shown: its control and bidi characters as escapes.
 * @param {unknown} v
 * @returns {string}
 */
export function visible(v) {
  return escapeControls(String(v));
}

/**
 * An HTML element.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  appendAll(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * An SVG element, for the charts.
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {...Child} children
 * @returns {SVGElementTagNameMap[K]}
 */
export function s(tag, attrs, ...children) {
  const el = /** @type {SVGElementTagNameMap[K]} */ (document.createElementNS(SVG_NS, tag));
  setAttrs(el, attrs);
  appendAll(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {Attrs | null | undefined} attrs
 */
function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
    else if (k === 'text') el.textContent = visible(v);
    else if (k === 'title') el.setAttribute(k, visible(v));
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

/**
 * @param {Element} el
 * @param {Child[]} children
 */
function appendAll(el, children) {
  for (const c of /** @type {unknown[]} */ (children).flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(visible(c)));
  }
}

/**
 * Shows `nodes` as the whole page below the top bar.
 * @param {...Child} nodes
 */
export function render(...nodes) {
  /** @type {Node[]} */
  const shown = [];
  for (const n of /** @type {unknown[]} */ (nodes).flat(Infinity)) if (n !== null && n !== undefined && n !== false) shown.push(n instanceof Node ? n : document.createTextNode(String(n)));
  byId('main').replaceChildren(...shown);
}

/**
 * An element index.html or a view is known to have.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`No element #${id} on the page.`);
  return el;
}
