/** The upstream's answer back to the client: pass-through when protocols match, else translated. */
import type { ServerResponse } from 'node:http';
import type { Turn } from '../turn.ts';
import type { WireProtocol } from './providers.ts';
import type { UpstreamResponse } from './send-upstream.ts';
import type { Translation } from '../translate/translate-request.ts';
import { forwardAnthropicResponse } from './forward-anthropic-response.ts';
import { forwardOpenAIResponse } from './forward-openai-response.ts';
import { forwardTranslated } from './forward-translated.ts';
import type { CarriedTurn } from '../translate/chat-via-anthropic/capture-thinking.ts';

export async function forwardResponse(o: {
  from: WireProtocol; to: WireProtocol; upstream: UpstreamResponse; res: ServerResponse; turn: Turn; signal: AbortSignal; hideUsageChunk: boolean; translation: Translation | undefined;
  /** Keeps an answer's thinking for a client that cannot carry it (forward-translated.ts). */
  onCarry?: (turn: CarriedTurn) => Promise<void>;
}): Promise<void> {
  if (o.from === 'anthropic' && o.to === 'anthropic') return forwardAnthropicResponse(o);
  if (o.from === o.to) return forwardOpenAIResponse({ ...o, kind: o.to === 'openai-chat' ? 'chat' : 'responses' });
  if (!o.translation) throw new Error(`no translation for ${o.from} -> ${o.to}`);
  return forwardTranslated({ ...o, translation: o.translation });
}
