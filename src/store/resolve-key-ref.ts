/**
 * A key as an operator names it in a filter (`synrouter sessions --key`, `usage --key`, the admin
 * API's `?key=`): its id (`key_0123abcd…`), its name, or the prefix `synrouter keys list` shows
 * (`sk-sr-AbCdEf`, with or without the `...` the list prints after it). Revoked keys count: their
 * turns stay in the ledger. A reference that matches no key, or more than one (two keys named
 * "laptop"), is an error that says so: a filter on a key that is not there would be an empty
 * report, indistinguishable from a key that had no traffic.
 */
import { KEY_PREFIX, type KeyRecord } from './keys.ts';

export type KeyRefResult =
  | { ok: true; key: KeyRecord }
  | { ok: false; code: 'key_not_found' | 'key_ambiguous'; message: string };

/** A whole key as KeyStore.create makes it: the prefix and 24 random bytes in base64url. */
const WHOLE_KEY = new RegExp(`^${KEY_PREFIX}[A-Za-z0-9_-]{32}$`);

/** The prefix as `keys list` prints it, without the ellipsis it prints after it. */
const listedPrefix = (ref: string): string => ref.replace(/(\.\.\.|…)$/, '');

export function resolveKeyRef(ref: string, keys: readonly KeyRecord[]): KeyRefResult {
  const wanted = ref.trim();
  const prefix = listedPrefix(wanted);
  const found = keys.filter((k) => k.id === wanted || k.name === wanted || (prefix.startsWith(KEY_PREFIX) && k.prefix === prefix));
  if (found.length === 1) return { ok: true, key: found[0]! };
  if (found.length > 1) {
    const which = found.map((k) => `${k.id} ("${k.name}", ${k.revokedAt === null ? 'active' : 'revoked'})`).join(', ');
    return { ok: false, code: 'key_ambiguous', message: `"${wanted}" matches ${found.length} keys: ${which}; name one by its ID.` };
  }
  // A whole key pasted in: not echoed (it would end up in logs), and not looked up by its hash either,
  // so that the filter never asks for the secret where a name or the listed prefix does.
  if (WHOLE_KEY.test(wanted)) return { ok: false, code: 'key_not_found', message: 'That is a whole key: pass its name, ID or the prefix `synrouter keys list` shows instead.' };
  return { ok: false, code: 'key_not_found', message: `No key with the name, ID or prefix "${wanted}" (see \`synrouter keys list\`).` };
}
