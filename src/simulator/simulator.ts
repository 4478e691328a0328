// An Anthropic-compatible simulated upstream: the project's stand-in for api.anthropic.com in tests.
// It enforces the real request and caching rules (validate-request.ts, protocols/anthropic/cache-model.ts), answers with
// scripted replies (script.ts) as JSON or SSE (write-response.ts), and logs every request.
// It also serves the OpenAI-compatible POST /v1/chat/completions and POST /v1/responses, with OpenAI's
// automatic prefix caching (openai-server.ts and the openai-*.ts modules).
//
// Test-only request headers:
//   x-sim-rounds: N        tool rounds before the final answer (default: options.rounds, else 3)
//   x-sim-parallel: N      OpenAI routes only: tool calls per tool round (default: options.parallelToolCalls, else 1)
//   x-sim-thinking: every-reply | turn-start | never   when the model thinks with adaptive thinking on (thinking.ts; default: options.thinking)
//   x-sim-delta-ms: N      delay between SSE events
//   x-sim-fault: status:<code> | reset-mid-stream | stall-mid-stream | error-mid-stream | end-mid-stream (clean close, no message_stop)

import { pause } from './pause.ts';
import { apiKeyOf, headerValue, intHeader } from './request-headers.ts';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CacheStore,
  abandonCachePlan,
  evaluateCache,
  markResponseBegun,
} from '../protocols/anthropic/cache-model.ts';
import { systemClock, type Clock } from './clock.ts';
import { MODELS } from './models.ts';
import { modelFacts } from '../route/model-facts.ts';
import { DEFAULT_ROUNDS, scriptReply, type ScriptedReply } from './script.ts';
import { THINKING_MODES, type ThinkingMode } from './thinking.ts';
import type { MessageUsage } from '../protocols/anthropic/wire.ts';
import { validateRequest, type Endpoint } from './validate-request.ts';
import type { OpenAICacheStore } from './openai-cache.ts';
import { errorForStatus as openAIErrorForStatus, sendOpenAIError } from './openai-errors.ts';
import { createOpenAIServer, handleOpenAIRequest, openAIRouteOf } from './openai-server.ts';
import type { SimulatorUsage } from './openai-usage.ts';
import {
  buildSseEvents,
  defaultErrorMessage,
  errorTypeForStatus,
  formatSse,
  sendError,
  sendJson,
  type AnthropicMessage,
} from './write-response.ts';

export { ManualClock, systemClock, type Clock } from './clock.ts';
export { countTokens } from './count-tokens.ts';
export {
  CacheStore,
  LOOKBACK_POSITIONS,
  TTL_MS,
  applyCachePlan,
  computeCacheUsage,
  evaluateCache,
  markResponseBegun,
  planCache,
  resolveBreakpoints,
  type Breakpoint,
  type CachePlan,
  type CacheRequest,
} from '../protocols/anthropic/cache-model.ts';
export { MODELS, minCacheableTokens } from './models.ts';
export { buildPrompt, type Prompt, type PromptPosition } from '../protocols/anthropic/prompt.ts';
export { validateRequest, type ValidationResult } from './validate-request.ts';
export type { MessageUsage, MessagesRequest } from '../protocols/anthropic/wire.ts';
export {
  OPENAI_CACHE_INCREMENT_TOKENS,
  OPENAI_CACHE_MIN_TOKENS,
  OPENAI_CACHE_TTL_MS,
  OpenAICacheStore,
  cachedTokensFor,
  commitOpenAICache,
  evaluateOpenAICache,
  openAICacheScope,
  planOpenAICache,
  type OpenAICachePlan,
} from './openai-cache.ts';
export { chatPrompt, responsesPrompt, type OpenAIPrompt, type PromptUnit } from './openai-prompt.ts';
export { validateChatRequest } from './openai-chat.ts';
export { validateResponsesRequest } from './openai-responses.ts';
export {
  anthropicUsageOf,
  chatUsageOf,
  responsesUsageOf,
  type ChatUsage,
  type ResponsesUsage,
  type SimulatorUsage,
} from './openai-usage.ts';

