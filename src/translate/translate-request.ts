/**
 * The client's request in the upstream's protocol. Same protocol: the client's own bytes, untouched
 * (edits come later, spliced in by rewrite/). Different protocols: a pure translator per pair.
 */
import type { Route } from '../route/resolve-route.ts';
import type { WireProtocol } from '../upstream/providers.ts';
import type { ClientRequest } from '../protocols/client-protocols.ts';
import type { MessagesRequest } from '../protocols/anthropic/types.ts';
import type { ChatRequest } from '../protocols/openai/validate-request.ts';
import type { Change } from '../rewrite/cache-engine.ts';
import { ProxyError } from '../errors.ts';

/** What forward-response needs to translate the answer back (tool name maps, ids, options). */
export interface Translation { pair: `${WireProtocol}->${WireProtocol}`; clientModel: string; includeUsage: boolean; context?: unknown }

export interface Outgoing {
  raw: Buffer;
  /** Set when the upstream speaks Anthropic (the cache engine applies). */
  anthropic?: MessagesRequest;
  /** Set when the upstream speaks an OpenAI protocol. */
  openai?: ChatRequest & { stream_options?: unknown };
  changes: Change[];
  translation?: Translation;
}

export function translateRequest(o: { from: WireProtocol; to: WireProtocol; raw: Buffer; request: ClientRequest; route: Route }): Outgoing {
  if (o.from === o.to) {
    return o.to === 'anthropic'
      ? { raw: o.raw, anthropic: o.request as MessagesRequest, changes: [] }
      : { raw: o.raw, openai: o.request as ChatRequest, changes: [] };
  }
  throw new ProxyError('NO_ROUTE', `Model "${o.request.model}" is served over ${o.to}, and Synrouter cannot translate ${o.from} to it yet.`, { param: 'model' });
}
