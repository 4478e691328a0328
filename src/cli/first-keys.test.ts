import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deliverFirstKeys, firstKeysText, FIRST_KEYS_FILE } from './first-keys.ts';

const text = firstKeysText('http://127.0.0.1:8787', 'sk-sr-ADMIN', 'sk-sr-CLIENT');

function deliver(tty: boolean, dir: string) {
  const printed: string[] = [];
  const noted: string[] = [];
  const file = deliverFirstKeys(text, { tty, dir, print: (s) => printed.push(s), note: (s) => noted.push(s) });
  return { file, printed: printed.join(''), noted: noted.join('') };
}

test('on a terminal the keys are printed and no file is written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sr-keys-'));
  const r = deliver(true, dir);
  assert.equal(r.printed, text);
  assert.equal(r.file, undefined);
  assert.ok(!existsSync(join(dir, FIRST_KEYS_FILE)));
  assert.match(text, /keys create --name NAME \[--mode coding\|general\] \[--admin\]/, 'says how to make more keys, admin ones too');
});

test('otherwise they go to a 0600 file next to the database, even under umask 022, and only its path is said', () => {
  const old = process.umask(0o022);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'sr-keys-'));
    const r = deliver(false, dir);
    assert.equal(r.file, join(dir, FIRST_KEYS_FILE));
    assert.equal(readFileSync(r.file!, 'utf8'), text);
    assert.equal((statSync(r.file!).mode & 0o777).toString(8), '600');
    assert.equal(r.printed, '');
    assert.ok(r.noted.includes(r.file!), r.noted);
    assert.doesNotMatch(r.noted, /sk-sr-/);
    assert.match(r.noted, /--admin/);

    // A file left by an earlier store (world-readable), or a symlink planted there, is replaced, not written through.
    const stale = mkdtempSync(join(tmpdir(), 'sr-keys-'));
    writeFileSync(join(stale, FIRST_KEYS_FILE), 'old keys', { mode: 0o644 });
    assert.equal((statSync(deliver(false, stale).file!).mode & 0o777).toString(8), '600');
    const target = join(mkdtempSync(join(tmpdir(), 'sr-keys-')), 'elsewhere');
    writeFileSync(target, 'untouched');
    const linked = mkdtempSync(join(tmpdir(), 'sr-keys-'));
    symlinkSync(target, join(linked, FIRST_KEYS_FILE));
    assert.equal(readFileSync(deliver(false, linked).file!, 'utf8'), text);
    assert.equal(readFileSync(target, 'utf8'), 'untouched');
  } finally {
    process.umask(old);
  }
});

test('a file it cannot write: no keys anywhere, and the way to make new ones', () => {
  const r = deliver(false, join(mkdtempSync(join(tmpdir(), 'sr-keys-')), 'gone'));
  assert.equal(r.file, undefined);
  assert.equal(r.printed, '');
  assert.doesNotMatch(r.noted, /sk-sr-/);
  assert.match(r.noted, /keys create --name NAME .*--admin/);
});
