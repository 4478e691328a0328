import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeControls } from './escape-controls.js';

const BIDI = [0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069];
const isControl = (n: number) => n <= 0x1f || (n >= 0x7f && n <= 0x9f) || BIDI.includes(n);

test('C0, DEL, C1 and the bidi controls become visible escapes; nothing else changes', () => {
  for (let n = 0; n <= 0xffff; n++) {
    if (n >= 0xd800 && n <= 0xdfff) continue;
    const c = String.fromCharCode(n);
    const out = escapeControls(c);
    if (!isControl(n)) { assert.equal(out, c, `U+${n.toString(16)} unchanged`); continue; }
    assert.equal(out, n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`, `U+${n.toString(16)}`);
    assert.match(out, /^[\x20-\x7e]+$/, 'printable ASCII only');
  }
  assert.equal(escapeControls('😀 déjà vu'), '😀 déjà vu', 'astral and accented text untouched');
});

test('terminal and reordering tricks are shown, not performed', () => {
  assert.equal(escapeControls('\x1b[2J\x1b]0;pwned\x07ok\r\0'), '\\x1b[2J\\x1b]0;pwned\\x07ok\\x0d\\x00');
  assert.equal(escapeControls('\u202elive'), '\\u202elive');
  assert.equal(escapeControls('a\nb\tc\x7f\x9b'), 'a\\x0ab\\x09c\\x7f\\x9b');
  assert.equal(escapeControls('back\\slash "quoted"'), 'back\\slash "quoted"');
});
