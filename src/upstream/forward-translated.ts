/**
 * An upstream's answer in another protocol than the client's: errors and JSON translated whole;
 * SSE parsed frame by frame and passed through the pair's reducer as it arrives (no buffering to the
 * end). The meter reads the upstream's own bytes. A stream that breaks before its terminal event
 * ends with the client protocol's error frame (the reducer's finish()).
 *
 * Pairs that keep thinking for their clients (Pair.capture: chat clients on Claude) read the answer
 * once more for it; `onCarry` stores it before the answer's last bytes (the JSON body, or the
 * stream's terminal frames) reach the client, so the client's next request, sent as soon as it has
 * them, finds it wherever it lands.
 */
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import { AnthropicStreamWatcher, fromAnthropicUsage } from '../meter/anthropic-usage.ts';
import { fromChatUsage, OpenAIStreamWatcher } from '../meter/openai-usage.ts';
import { SseParser } from '../sse/sse-parser.ts';
import { ResponseHead, responseHeaders, tapMeter, writeHead } from '../sse/relay.ts';
import type { Translation } from '../translate/translate-request.ts';
import type { CarriedTurn } from '../translate/chat-via-anthropic/capture-thinking.ts';
import type { Turn } from '../turn.ts';
import type { WireProtocol } from './providers.ts';
import { readBounded, tryParse } from './read-bounded.ts';
import { upstreamErrorMessage } from '../observe/upstream-error-message.ts';
import type { UpstreamResponse } from './send-upstream.ts';

export async function forwardTranslated(o: {
  from: WireProtocol; upstream: UpstreamResponse; res: ServerResponse; turn: Turn; signal: AbortSignal; translation: Translation;
  onCarry?: (turn: CarriedTurn) => Promise<void>;
}): Promise<void> {
  const { upstream, res, turn } = o;
  const { pair, context } = o.translation;
  turn.status = upstream.status;
  const keep = pickHeaders(upstream.headers, ['retry-after', 'request-id', 'x-request-id']);
  if (upstream.status >= 400) {
    turn.errorCode = 'UPSTREAM_ERROR';
    const raw = await readBounded(upstream.body);
    turn.errorMessage = upstreamErrorMessage(raw);
    const t = pair.translateError(upstream.status, tryParse(raw) ?? raw.toString('utf8'));
    return sendJson(res, t.status, t.body, keep);
  }
  const watcher = o.from === 'anthropic' ? new AnthropicStreamWatcher() : new OpenAIStreamWatcher('chat');
  const meter = (chunk: Buffer) => watcher.push(chunk);
  if (!String(upstream.headers['content-type'] ?? '').includes('text/event-stream')) {
    const raw = await readBounded(upstream.body);
    turn.ttfbMs = performance.now() - turn.startPerf;
    const json = tryParse(raw) as { model?: string; usage?: never } | undefined;
    turn.usage = o.from === 'anthropic' ? fromAnthropicUsage(json?.usage) : fromChatUsage(json?.usage);
    turn.responseModel = json?.model ?? null;
    if (!json) {
      turn.errorCode = 'UPSTREAM_ERROR';
      const t = pair.translateError(502, 'The upstream answered with a body that is not JSON.');
      return sendJson(res, t.status, t.body, keep);
    }
    const carry = o.onCarry && pair.capture?.fromResponse(json, context);
    if (carry) await o.onCarry!(carry);
    return sendJson(res, 200, pair.translateResponse(json, context), { ...keep, 'synrouter-request-id': turn.requestId });
  }

  turn.meter = watcher;
  writeHead(res, 200, responseHeaders({}, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'synrouter-request-id': turn.requestId, ...keep }));
  const head = new ResponseHead(res, upstream.body);
  const parser = new SseParser();
  const stream = pair.stream(context);
  const capture = o.onCarry ? pair.capture?.stream(context) : undefined;
  let ended = false;
  const write = async (frames: string[]) => {
    if (!frames.length || res.writableEnded) return;
    head.wrote();
    if (!res.write(frames.join(''))) await once(res, 'drain', { signal: o.signal });
  };
  const feed = async (frames: Array<{ data: string }>) => {
    for (const f of frames) {
      if (ended) return;
      let event: unknown;
      try {
        event = stream.parse(f.data);
      } catch {
        ended = true; // unparsable data: the stream broke here
        await write(stream.finish());
        return;
      }
      const step = stream.push(event);
      ended = step.ended;
      capture?.push(event);
      const carry = ended ? capture?.result() : undefined;
      if (carry) await o.onCarry!(carry);
      await write(step.out);
    }
  };
  try {
    for await (const chunk of upstream.body) {
      turn.ttfbMs ??= performance.now() - turn.startPerf;
      tapMeter(meter, chunk as Buffer);
      await feed(parser.push(chunk as Buffer));
      head.handled();
      if (ended) break;
    }
    if (!ended) {
      await feed(parser.end());
      if (!ended) await write(stream.finish());
    }
  } catch (err) {
    if (o.signal.aborted) {
      turn.aborted = true;
      turn.errorCode = 'CLIENT_ABORTED';
    } else {
      turn.errorCode = 'UPSTREAM_ERROR';
      if (!ended) await write(stream.finish()).catch(() => undefined);
    }
  } finally {
    try {
      const s = watcher.summary();
      if (s.usage) turn.usage = s.usage;
      turn.responseModel = s.model;
      if (s.error && !turn.errorCode) turn.errorCode = 'UPSTREAM_STREAM_ERROR';
    } catch (err) {
      console.error(`[synrouter] meter error: ${(err as Error).message}`);
    }
    if (!res.writableEnded && !res.destroyed) res.end();
  }
}

function pickHeaders(h: UpstreamResponse['headers'], names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = h[n];
    if (typeof v === 'string') out[n] = v;
  }
  return out;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(data)), ...headers });
  res.end(data);
}
