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
  const record = await keys.find(key);
  if (!record) throw new ProxyError('AUTH_INVALID', 'Invalid API key: this is not a Synrouter key known to this server.');
  if (record.revokedAt !== null) throw new ProxyError('AUTH_REVOKED', `API key ${record.prefix}... was revoked.`);
  if (opts.admin && record.role !== 'admin') throw new ProxyError('AUTH_FORBIDDEN', 'This route needs an admin key.');
  return record;
}
