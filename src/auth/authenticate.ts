/** Who is calling: the `sk-sr-` key from `x-api-key` or `Authorization: Bearer`. */
import type { IncomingHttpHeaders } from 'node:http';
import { ProxyError } from '../errors.ts';
import type { KeyRecord } from '../store/keys.ts';
import type { KeyStoreApi } from '../store/store.ts';

export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const x = headers['x-api-key'];
  if (typeof x === 'string' && x.trim()) return x.trim();
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1]!.trim();
  }
  return undefined;
}

export async function authenticate(headers: IncomingHttpHeaders, keys: KeyStoreApi, opts: { admin?: boolean } = {}): Promise<KeyRecord> {
  const key = presentedKey(headers);
  if (!key) throw new ProxyError('AUTH_MISSING', 'Missing API key: send your Synrouter key (sk-sr-...) in x-api-key or Authorization: Bearer.');
  const record = await findKey(keys, key);
  if (!record) throw new ProxyError('AUTH_INVALID', 'Invalid API key: this is not a Synrouter key known to this server.');
  if (record.revokedAt !== null) throw new ProxyError('AUTH_REVOKED', `API key ${record.prefix}... was revoked.`);
  if (opts.admin && record.role !== 'admin') throw new ProxyError('AUTH_FORBIDDEN', 'This route needs an admin key.');
  return record;
}

/**
 * Keys this instance has seen stay valid while the store is down (postgres/keys.ts); one it has not
 * seen cannot be checked, which is the store's outage, not the caller's mistake: 503, retry.
 */
async function findKey(keys: KeyStoreApi, key: string): Promise<Readonly<KeyRecord> | undefined> {
  try {
    return await keys.find(key);
  } catch (err) {
    throw new ProxyError('STORE_UNAVAILABLE', 'Synrouter cannot reach its store to check this key right now; retry shortly.', { cause: err, headers: { 'retry-after': '5' } });
  }
}
