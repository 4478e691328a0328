/**
 * The stream-back stage: the upstream's answer to the client, as it arrives, with the meter on the
 * side. One path for every pair of protocols: an error answer is read whole and rendered in the
 * client's protocol; a JSON answer is relayed (same protocol) or translated whole; an event stream
 * is parsed once, frame by frame, and each frame's parsed event goes to the meter and, when the
 * client's bytes are made from frames, to the client's side (client-answer.ts). Where the client
 * gets the upstream's own bytes, frames only the meter would read are parsed, and the bulk of the
 * stream is passed over on its bytes.
 *
 * A meter failure never fails the response (style.md §7 Errors): every call into the meter is
 * guarded (GuardedMeter). One epilogue for every path: a client that left, an upstream that broke, the turn's
 * usage, model and in-band error.
 */
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AnswerMeter, Metered } from '../meter/answer-meter.ts';
import { AnthropicMeter } from '../meter/anthropic-usage.ts';
import { ChatMeter, ResponsesMeter } from '../meter/openai-usage.ts';
import { inBandErrorMessage, upstreamErrorMessage } from '../observe/upstream-error-message.ts';
import type { CarriedTurn } from '../translate/chat-via-anthropic/capture-thinking.ts';
import type { Translation } from '../translate/translate-request.ts';
import type { Turn } from '../turn.ts';
import type { WireProtocol } from '../upstream/providers.ts';
import { readBounded, tryParse } from '../upstream/read-bounded.ts';
import type { UpstreamResponse } from '../upstream/send-upstream.ts';
import { UNPARSABLE, type ClientAnswer, type Headers } from './client-answer.ts';
import { endWithFrame } from './error-frame.ts';
import { ResponseHead, writeHead } from './response-head.ts';
import { sameProtocol } from './same-protocol.ts';
import { SseParser, type SseFrame } from './sse-parser.ts';
import { translated } from './translated.ts';

export interface StreamBackInput {
  /** The upstream's protocol and the client's. */
  from: WireProtocol; to: WireProtocol;
  upstream: UpstreamResponse; res: ServerResponse; turn: Turn; signal: AbortSignal;
  /** Synrouter asked for the chat usage chunk on the client's behalf: held back from it. */
  hideUsageChunk: boolean;
  /** Set when the protocols differ. */
  translation: Translation | undefined;
  /** Keeps an answer's thinking for a client that cannot carry it (translated.ts). */
  onCarry?: (turn: CarriedTurn) => Promise<void>;
}

const METERS: Record<WireProtocol, () => AnswerMeter> = {
  'anthropic': () => new AnthropicMeter(),
  'openai-chat': () => new ChatMeter(),
  'openai-responses': () => new ResponsesMeter(),
};

export async function streamBack(o: StreamBackInput): Promise<void> {
  const { upstream, res, turn } = o;
  if (o.from !== o.to && !o.translation) throw new Error(`no translation for ${o.from} -> ${o.to}`);
  const answer = o.translation ? translated(o.translation, { onCarry: o.onCarry }) : sameProtocol(o.to, { hideUsageChunk: o.hideUsageChunk });
  const headers: Headers = { ...answer.headers(upstream), 'synrouter-request-id': turn.requestId };
  turn.status = upstream.status;
  if (upstream.status >= 400) {
    turn.errorCode = 'UPSTREAM_ERROR';
    const raw = await readBounded(upstream.body);
    turn.errorMessage = upstreamErrorMessage(raw);
    const e = answer.error(upstream.status, raw, turn.requestId);
    return sendJson(res, e.status, e.body, headers);
  }
  const meter = new GuardedMeter(METERS[o.from]());
  const sse = String(upstream.headers['content-type'] ?? '').includes('text/event-stream');
  try {
    if (sse) {
      turn.meter = meter;
      await streamEvents(o, answer, meter, headers);
    } else {
      await relayJson(o, answer, meter, headers);
    }
  } catch (err) {
    // Nothing sent yet (a JSON answer read whole): the caller answers in the client's protocol.
    if (!res.headersSent) throw err;
    if (o.signal.aborted) {
      turn.aborted = true;
      turn.errorCode = 'CLIENT_ABORTED';
    } else {
      turn.errorCode = 'UPSTREAM_ERROR';
      // A JSON body half sent has no in-band error: a reset says "incomplete" unmistakably.
      if (sse) endWithFrame(res, answer.cut((err as Error).message, turn.requestId).join(''));
      else res.destroy();
    }
  } finally {
    const m = meter.result();
    if (m?.usage) turn.usage = m.usage;
    if (m) {
      turn.responseModel = m.model;
      turn.providerCostUsd = m.providerCostUsd;
    }
    if (m?.error && !turn.errorCode) {
      turn.errorCode = m.error.code;
      turn.errorMessage = inBandErrorMessage(m.error.message);
    }
    if (res.headersSent && !res.writableEnded && !res.destroyed) res.end();
  }
}

