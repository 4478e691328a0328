/**
 * The client's request in the upstream's protocol. Same protocol: the client's own bytes, untouched
 * (edits come later, spliced in by rewrite/). Different protocols: the pair's pure translator, whose
 * output is deterministic, so a conversation's translated prefix is byte-stable turn after turn.
 */
import { randomBytes } from 'node:crypto';
import type { Route } from '../route/resolve-route.ts';
import type { WireProtocol } from '../upstream/providers.ts';
import type { ClientRequest } from '../protocols/client-protocols.ts';
import type { MessagesRequest } from '../protocols/anthropic/wire.ts';
import type { ChatRequest } from '../protocols/openai/validate-request.ts';
import type { Change } from '../rewrite/cache-engine.ts';
import { ProxyError } from '../errors.ts';
import { PAIRS, type Pair, type PairContext } from './pairs.ts';
import type { CarriedTurn } from './chat-via-anthropic/capture-thinking.ts';

/** What the stream-back stage (sse/stream-back.ts) needs to translate the answer back. */
export interface Translation { pair: Pair; context: PairContext }

export interface Outgoing {
  raw: Buffer;
  /** Set when the upstream speaks Anthropic (the cache engine applies). */
  anthropic?: MessagesRequest;
  /** Set when the upstream speaks an OpenAI protocol. */
  openai?: ChatRequest & { stream_options?: unknown };
  changes: Change[];
  translation?: Translation;
}

/** Whether an Anthropic request turns thinking on (`disabled` and absent do not). */
function thinkingOn(body: MessagesRequest): boolean {
  const t = (body as { thinking?: { type?: unknown } }).thinking;
  return t?.type === 'enabled' || t?.type === 'adaptive';
}

/** `carriedThinking`: the session's kept thinking (session/carried-thinking.ts), for chat clients. */
export function translateRequest(o: { from: WireProtocol; to: WireProtocol; raw: Buffer; request: ClientRequest; route: Route; now: number; carriedThinking?: readonly CarriedTurn[] }): Outgoing {
  if (o.from === o.to) {
    return o.to === 'anthropic'
      ? { raw: o.raw, anthropic: o.request as MessagesRequest, changes: [] }
      : { raw: o.raw, openai: o.request as ChatRequest, changes: [] };
  }
  const pair = PAIRS[`${o.from}->${o.to}`];
  if (!pair) throw new ProxyError('NO_ROUTE', `Model "${o.request.model}" is served over ${o.to}, and Synrouter does not translate ${o.from} to it.`, { param: 'model' });
  let t: ReturnType<Pair['translateRequest']>;
  try {
    t = pair.translateRequest(o.request, { upstreamModel: o.route.upstreamModel, ...(o.carriedThinking ? { carriedThinking: o.carriedThinking } : {}) });
  } catch (err) {
    if (err instanceof ProxyError || err instanceof RangeError) throw err;
    // The validators check what the flow needs; a translator tripping over a malformed part is the
    // client's 400, never a 500 (logged so that a real translator bug stays visible).
    console.warn(`[synrouter] ${o.from} -> ${o.to}: request not translatable: ${(err as Error).message}`);
    throw new ProxyError('BODY_INVALID', `The request could not be translated for the upstream: ${(err as Error).message}`, { cause: err });
  }
  const raw = Buffer.from(JSON.stringify(t.body));
  const context: PairContext = {
    clientModel: o.request.model,
    includeUsage: (o.request as ChatRequest).stream_options?.include_usage === true,
    createdAt: o.now,
    idBase: randomBytes(12).toString('hex'),
    ...(t.toolNameMap ? { toolNameMap: t.toolNameMap } : {}),
    ...(o.to === 'anthropic' && thinkingOn(t.body as MessagesRequest) ? { thinking: true } : {}),
  };
  const changes: Change[] = [
    { kind: 'translate', detail: `${o.from} -> ${o.to}` },
    ...t.warnings.map((w) => ({ kind: 'translate' as const, detail: `${w.code}: ${w.message}` })),
  ];
  const translated = o.to === 'anthropic' ? { anthropic: t.body as MessagesRequest } : { openai: t.body as ChatRequest };
  return { raw, ...translated, changes, translation: { pair, context } };
}
