/** Which conversation a request belongs to: the agent's own id when it sends one, else a derived one. */
import type { IncomingHttpHeaders } from 'node:http';
import { clientSessionId } from './session-id.ts';
import { derivedSessionId, fingerprint, type Fingerprint, type StablePrefix } from './fingerprint.ts';

export interface SessionIdentity {
  id: string;
  source: 'client' | 'derived';
  fingerprint: Fingerprint;
}

export function identifySession(headers: IncomingHttpHeaders, body: { metadata?: { user_id?: unknown }; prompt_cache_key?: unknown }, stable: StablePrefix): SessionIdentity {
  const fp = fingerprint(stable);
  const own = clientSessionId(headers, body);
  return own ? { id: own, source: 'client', fingerprint: fp } : { id: derivedSessionId(fp, stable), source: 'derived', fingerprint: fp };
}
