import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyRecord } from './keys.ts';
import { resolveKeyRef } from './resolve-key-ref.ts';

const key = (id: string, name: string, prefix: string, revokedAt: number | null = null): KeyRecord => ({
  id, name, prefix, role: 'client', mode: 'coding', createdAt: 0, revokedAt, budgetUsdDay: null, budgetUsdMonth: null, shadow: false,
});
const KEYS = [
  key('key_aaaaaaaaaaaa', 'laptop', 'sk-sr-AAAAAA'),
  key('key_bbbbbbbbbbbb', 'ci', 'sk-sr-BBBBBB'),
  key('key_cccccccccccc', 'twin', 'sk-sr-CCCCCC', 1),
  key('key_dddddddddddd', 'twin', 'sk-sr-DDDDDD'),
];
const idOf = (ref: string) => {
  const r = resolveKeyRef(ref, KEYS);
  return r.ok ? r.key.id : r.code;
};

test('a key by its id, its name, or the prefix keys list shows (with or without its "...")', () => {
  assert.equal(idOf('key_aaaaaaaaaaaa'), 'key_aaaaaaaaaaaa');
  assert.equal(idOf('laptop'), 'key_aaaaaaaaaaaa');
  assert.equal(idOf('sk-sr-BBBBBB'), 'key_bbbbbbbbbbbb');
  assert.equal(idOf('sk-sr-BBBBBB...'), 'key_bbbbbbbbbbbb');
  assert.equal(idOf('  ci '), 'key_bbbbbbbbbbbb', 'surrounding blanks are not part of a name');
  assert.equal(idOf('key_cccccccccccc'), 'key_cccccccccccc', 'a revoked key still names its turns');
});

test('an unknown key is key_not_found, naming what was asked for; a name shared by two keys is key_ambiguous, listing them', () => {
  const unknown = resolveKeyRef('desktop', KEYS);
  assert.deepEqual(unknown, { ok: false, code: 'key_not_found', message: 'No key with the name, ID or prefix "desktop" (see `synrouter keys list`).' });
  assert.equal(idOf('Laptop'), 'key_not_found', 'names are compared exactly');
  assert.equal(idOf('key_aaaa'), 'key_not_found', 'no partial ids');
  assert.equal(idOf('sk-sr-AAA'), 'key_not_found', 'only the whole listed prefix');
  assert.equal(idOf('AAAAAA'), 'key_not_found');
  const twin = resolveKeyRef('twin', KEYS);
  assert.equal(twin.ok, false);
  assert.equal(!twin.ok && twin.code, 'key_ambiguous');
  assert.match(!twin.ok ? twin.message : '', /"twin" matches 2 keys: key_cccccccccccc \("twin", revoked\), key_dddddddddddd \("twin", active\); name one by its ID/);
  assert.equal(idOf('key_dddddddddddd'), 'key_dddddddddddd', 'the id picks one of them');
  assert.equal(resolveKeyRef('laptop', []).ok, false, 'no keys at all');
});

test('a whole key pasted in is refused without echoing it', () => {
  const whole = 'sk-sr-AAAAAA' + 'x'.repeat(26);
  const r = resolveKeyRef(whole, KEYS);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.code, 'key_not_found');
  assert.ok(!r.ok && !r.message.includes(whole), 'the secret is not repeated in the message');
  assert.match(!r.ok ? r.message : '', /whole key: pass its name, ID or the prefix/);
});
