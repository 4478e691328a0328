import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromPgText, toPgText } from './connect.ts';

test('toPgText leaves no NUL, maps back exactly, and keeps distinct strings distinct and prefixes prefixes', () => {
  const samples = ['', 'plain', '\0', '\0\0', '\u{E0000}', '\u{E0000}0', '\u{E0000}\u{E0000}', 'a\0b', 'a\u{E0000}0b', '\u{E0000}\0', 'x\u{E0001}y'];
  const encoded = samples.map(toPgText);
  for (const [i, e] of encoded.entries()) {
    assert.ok(!e.includes('\0'), JSON.stringify(e));
    assert.equal(fromPgText(e), samples[i]);
  }
  assert.equal(new Set(encoded).size, samples.length, 'one-to-one');
  for (const s of samples) for (const t of samples) if (t.startsWith(s)) assert.ok(toPgText(t).startsWith(toPgText(s)), `${JSON.stringify(s)} prefix of ${JSON.stringify(t)}`);
  assert.equal(toPgText('plain'), 'plain', 'ordinary text unchanged');
});