export interface SimulatorOptions {
  /** Default systemClock. */
  clock?: Clock;
  /** If set, only these keys are accepted (x-api-key or Authorization: Bearer); else any non-empty key. */
  apiKeys?: string[];
  /** Tool rounds before the final answer (default 3); header x-sim-rounds overrides per request. */
  rounds?: number;
  /** Delay before the first byte of a /v1/messages, /v1/chat/completions or /v1/responses response (default 0). */
  latencyMs?: number;
  /** OpenAI routes: tool calls per tool round (default 1); header x-sim-parallel overrides per request. */
  parallelToolCalls?: number;
  /** When the model thinks with adaptive thinking on (thinking.ts ThinkingMode, default 'every-reply'); header x-sim-thinking overrides per request. */
  thinking?: ThinkingMode;
  /** Reject requests without an `anthropic-version` header, as the real API does (default false). */
  requireAnthropicVersion?: boolean;
}

export interface SimulatorRequestLog {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Raw request URL, query included. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, the raw text if it was not JSON, undefined if empty. */
  body: unknown;
  /** Status answered; 0 until the response head is written. */
  status: number;
  /** Anthropic usage (/v1/messages), ChatUsage (/v1/chat/completions) or ResponsesUsage (/v1/responses); see chatUsageOf etc. */
  usage?: SimulatorUsage;
  requestId: string;
  /** Clock time at arrival. */
  startMs: number;
  /** The client went away before the response was complete. */
  aborted?: boolean;
  /** Value of x-sim-fault, if any. */
  fault?: string;
}

export interface Simulator {
  /** e.g. http://127.0.0.1:PORT (no trailing slash, no /v1). */
  url: string;
  clock: Clock;
  /** Every request received, in arrival order. */
  requests: SimulatorRequestLog[];
  /** The prompt cache of this upstream, for inspection. */
  cache: CacheStore;
  /** The automatic prefix cache of the OpenAI-compatible routes, for inspection. */
  openaiCache: OpenAICacheStore;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024; // protocols.md 1.6 (413)

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  log: SimulatorRequestLog;
  startTick: number;
  /** Aborted when the connection closes. */
  closed: AbortSignal;
  /** Set before the simulator destroys the socket itself (reset fault). */
  selfDestroyed: boolean;
}

