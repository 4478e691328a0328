// @ts-check
/**
 * A session's tokens per turn (and keep-alive ping) as stacked bars, from the bottom: cache read,
 * cache write 1h, cache write 5m, uncached input, output; a red mark above a turn that missed the
 * cache. Each bar's figures on hover; the legend under the chart is the session view's.
 * @typedef {import('../api.js').Turn} Turn
 */
import { s } from '../dom.js';
import { compact, count } from '../format.js';
import { palette } from './palette.js';

const W = 1000, H = 260, L = 54, R = 8, T = 14, B = 26;

/** @param {Turn[]} turns */
export function tokenBars(turns) {
  const color = palette();
  const rows = turns.filter((t) => t.kind === 'turn' || t.kind === 'keepalive');
  /** @type {Array<Array<[kind: string, tokens: number, color: string]>>} */
  const stacks = rows.map((t) => [
    ['read', t.cacheReadTokens, color.read], ['w1h', t.cacheWrite1hTokens, color.write1h], ['w5m', t.cacheWrite5mTokens, color.write5m],
    ['input', t.inputTokens, color.input], ['output', t.outputTokens, color.output],
  ]);
  const max = Math.max(1, ...stacks.map((st) => st.reduce((a, [, v]) => a + v, 0)));
  const svg = s('svg', { class: 'chart', id: 'token-bars', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Tokens per turn', 'data-bars': rows.length });
  for (const f of [0, 0.5, 1]) {
    const y = T + (1 - f) * (H - T - B);
    svg.append(s('line', { x1: L, x2: W - R, y1: y, y2: y, stroke: color.grid }), s('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', text: compact(max * f) }));
  }
  const slot = (W - L - R) / Math.max(1, rows.length);
  const bw = Math.max(1, Math.min(40, slot * 0.75));
  rows.forEach((t, i) => {
    const x = L + i * slot + (slot - bw) / 2;
    let y = H - B;
    const g = s('g', { 'data-turn-index': i, class: 'bar' });
    for (const [kind, v, fill] of stacks[i]) {
      if (!v) continue;
      const hgt = (v / max) * (H - T - B);
      y -= hgt;
      g.append(s('rect', { x: x.toFixed(2), y: y.toFixed(2), width: bw.toFixed(2), height: Math.max(0.5, hgt).toFixed(2), fill, 'data-kind': kind, 'data-value': v }));
    }
    if (t.missReason) g.append(s('rect', { x: x.toFixed(2), y: Math.max(0, y - 6).toFixed(2), width: bw.toFixed(2), height: 4, fill: color.miss, 'data-kind': 'miss' }));
    g.append(s('title', { text: `Turn ${i + 1}${t.kind !== 'turn' ? ` (${t.kind})` : ''}: input ${count(t.inputTokens)}, cache read ${count(t.cacheReadTokens)}, write 5m ${count(t.cacheWrite5mTokens)}, write 1h ${count(t.cacheWrite1hTokens)}, output ${count(t.outputTokens)}${t.missReason ? `; miss: ${t.missReason}` : ''}` }));
    svg.append(g);
    if (rows.length <= 40 || i % Math.ceil(rows.length / 20) === 0) svg.append(s('text', { x: (x + bw / 2).toFixed(2), y: H - 8, 'text-anchor': 'middle', text: String(i + 1) }));
  });
  return svg;
}
