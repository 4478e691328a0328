// @ts-check
/**
 * The overview's cache hit rate over time: one point per time bucket that had turns, an area and a
 * line per run of consecutive buckets, the turns, spend and saving of each point on hover.
 * @typedef {import('../api.js').HitRateSeries} HitRateSeries
 */
import { s } from '../dom.js';
import { count, pct, usd, when } from '../format.js';
import { palette } from './palette.js';

const W = 760, H = 240, L = 44, R = 12, T = 12, B = 30;

/** @param {HitRateSeries} series */
export function hitRateChart(series) {
  const color = palette();
  /** Points with a hit rate: buckets whose turns read or wrote input tokens. */
  const pts = /** @type {Array<HitRateSeries['points'][number] & { hitRate: number }>} */ (series.points.filter((p) => p.hitRate !== null));
  const svg = s('svg', { class: 'chart', id: 'hit-rate-chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Cache hit rate over time', 'data-points': pts.length });
  for (const y of [0, 0.25, 0.5, 0.75, 1]) {
    const py = T + (1 - y) * (H - T - B);
    svg.append(s('line', { x1: L, x2: W - R, y1: py, y2: py, stroke: color.grid }), s('text', { x: L - 6, y: py + 4, 'text-anchor': 'end', text: `${y * 100}%` }));
  }
  if (!pts.length) {
    svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', text: 'No turns in this range' }));
    return svg;
  }
  const x0 = pts[0].ts, x1 = Math.max(pts[pts.length - 1].ts, x0 + series.bucketMs);
  /** @param {number} ts */
  const px = (ts) => L + ((ts - x0) / (x1 - x0 || 1)) * (W - L - R);
  /** @param {number} v */
  const py = (v) => T + (1 - v) * (H - T - B);
  // One line per run of consecutive buckets: no line is drawn across a time without turns.
  /** @type {Array<typeof pts>} */
  const runs = [];
  for (const p of pts) {
    const run = runs[runs.length - 1];
    if (run && p.ts - run[run.length - 1].ts <= series.bucketMs) run.push(p);
    else runs.push([p]);
  }
  for (const run of runs) {
    const line = run.map((p, i) => `${i ? 'L' : 'M'}${px(p.ts).toFixed(1)},${py(p.hitRate).toFixed(1)}`).join(' ');
    const area = `${line} L${px(run[run.length - 1].ts).toFixed(1)},${py(0)} L${px(run[0].ts).toFixed(1)},${py(0)} Z`;
    svg.append(s('path', { d: area, fill: color.read, 'fill-opacity': 0.12 }), s('path', { d: line, fill: 'none', stroke: color.read, 'stroke-width': 2 }));
  }
  for (const p of pts) {
    svg.append(s('circle', { cx: px(p.ts), cy: py(p.hitRate), r: 3, fill: color.read, 'data-ts': p.ts, 'data-value': p.hitRate },
      s('title', { text: `${when(p.ts)}: ${pct(p.hitRate)} hit rate, ${count(p.turns)} turns, spend ${usd(p.costUsd)}, saved ${usd(p.savingsUsd)}` })));
  }
  const ticks = Math.min(6, pts.length);
  for (let i = 0; i < ticks; i++) {
    const ts = x0 + ((x1 - x0) * i) / Math.max(1, ticks - 1);
    const label = series.bucketMs >= 86400000 ? when(ts).slice(0, 10) : when(ts).slice(5);
    svg.append(s('text', { x: px(ts), y: H - 10, 'text-anchor': i === 0 ? 'start' : i === ticks - 1 ? 'end' : 'middle', text: label }));
  }
  return svg;
}
