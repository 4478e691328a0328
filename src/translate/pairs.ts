/**
 * The protocol pairs Synrouter translates, each a thin adapter over its pure translator folder, so
 * that the request flow and the stream-back stage see one shape. A pair is added here only when a client
 * needs it (style.md §8).
 */
import * as chatReq from './chat-via-anthropic/request.ts';
import * as chatRes from './chat-via-anthropic/response.ts';
import * as chatStream from './chat-via-anthropic/stream.ts';
import * as chatErr from './chat-via-anthropic/errors.ts';
import * as chatCapture from './chat-via-anthropic/capture-thinking.ts';
import * as respReq from './responses-via-anthropic/request.ts';
import * as respRes from './responses-via-anthropic/response.ts';
import * as respStream from './responses-via-anthropic/stream.ts';
import * as respErr from './responses-via-anthropic/errors.ts';
import * as ccReq from './anthropic-via-openai-chat/request.ts';
import * as ccRes from './anthropic-via-openai-chat/response.ts';
import * as ccStream from './anthropic-via-openai-chat/stream.ts';
import * as ccErr from './anthropic-via-openai-chat/errors.ts';
import { parseChatFrame } from '../protocols/openai/chat-stream.ts';
import type { WireProtocol } from '../upstream/providers.ts';
import type { ThinkingStyle, TranslateWarning } from './shared/build-anthropic.ts';
import { modelFacts } from '../route/model-facts.ts';
import { carriedById } from '../session/carried-thinking.ts';
import type { CarriedTurn } from './chat-via-anthropic/capture-thinking.ts';

/** Everything a pair needs to turn the answer back: fixed when the request is translated. */
export interface PairContext {
  clientModel: string; includeUsage: boolean; createdAt: number; idBase: string; toolNameMap?: respReq.ToolNameMap;
  /** The translated request has thinking on (Responses answers then say when they had none). */
  thinking?: boolean;
}

export interface StreamTranslator {
  /** Parses one SSE frame's data into the upstream's event; throws on data that cannot be parsed. */
  parse(data: string): unknown;
  /** Feeds one upstream event; returns client frames. `ended` once a terminal frame was written. */
  push(event: unknown): { out: string[]; ended: boolean };
  /** The upstream stream ended (cleanly or not): what the client still needs, an error frame if it was cut. */
  finish(): string[];
}

/** Reads a streamed answer's events for the thinking to keep (chat-via-anthropic/capture-thinking.ts). */
export interface ThinkingCapture {
  push(event: unknown): void;
  /** The turn to keep, once the answer is complete; undefined when there is nothing to keep. */
  result(): CarriedTurn | undefined;
}

export interface Pair {
  /** `carriedThinking`: the session's kept thinking, for the pairs whose clients cannot carry it. */
  translateRequest(body: unknown, opts: { upstreamModel: string; carriedThinking?: readonly CarriedTurn[] }): { body: unknown; warnings: TranslateWarning[]; toolNameMap?: respReq.ToolNameMap };
  translateResponse(json: unknown, ctx: PairContext): unknown;
  stream(ctx: PairContext): StreamTranslator;
  translateError(status: number, body: unknown): { status: number; body: unknown };
  /** Set for the pairs whose clients have no field for signed thinking: Synrouter keeps it for them. */
  capture?: { fromResponse(json: unknown, ctx: PairContext): CarriedTurn | undefined; stream(ctx: PairContext): ThinkingCapture };
}

/**
 * What the translators need to know about the upstream model: its facts in the registry
 * (route/model-facts.ts), keyed by the model, so `claude-sonnet-4-5` and `anthropic/claude-sonnet-4.5`
 * translate the same (issue 22).
 */
function factsOptions(model: string): { thinkingStyle: ThinkingStyle; forcedToolChoice: boolean } {
  const f = modelFacts(model);
  return { thinkingStyle: f.thinking, forcedToolChoice: f.forcedToolChoice };
}

