/**
 * Colours are written once, in style.css: the charts read them from its custom properties, and no
 * module of the page spells a colour. Here palette() reads style.css's :root through a stand-in for
 * getComputedStyle; e2e/dashboard.test.ts checks the drawn charts in Chromium.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DASHBOARD_FILES } from '../../dashboard-assets.ts';
import { palette } from './palette.js';

const DIR = new URL('../', import.meta.url);

test('palette() has the colour of each custom property it reads, as style.css defines it on :root', () => {
  const css = readFileSync(new URL('style.css', DIR), 'utf8');
  const root = /:root\s*\{([^}]*)\}/.exec(css)![1]!;
  const vars = new Map([...root.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)].map(([, k, v]) => [k!, v!.trim()]));
  const g = globalThis as Record<string, unknown>;
  g.document = { documentElement: {} };
  g.getComputedStyle = () => ({ getPropertyValue: (name: string) => vars.get(name) ?? '' });
  try {
    assert.deepEqual(palette(), {
      grid: vars.get('--grid'), input: vars.get('--input'), read: vars.get('--read'), write5m: vars.get('--write5m'),
      write1h: vars.get('--write1h'), output: vars.get('--output'), miss: vars.get('--bad'),
    });
    for (const c of Object.values(palette())) assert.match(c, /^#[0-9a-f]{6}$/);
    vars.delete('--grid');
    assert.throws(() => palette(), /style\.css defines no --grid/);
  } finally {
    delete g.document;
    delete g.getComputedStyle;
  }
});

test('no module of the page spells a colour', () => {
  for (const file of DASHBOARD_FILES.filter((f) => f.endsWith('.js'))) {
    const src = readFileSync(new URL(file, DIR), 'utf8');
    const colour = /#[0-9a-f]{3,8}\b|\b(?:rgba?|hsla?)\(/i.exec(src);
    assert.equal(colour, null, `${file} has the colour ${colour?.[0]}`);
  }
});