/** A JSON answer: relayed as it comes when the client gets the upstream's bytes, else read whole and rewritten. */
async function relayJson(o: StreamBackInput, answer: ClientAnswer, meter: GuardedMeter, headers: Headers): Promise<void> {
  const { upstream, res, turn } = o;
  if (!answer.json) {
    writeHead(res, upstream.status, headers);
    const parts: Buffer[] = [];
    for await (const chunk of upstream.body) {
      turn.ttfbMs ??= performance.now() - turn.startPerf;
      parts.push(chunk as Buffer);
      if (!res.write(chunk)) await once(res, 'drain', { signal: o.signal });
    }
    meter.body(tryParse(Buffer.concat(parts)));
    res.end();
    return;
  }
  const raw = await readBounded(upstream.body);
  turn.ttfbMs = performance.now() - turn.startPerf;
  const parsed = tryParse(raw);
  meter.body(parsed);
  if (parsed === undefined) turn.errorCode = 'UPSTREAM_ERROR';
  const out = await answer.json(parsed);
  sendJson(res, out.status, out.body, headers);
}

/** An event stream: each frame parsed once, for the meter and (when it makes the client's bytes) the client's side. */
async function streamEvents(o: StreamBackInput, answer: ClientAnswer, meter: GuardedMeter, headers: Headers): Promise<void> {
  const { upstream, res, turn } = o;
  const sseHead = answer.sseHead(upstream);
  writeHead(res, sseHead.status, { ...headers, ...sseHead.headers });
  const head = new ResponseHead(res, upstream.body);
  // Nothing but the meter reads the frames it passes over: the parser may skip them on their bytes.
  const parser = new SseParser(answer.rewrites ? {} : { skip: meter.unread });
  const parse = answer.parse ?? ((data: string) => meter.parse(data));
  // Backpressure from a slow client pauses the upstream (upstream-body.ts stops reading past its high-water mark).
  const write = (out: string | Buffer): Promise<unknown> | undefined => {
    if (!out.length || res.writableEnded) return undefined;
    head.wrote();
    return res.write(out) ? undefined : once(res, 'drain', { signal: o.signal });
  };
  const parseFrame = (f: SseFrame): unknown => {
    try {
      return parse(f.data);
    } catch {
      return UNPARSABLE; // not the meter's to judge: the client's side decides what it means
    }
  };
  // The client gets the upstream's bytes: only the frames the meter reads are parsed, synchronously.
  const meterOnly = (list: SseFrame[]): void => {
    for (const f of list) {
      if (!meter.reads(f)) continue;
      const event = parseFrame(f);
      if (event !== UNPARSABLE) meter.event(event);
    }
  };
  // The client's bytes are made from the frames: each parsed once, for both.
  const rewrite = async (list: SseFrame[]): Promise<string> => {
    let out = '';
    for (const f of list) {
      const event = parseFrame(f);
      if (event !== UNPARSABLE) meter.event(event);
      if (!answer.ended) out += (await answer.frame(f, event)).join('');
    }
    return out;
  };
  for await (const chunk of upstream.body) {
    turn.ttfbMs ??= performance.now() - turn.startPerf;
    const frames = parser.push(chunk as Buffer);
    let out: string | Buffer = chunk as Buffer;
    if (answer.rewrites) out = await rewrite(frames);
    else meterOnly(frames);
    const drained = write(out);
    if (drained) await drained;
    head.handled();
    if (answer.ended) break;
  }
  if (!answer.ended) {
    const rest = parser.end();
    if (answer.rewrites) await write(await rewrite(rest));
    else meterOnly(rest);
  }
  if (!answer.ended) await write(answer.finish(meter.settled()).join(''));
  res.end();
}

/**
 * The meter behind a guard: a meter failure never fails the client's response (style.md §7 Errors).
 * It is logged once, the answer goes on, and a meter that failed no longer judges whether the stream
 * was complete (the client gets the upstream's bytes as they are).
 */
class GuardedMeter {
  readonly #meter: AnswerMeter;
  #failed = false;

  constructor(meter: AnswerMeter) {
    this.#meter = meter;
  }

  get unread() { return this.#failed ? [] : this.#meter.unread; }
  reads(f: SseFrame): boolean { return !this.#failed && this.#try(() => this.#meter.reads(f), false); }
  parse(data: string): unknown { return this.#meter.parse(data); }
  event(ev: unknown): void { if (!this.#failed) this.#try(() => this.#meter.event(ev), undefined); }
  body(json: unknown): void { this.#try(() => this.#meter.body(json), undefined); }
  settled(): boolean { return this.#failed || this.#try(() => this.#meter.settled(), true); }
  soFar() { return this.#try(() => this.#meter.soFar(), { usage: null, model: null }); }
  result(): Metered | undefined { return this.#failed ? undefined : this.#try(() => this.#meter.result(), undefined); }

  #try<T>(f: () => T, fallback: T): T {
    try {
      return f();
    } catch (err) {
      if (!this.#failed) console.error(`[synrouter] meter error: ${(err as Error).message}`);
      this.#failed = true;
      return fallback;
    }
  }
}

function sendJson(res: ServerResponse, status: number, body: string, headers: Headers): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
