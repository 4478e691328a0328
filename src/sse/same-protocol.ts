/**
 * An answer in the client's own protocol: errors in that protocol's error shape with the upstream
 * status, success passed through byte for byte as it arrives. When Synrouter asked for the chat usage
 * chunk on the client's behalf, that one chunk is held back so the client sees exactly the stream it
 * asked for.
 */
import { renderAnthropicError, renderOpenAIError } from '../errors.ts';
import type { WireProtocol } from '../upstream/providers.ts';
import { tryParse } from '../upstream/read-bounded.ts';
import { UNPARSABLE, type ClientAnswer } from './client-answer.ts';
import { errorFrame } from './error-frame.ts';
import { responseHeaders } from './response-head.ts';
import { writeSse } from './sse-parser.ts';

export function sameProtocol(protocol: WireProtocol, o: { hideUsageChunk: boolean }): ClientAnswer {
  const hide = protocol === 'openai-chat' && o.hideUsageChunk;
  return {
    error(status, raw, requestId) {
      const body = protocol === 'anthropic' ? anthropicError(status, raw, requestId) : openAIError(status, raw);
      return { status, body };
    },
    // The upstream's headers pass, but hop-by-hop ones (response-head.ts).
    headers: (up) => responseHeaders(up.headers, {}),
    sseHead: (up) => ({ status: up.status, headers: {} }),
    rewrites: hide,
    // Only when hiding: every frame re-emitted as it came, but a usage-only chunk (`choices: []` with usage).
    async frame(f, ev) {
      const chunk = ev as { choices?: unknown[]; usage?: unknown } | typeof UNPARSABLE;
      if (chunk !== UNPARSABLE && chunk && typeof chunk === 'object' && Array.isArray(chunk.choices) && chunk.choices.length === 0 && chunk.usage) return [];
      return [writeSse(f.event === 'message' ? undefined : f.event, f.data)];
    },
    ended: false,
    // protocols.md §1.5 event sequence: an upstream that closes cleanly before its final event is a
    // cut stream all the same; the client must see an error, not a reply that silently stops.
    finish(settled) {
      if (!settled) throw new Error('the upstream closed the stream before its final event');
      return [];
    },
    cut: (message, requestId) => [errorFrame(protocol, 502, 'upstream_error', `Upstream stream failed: ${message}`, requestId)],
  };
}

/** Anthropic error JSON passes through as is; anything else is wrapped in that shape. */
function anthropicError(status: number, raw: Buffer, requestId: string): string {
  const parsed = tryParse(raw) as { type?: unknown; error?: { type?: unknown; message?: unknown } } | undefined;
  if (parsed?.type === 'error' && typeof parsed.error?.message === 'string') return raw.toString('utf8');
  const upstreamMessage = typeof parsed?.error?.message === 'string' ? parsed.error.message : raw.toString('utf8').slice(0, 500);
  return JSON.stringify(renderAnthropicError(status, `Upstream error ${status}: ${upstreamMessage || 'no body'}`, requestId));
}

/** OpenAI error JSON passes through as is; anything else is wrapped in that shape. */
function openAIError(status: number, raw: Buffer): string {
  const parsed = tryParse(raw) as { error?: { message?: unknown } } | undefined;
  return typeof parsed?.error?.message === 'string'
    ? raw.toString('utf8')
    : JSON.stringify(renderOpenAIError(status, `Upstream error ${status}: ${raw.toString('utf8').slice(0, 500) || 'no body'}`, 'upstream_error'));
}
