/**
 * An OpenAI-protocol upstream's answer back to a client of the same protocol: passed through as it
 * arrives, usage read on the side. When Synrouter asked for the chat usage chunk on the client's
 * behalf, that one chunk is held back so the client sees exactly the stream it asked for.
 */
import type { ServerResponse } from 'node:http';
import { renderOpenAIError } from '../errors.ts';
import { fromChatUsage, fromResponsesUsage, OpenAIStreamWatcher } from '../meter/openai-usage.ts';
import { SseParser, writeSse } from '../sse/sse-parser.ts';
import { endStreamWithError, relay, responseHeaders } from '../sse/relay.ts';
import type { Turn } from '../turn.ts';
import { readBounded, tryParse } from './read-bounded.ts';
import { inBandErrorMessage, upstreamErrorMessage } from '../observe/upstream-error-message.ts';
import type { UpstreamResponse } from './send-upstream.ts';

export async function forwardOpenAIResponse(opts: {
  upstream: UpstreamResponse; res: ServerResponse; turn: Turn; signal: AbortSignal; kind: 'chat' | 'responses'; hideUsageChunk: boolean;
}): Promise<void> {
  const { upstream, res, turn, kind } = opts;
  turn.status = upstream.status;
  if (upstream.status >= 400) {
    turn.errorCode = 'UPSTREAM_ERROR';
    const raw = await readBounded(upstream.body);
    turn.errorMessage = upstreamErrorMessage(raw);
    const parsed = tryParse(raw) as { error?: { message?: unknown } } | undefined;
    const body = typeof parsed?.error?.message === 'string'
      ? raw.toString('utf8')
      : JSON.stringify(renderOpenAIError(upstream.status, `Upstream error ${upstream.status}: ${raw.toString('utf8').slice(0, 500) || 'no body'}`, 'upstream_error'));
    res.writeHead(upstream.status, responseHeaders(upstream.headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }));
    res.end(body);
    return;
  }
  const isSse = String(upstream.headers['content-type'] ?? '').includes('text/event-stream');
  const watcher = isSse ? new OpenAIStreamWatcher(kind) : undefined;
  if (watcher) turn.meter = watcher;
  const json: Buffer[] = [];
  const hide = isSse && opts.hideUsageChunk ? new SseParser() : undefined;
  try {
    await relay({
      upstream, res, signal: opts.signal, headers: { 'synrouter-request-id': turn.requestId },
      onChunk: (c) => {
        turn.ttfbMs ??= performance.now() - turn.startPerf;
        if (watcher) watcher.push(c);
        else json.push(c);
      },
      ...(hide ? { transform: (c: Buffer) => hideUsageChunk(hide, c) } : {}),
      ...(watcher ? { complete: () => { const s = watcher.summary(); return s.completed || s.error !== null; } } : {}),
    });
  } catch (err) {
    if (opts.signal.aborted) {
      turn.aborted = true;
      turn.errorCode = 'CLIENT_ABORTED';
    } else {
      turn.errorCode = 'UPSTREAM_ERROR';
      const message = `Upstream stream failed: ${(err as Error).message}`;
      if (isSse) endStreamWithError(res, kind === 'responses' ? 'error' : undefined, kind === 'responses' ? { type: 'error', code: 'upstream_error', message, sequence_number: 0 } : renderOpenAIError(502, message, 'upstream_error'));
      else res.destroy();
    }
  } finally {
    if (watcher) {
      const s = watcher.summary();
      if (s.usage) turn.usage = s.usage;
      turn.responseModel = s.model;
      turn.providerCostUsd = s.providerCost;
      if (s.error && !turn.errorCode) {
        turn.errorCode = 'UPSTREAM_STREAM_ERROR';
        turn.errorMessage = inBandErrorMessage(s.error);
      }
    } else {
      const parsed = tryParse(Buffer.concat(json)) as { model?: string; usage?: Record<string, any> } | undefined;
      turn.usage = kind === 'chat' ? fromChatUsage(parsed?.usage) : fromResponsesUsage(parsed?.usage);
      turn.responseModel = parsed?.model ?? null;
      turn.providerCostUsd = typeof parsed?.usage?.cost === 'number' ? parsed.usage.cost : null;
    }
  }
}

/** Re-emits the chunk's complete frames except a usage-only chat chunk (`choices: []` with usage). */
function hideUsageChunk(parser: SseParser, chunk: Buffer): Buffer {
  let out = '';
  for (const f of parser.push(chunk)) {
    if (f.data !== '[DONE]') {
      const ev = tryParse(Buffer.from(f.data)) as { choices?: unknown[]; usage?: unknown } | undefined;
      if (ev && Array.isArray(ev.choices) && ev.choices.length === 0 && ev.usage) continue;
    }
    out += writeSse(f.event === 'message' ? undefined : f.event, f.data);
  }
  return Buffer.from(out);
}