export async function startSimulator(opts: SimulatorOptions & { port?: number; host?: string } = {}): Promise<Simulator> {
  const clock = opts.clock ?? systemClock;
  const host = opts.host ?? '127.0.0.1';
  const cache = new CacheStore();
  const requests: SimulatorRequestLog[] = [];
  const openai = createOpenAIServer({
    clock,
    apiKeys: opts.apiKeys,
    rounds: opts.rounds,
    parallelToolCalls: opts.parallelToolCalls,
    latencyMs: opts.latencyMs,
  });
  let requestCounter = 0;
  let messageCounter = 0;

  const fail = (x: Exchange, status: number, type: string, message: string): void => {
    x.log.status = status;
    sendError(x.res, status, type, message, x.log.requestId);
  };

  const json = (x: Exchange, body: unknown): void => {
    x.log.status = 200;
    sendJson(x.res, 200, body, x.log.requestId);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const requestId = `req_sim_${String(++requestCounter).padStart(8, '0')}`;
    const fault = headerValue(req, 'x-sim-fault');
    const log: SimulatorRequestLog = {
      method: req.method ?? 'GET',
      path: url.pathname,
      url: req.url ?? '/',
      headers: { ...req.headers },
      body: undefined,
      status: 0,
      requestId,
      startMs: clock.now(),
      ...(fault === undefined ? {} : { fault }),
    };
    requests.push(log);
    const controller = new AbortController();
    const x: Exchange = { req, res, log, startTick: cache.currentTick(), closed: controller.signal, selfDestroyed: false };
    res.on('close', () => {
      if (!res.writableFinished && !x.selfDestroyed) log.aborted = true;
      controller.abort();
    });

    const openaiRoute = openAIRouteOf(log.method, url.pathname);
    const text = await readBody(req);
    if (text === null) {
      if (res.headersSent || res.destroyed) return;
      if (openaiRoute === undefined) return fail(x, 413, 'request_too_large', defaultErrorMessage('request_too_large'));
      log.status = 413;
      sendOpenAIError(res, openAIErrorForStatus(413), requestId);
      return;
    }
    let parsed: unknown;
    let parseError: string | undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        parsed = text;
        parseError = error instanceof Error ? error.message : String(error);
      }
    }
    log.body = parsed;
    if (openaiRoute !== undefined) return handleOpenAIRequest(openai, x, openaiRoute, parsed, parseError);

    const route = `${log.method} ${url.pathname}`;
    const modelMatch = /^\/v1\/models\/([^/]+)$/.exec(url.pathname);
    const known =
      route === 'POST /v1/messages' ||
      route === 'POST /v1/messages/count_tokens' ||
      route === 'GET /v1/models' ||
      (log.method === 'GET' && modelMatch !== null);
    if (!known) return fail(x, 404, 'not_found_error', `Not found: ${log.method} ${url.pathname}`);

    const apiKey = apiKeyOf(req);
    if (apiKey === undefined) return fail(x, 401, 'authentication_error', 'x-api-key header is required');
    if (opts.apiKeys !== undefined && !opts.apiKeys.includes(apiKey)) {
      return fail(x, 401, 'authentication_error', 'invalid x-api-key');
    }
    if (opts.requireAnthropicVersion === true && headerValue(req, 'anthropic-version') === undefined) {
      return fail(x, 400, 'invalid_request_error', 'anthropic-version: header is required');
    }

    const statusFault = fault === undefined ? undefined : /^status:(\d{3})$/.exec(fault)?.[1];
    if (statusFault !== undefined) {
      const status = Number(statusFault);
      const type = errorTypeForStatus(status);
      return fail(x, status, type, defaultErrorMessage(type));
    }
    if (fault !== undefined && !['reset-mid-stream', 'stall-mid-stream', 'error-mid-stream', 'end-mid-stream'].includes(fault)) {
      return fail(x, 400, 'invalid_request_error', `x-sim-fault: unknown value '${fault}'`);
    }

    if (log.method === 'GET') return listModels(x, url, modelMatch?.[1]);

    if (parseError !== undefined || parsed === undefined) {
      return fail(x, 400, 'invalid_request_error', `There was an issue with your request body: invalid JSON (${parseError ?? 'empty body'})`);
    }
    const endpoint: Endpoint = url.pathname === '/v1/messages' ? 'messages' : 'count_tokens';
    const thinkingHeader = headerValue(req, 'x-sim-thinking');
    if (thinkingHeader !== undefined && !(THINKING_MODES as readonly string[]).includes(thinkingHeader)) {
      return fail(x, 400, 'invalid_request_error', `x-sim-thinking: unknown value '${thinkingHeader}'`);
    }
    const thinking = (thinkingHeader as ThinkingMode | undefined) ?? opts.thinking ?? 'every-reply';
    const result = validateRequest(parsed, endpoint, { thinking });
    if (!result.ok) return fail(x, result.status, result.type, result.message);
    if (endpoint === 'count_tokens') return json(x, { input_tokens: result.prompt.totalTokens });

    const { request, prompt } = result;
    const fastError = fastModeError(request as { model: string; speed?: unknown }, headerValue(req, 'anthropic-beta'));
    if (fastError) return fail(x, 400, 'invalid_request_error', fastError);
    const plan = evaluateCache(cache, {
      scope: `${apiKey}\u0000${request.model}`,
      model: request.model,
      prompt,
      startMs: log.startMs,
      startTick: x.startTick,
    });
    const rounds = intHeader(req, 'x-sim-rounds') ?? opts.rounds ?? DEFAULT_ROUNDS;
    // max_tokens: 0 pre-warms the cache and returns at once (protocols.md 2.10).
    const reply: ScriptedReply =
      request.max_tokens === 0 ? { content: [], stop_reason: 'max_tokens', output_tokens: 0 } : scriptReply(request, rounds, thinking);
    const usage: MessageUsage = { ...plan.usage, output_tokens: reply.output_tokens, service_tier: 'standard' };
    log.usage = usage;
    const message: AnthropicMessage = {
      id: `msg_sim_${++messageCounter}`,
      type: 'message',
      role: 'assistant',
      model: request.model,
      content: reply.content,
      stop_reason: reply.stop_reason,
      stop_sequence: null,
      usage,
    };

    if (!(await pause(opts.latencyMs ?? 0, x.closed))) {
      abandonCachePlan(cache, plan); // the client left before the response began
      return;
    }

    if (request.stream !== true) {
      if (fault === undefined) {
        json(x, message);
        markResponseBegun(cache, plan, clock.now());
        return;
      }
      // Faults on a non-streaming response: head plus half a body, then reset / stall / error.
      x.log.status = 200;
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
      markResponseBegun(cache, plan, clock.now());
      const body = JSON.stringify(message);
      res.write(body.slice(0, Math.floor(body.length / 2)));
      if (fault === 'reset-mid-stream' || fault === 'error-mid-stream') {
        x.selfDestroyed = true;
        res.destroy();
      } else if (fault === 'end-mid-stream') res.end();
      return; // stall: nothing more until the client goes away
    }

    x.log.status = 200;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'request-id': requestId,
    });
    res.flushHeaders();
    markResponseBegun(cache, plan, clock.now());
    const deltaMs = intHeader(req, 'x-sim-delta-ms') ?? 0;
    const events = buildSseEvents(message);
    for (const [i, event] of events.entries()) {
      if (i > 0 && !(await pause(deltaMs, x.closed))) return;
      if (res.destroyed) return;
      res.write(formatSse(event));
      if (i === 0 && fault !== undefined) {
        if (fault === 'reset-mid-stream') {
          x.selfDestroyed = true;
          res.destroy();
        } else if (fault === 'error-mid-stream') {
          // An error event after a 200 status (protocols.md 1.5).
          res.end(
            formatSse({
              event: 'error',
              data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
            }),
          );
        } else if (fault === 'end-mid-stream') res.end(); // a clean close that never says message_stop

        return; // stall: nothing more until the client goes away
      }
    }
    res.end();
  }

  function listModels(x: Exchange, url: URL, id: string | undefined): void {
    if (id !== undefined) {
      const found = MODELS.find((m) => m.id === decodeURIComponent(id));
      if (found === undefined) return fail(x, 404, 'not_found_error', `model: ${decodeURIComponent(id)}`);
      return json(x, { type: 'model', ...found });
    }
    let list = MODELS.map((m) => ({ type: 'model', ...m }));
    const after = url.searchParams.get('after_id');
    const before = url.searchParams.get('before_id');
    if (after !== null) list = list.slice(list.findIndex((m) => m.id === after) + 1);
    if (before !== null) {
      const end = list.findIndex((m) => m.id === before);
      if (end >= 0) list = list.slice(0, end);
    }
    const limit = Math.max(1, Math.min(1000, Number(url.searchParams.get('limit') ?? 20) || 20));
    const page = before !== null ? list.slice(-limit) : list.slice(0, limit);
    json(x, {
      data: page,
      has_more: page.length < list.length,
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null,
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        sendError(res, 500, 'api_error', `simulator error: ${String(error)}`, 'req_sim_error');
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    clock,
    requests,
    cache,
    openaiCache: openai.cache,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The body as text, or null if it is larger than MAX_BODY_BYTES. Rejects if the client goes away. */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Fast mode (`speed: "fast"`): on Anthropic (bare ids) a research preview behind the
 * `fast-mode-2026-02-01` beta; OpenRouter (`anthropic/…` ids, which this endpoint also plays) takes
 * it on the regular id without one. Opus 4.7 rejects fast mode (protocols.md §3.2; the registry's
 * `fastMode: "error"`, route/model-facts.ts). The wording of
 * Anthropic's error for these cases is not in the reference: these messages are the simulator's own.
 */
function fastModeError(request: { model: string; speed?: unknown }, betas: string | undefined): string | undefined {
  if (request.speed === undefined || request.speed === 'standard') return undefined;
  if (request.speed !== 'fast') return `speed: Input should be 'standard' or 'fast'`;
  if (modelFacts(request.model).fastMode === 'error') return `speed: fast mode is not supported for ${request.model}`;
  const onAnthropic = !request.model.startsWith('anthropic/');
  if (onAnthropic && !(betas ?? '').split(',').map((b) => b.trim()).includes('fast-mode-2026-02-01')) {
    return 'speed: fast mode requires the anthropic-beta header fast-mode-2026-02-01';
  }
  return undefined;
}
