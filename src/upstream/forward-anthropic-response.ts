/**
 * An Anthropic-protocol upstream's answer, back to an Anthropic-protocol client: errors in
 * Anthropic's error shape with the upstream status; success streamed through as it arrives while
 * the meter reads usage on the side.
 */
import type { ServerResponse } from 'node:http';
import { inStreamErrorCode, renderAnthropicError } from '../errors.ts';
import { AnthropicStreamWatcher, fromAnthropicUsage } from '../meter/anthropic-usage.ts';
import type { AnthropicUsage } from '../protocols/anthropic/types.ts';
import { endStreamWithError, relay, responseHeaders } from '../sse/relay.ts';
import type { Turn } from '../turn.ts';
import type { UpstreamResponse } from './send-upstream.ts';
import { readBounded, tryParse } from './read-bounded.ts';
import { inBandErrorMessage, upstreamErrorMessage } from '../observe/upstream-error-message.ts';

export async function forwardAnthropicResponse(opts: { upstream: UpstreamResponse; res: ServerResponse; turn: Turn; signal: AbortSignal }): Promise<void> {
  const { upstream, res, turn } = opts;
  turn.status = upstream.status;
  if (upstream.status >= 400) {
    turn.errorCode = 'UPSTREAM_ERROR';
    const raw = await readBounded(upstream.body);
    turn.errorMessage = upstreamErrorMessage(raw);
    const body = normaliseError(upstream.status, raw, turn.requestId);
    res.writeHead(upstream.status, responseHeaders(upstream.headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }));
    res.end(body);
    return;
  }

  const isSse = String(upstream.headers['content-type'] ?? '').includes('text/event-stream');
  const stream = isSse ? new AnthropicStreamWatcher() : undefined;
  if (stream) turn.meter = stream;
  const json: Buffer[] = [];
  try {
    await relay({
      upstream, res, signal: opts.signal, headers: { 'synrouter-request-id': turn.requestId },
      onChunk: (c) => {
        turn.ttfbMs ??= performance.now() - turn.startPerf;
        if (stream) stream.push(c);
        else json.push(c);
      },
      ...(stream ? { complete: () => { const s = stream.summary(); return s.completed || s.error !== null; } } : {}),
    });
  } catch (err) {
    if (opts.signal.aborted) {
      turn.aborted = true;
      turn.errorCode = 'CLIENT_ABORTED';
    } else {
      turn.errorCode = 'UPSTREAM_ERROR';
      const message = `Upstream stream failed: ${(err as Error).message}`;
      if (isSse) endStreamWithError(res, 'error', renderAnthropicError(502, message, turn.requestId));
      else res.destroy();
    }
  } finally {
    if (stream) {
      const s = stream.summary();
      turn.usage = s.usage;
      turn.responseModel = s.model;
      if (s.error && !turn.errorCode) {
        turn.errorCode = inStreamErrorCode(s.error.type);
        turn.errorMessage = inBandErrorMessage(s.error.message);
      }
    } else {
      const parsed = tryParse(Buffer.concat(json)) as { model?: string; usage?: AnthropicUsage } | undefined;
      turn.usage = fromAnthropicUsage(parsed?.usage);
      turn.responseModel = parsed?.model ?? null;
    }
  }
}

/** Anthropic error JSON passes through as is; anything else is wrapped in that shape. */
function normaliseError(status: number, raw: Buffer, requestId: string): string {
  const parsed = tryParse(raw) as { type?: unknown; error?: { type?: unknown; message?: unknown } } | undefined;
  if (parsed?.type === 'error' && typeof parsed.error?.message === 'string') return raw.toString('utf8');
  const upstreamMessage = typeof parsed?.error?.message === 'string' ? parsed.error.message : raw.toString('utf8').slice(0, 500);
  return JSON.stringify(renderAnthropicError(status, `Upstream error ${status}: ${upstreamMessage || 'no body'}`, requestId));
}
