/** Which conversation a request belongs to: the agent's own id when it sends one, else a derived one. */
import type { IncomingHttpHeaders } from 'node:http';
import type { MessagesRequest } from '../protocols/anthropic/types.ts';
import { clientSessionId } from './session-id.ts';
import { derivedSessionId, fingerprint, type Fingerprint } from './fingerprint.ts';

export interface SessionIdentity {
  id: string;
  source: 'client' | 'derived';
  fingerprint: Fingerprint;
}

export function identifySession(headers: IncomingHttpHeaders, request: MessagesRequest): SessionIdentity {
  const fp = fingerprint(request);
  const own = clientSessionId(headers, request);
  return own ? { id: own, source: 'client', fingerprint: fp } : { id: derivedSessionId(fp, request.messages), source: 'derived', fingerprint: fp };
}
