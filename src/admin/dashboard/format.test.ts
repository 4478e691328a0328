import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compact, count, pct, shortId, toLocalInput, usd, when, whenSec } from './format.js';
import * as cli from '../../cli/usage.ts';

test('usd: cents from $1, a hundredth of a cent below, thousands separated, no minus on what rounds to zero', () => {
  assert.equal(usd(0), '$0.0000');
  assert.equal(usd(0.012345), '$0.0123');
  assert.equal(usd(0.99996), '$1.0000', 'below $1 keeps four digits even when it rounds up to 1');
  assert.equal(usd(1), '$1.00');
  assert.equal(usd(1234.567), '$1,234.57');
  assert.equal(usd(-0.0042), '-$0.0042');
  assert.equal(usd(-0.00004), '$0.0000', 'no "-$0.0000"');
  assert.equal(usd(-12.5), '-$12.50');
  assert.equal(usd(null), '—');
  assert.equal(usd(undefined, '-'), '-');
});

test('pct, count and compact', () => {
  assert.equal(pct(0.4123), '41.2%');
  assert.equal(pct(1), '100.0%');
  assert.equal(pct(-0.05), '-5.0%');
  assert.equal(pct(null), '—');
  assert.equal(pct(null, '-'), '-');
  assert.equal(count(1234567.4), '1,234,567');
  assert.equal(count(null), '—');
  assert.deepEqual([0, 949.6, 999, 1000, 9999, 10_000, 999_999, 1e6, 9.99e6, 1e7].map(compact), ['0', '950', '999', '1.0k', '10.0k', '10k', '1000k', '1.0M', '10.0M', '10M']);
});

test('times in the local zone, to the minute and to the second; long ids shortened in the middle', () => {
  const t = new Date(2026, 11, 3, 7, 4, 9).getTime();
  assert.equal(when(t), '2026-12-03 07:04');
  assert.equal(whenSec(t), '2026-12-03 07:04:09');
  assert.equal(toLocalInput(t), '2026-12-03T07:04');
  assert.equal(when(null), '—');
  assert.equal(toLocalInput(0), '');
  assert.equal(shortId('a'.repeat(22)), 'a'.repeat(22));
  assert.equal(shortId('0123456789abcdefghijklmnopqrstuvwxyz'), '0123456789…stuvwxyz');
});

test('the CLI\'s tables format with the same functions, a missing figure as ASCII "-"', () => {
  assert.equal(cli.usd, usd);
  assert.equal(cli.count, count);
  assert.equal(cli.pct(0.5), pct(0.5));
  assert.equal(cli.pct(null), '-');
});
