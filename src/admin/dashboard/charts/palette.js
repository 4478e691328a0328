// @ts-check
/**
 * The charts' colours, read from the custom properties style.css defines on :root, so each colour
 * is written once: the legend (CSS) and the bars and lines (SVG attributes) cannot drift apart.
 * Read when a chart is drawn.
 */

const VARIABLES = /** @type {const} */ ({
  grid: '--grid', input: '--input', read: '--read', write5m: '--write5m', write1h: '--write1h', output: '--output', miss: '--bad',
});

/** @typedef {Record<keyof typeof VARIABLES, string>} Palette */

/** @returns {Palette} */
export function palette() {
  const style = getComputedStyle(document.documentElement);
  const colors = /** @type {Palette} */ ({});
  for (const [name, variable] of /** @type {[keyof Palette, string][]} */ (Object.entries(VARIABLES))) {
    const value = style.getPropertyValue(variable).trim();
    if (!value) throw new Error(`style.css defines no ${variable}.`);
    colors[name] = value;
  }
  return colors;
}