/**
 * Models after Opus 4.6 accept only temperature 1, top_p >= 0.99 and no top_k (protocols.md §1.2;
 * the registry's `sampling: "default-only"`); an OpenAI client's usual temperature would turn its
 * request into a 400. Dropped with a warning.
 */
function fitSampling<T extends { body: unknown; warnings: TranslateWarning[] }>(t: T, model: string): T {
  const body = t.body as Record<string, unknown>;
  if (modelFacts(model).sampling === 'any') return t;
  for (const [field, ok] of [['temperature', (v: number) => v === 1], ['top_p', (v: number) => v >= 0.99], ['top_k', () => false]] as const) {
    if (typeof body[field] === 'number' && !ok(body[field] as number)) {
      delete body[field];
      t.warnings.push({ code: 'dropped_field', message: `${field} dropped: this model accepts only the default`, param: field });
    }
  }
  return t;
}

function reducer<S extends { phase: string }, E>(init: S, reduce: (s: S, e: E) => { state: S; out: string[] }, finish: (s: S) => string[], parse: (d: string) => E): StreamTranslator {
  let state = init;
  return {
    parse,
    push(event) {
      const step = reduce(state, event as E);
      state = step.state;
      return { out: step.out, ended: state.phase === 'ended' };
    },
    finish: () => finish(state),
  };
}

const seconds = (ms: number) => Math.floor(ms / 1000);

export const PAIRS: Readonly<Partial<Record<`${WireProtocol}->${WireProtocol}`, Pair>>> = {
  'openai-chat->anthropic': {
    translateRequest: (body, o) => fitSampling(chatReq.translateRequest(body as never, {
      model: o.upstreamModel, ...factsOptions(o.upstreamModel), ...(o.carriedThinking?.length ? { carriedThinking: carriedById(o.carriedThinking) } : {}),
    }), o.upstreamModel),
    translateResponse: (json, c) => chatRes.translateResponse(json as never, { created: seconds(c.createdAt), model: c.clientModel }),
    stream: (c) => reducer(chatStream.initialState({ created: seconds(c.createdAt), model: c.clientModel, includeUsage: c.includeUsage }), chatStream.reduce, chatStream.finish, JSON.parse),
    translateError: chatErr.translateError,
    capture: {
      fromResponse: (json, c) => chatCapture.captureFromMessage(json as never, c.thinking === true),
      stream: (c) => {
        let state = chatCapture.initialCapture();
        return { push: (event) => { state = chatCapture.captureEvent(state, event as never); }, result: () => chatCapture.capturedTurn(state, c.thinking === true) };
      },
    },
  },
  'openai-responses->anthropic': {
    translateRequest: (body, o) => fitSampling(respReq.translateRequest(body as never, { model: o.upstreamModel, ...factsOptions(o.upstreamModel) }), o.upstreamModel),
    translateResponse: (json, c) => respRes.translateResponse(json as never, { createdAt: seconds(c.createdAt), model: c.clientModel, toolNameMap: c.toolNameMap!, idBase: c.idBase, thinking: c.thinking === true }),
    stream: (c) => reducer(respStream.initialState({ createdAt: seconds(c.createdAt), model: c.clientModel, toolNameMap: c.toolNameMap!, idBase: c.idBase, thinking: c.thinking === true }), respStream.reduce, respStream.finish, JSON.parse),
    translateError: respErr.translateError,
  },
  'anthropic->openai-chat': {
    translateRequest: (body, o) => ccReq.translateRequest(body as never, { model: o.upstreamModel }),
    translateResponse: (json, c) => ccRes.translateResponse(json as never, { model: c.clientModel }),
    stream: (c) => reducer(ccStream.initialState({ model: c.clientModel }), ccStream.reduce, ccStream.finish, parseChatFrame),
    translateError: ccErr.translateError,
  },
};
