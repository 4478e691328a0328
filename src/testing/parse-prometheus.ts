/**
 * For the tests of what /metrics emits (src/meter/metrics.test.ts, e2e/metrics.test.ts).
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */
import assert from 'node:assert/strict';
import { CONTROLS } from '../escape-controls.ts';

export interface Sample { name: string; labels: Record<string, string>; value: number }
export interface Parsed { types: Map<string, string>; help: Map<string, string>; samples: Sample[] }

/**
 * A strict reader of the Prometheus text format 0.0.4: every line is a HELP, a TYPE or a sample;
 * names and label names are valid, label values use only the three escapes, values are floats,
 * every sample belongs to a family declared before it, histograms are cumulative and end in +Inf = _count.
 * Stricter than the format on one point, Synrouter's own rule: no raw control or bidi character
 * but the line feeds between lines (a scrape is read in terminals too).
 */
export function parsePrometheus(text: string): Parsed {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const raw = text.replaceAll('\n', '').match(CONTROLS);
  assert.equal(raw, null, `raw control or bidi characters: ${JSON.stringify(raw?.slice(0, 5))}…`);
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      const [, name, doc] = /^# HELP (\S+) (.*)$/.exec(line) ?? [];
      assert.ok(name && NAME.test(name), `HELP name: ${line}`);
      assert.ok(!help.has(name), `one HELP per family: ${name}`);
      help.set(name, doc ?? '');
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const m = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      assert.ok(m && NAME.test(m[1]!), `TYPE line: ${line}`);
      assert.ok(!types.has(m[1]!), `one TYPE per family: ${m[1]}`);
      types.set(m[1]!, m[2]!);
      continue;
    }
    assert.ok(!line.startsWith('#') && line.length > 0, `unexpected line: ${JSON.stringify(line)}`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `sample line: ${line}`);
    const labels: Record<string, string> = {};
    let rest = m[3] ?? '';
    while (rest.length) {
      const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
      assert.ok(lm, `labels: ${m[3]}`);
      assert.ok(!(lm[1]! in labels), `duplicate label ${lm[1]}`);
      labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(lm[0].length);
    }
    const raw = m[4]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? NaN : Number(raw);
    assert.ok(raw === 'NaN' || !Number.isNaN(value), `value: ${line}`);
    const name = m[1]!;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(family), `sample ${name} has a declared family`);
    if (family !== name) assert.equal(types.get(family), 'histogram', `${name} suffix only on histograms`);
    samples.push({ name, labels, value });
  }
  // Histograms: cumulative buckets, +Inf == _count.
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const groups = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      assert.ok(le !== undefined, 'bucket has le');
      const k = JSON.stringify(rest);
      groups.set(k, [...(groups.get(k) ?? []), s]);
    }
    for (const [k, buckets] of groups) {
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${family} cumulative`);
      assert.equal(buckets.at(-1)!.labels.le, '+Inf');
      const count = samples.find((x) => x.name === `${family}_count` && JSON.stringify(x.labels) === k);
      assert.equal(count?.value, buckets.at(-1)!.value, `${family} +Inf = _count`);
    }
  }
  return { types, help, samples };
}

/** The value of the one sample with exactly these labels. */
export const sampleValue = (p: Parsed, name: string, labels: Record<string, string> = {}): number | undefined =>
  p.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length)?.value;
