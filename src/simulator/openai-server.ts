// The OpenAI-compatible routes of the simulator: POST /v1/chat/completions and POST /v1/responses, as
// OpenAI and OpenRouter serve them. simulator.ts owns the HTTP server, the request log and body parsing,
// and hands these paths here. Any model id is accepted (`gpt-5.5`, `openai/gpt-5.5`,
// `deepseek/deepseek-v4-flash`, …).
//
// Per request: auth (Authorization: Bearer, or x-api-key) -> x-sim-fault status -> JSON -> validation
// (openai-chat.ts / openai-responses.ts) -> prompt (openai-prompt.ts) -> automatic prefix cache
// (openai-cache.ts) -> scripted reply (openai-script.ts) -> JSON or SSE. Errors use the OpenAI shape
// (openai-errors.ts). The usage is recorded on the request log entry.
//
// Test-only request headers (as on /v1/messages):
//   x-sim-rounds: N       tool rounds before the final answer
//   x-sim-parallel: N     tool calls per tool round (default 1; 1 when parallel_tool_calls is false)
//   x-sim-delta-ms: N     delay between SSE frames
//   x-sim-fault: status:<code> | reset-mid-stream | stall-mid-stream | error-mid-stream

import { pause } from './pause.ts';
import { apiKeyOf, intHeader } from './request-headers.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isObject, type JsonObject } from '../json/json-object.ts';
import type { Clock } from './clock.ts';
import {
  CHAT_SSE_DONE,
  buildChatChunks,
  buildChatCompletion,
  chatMaxTokens,
  chatToolChoice,
  chatTools,
  countChatToolCalls,
  countChatToolRounds,
  formatChatSse,
  lastChatToolOutput,
  validateChatRequest,
} from './openai-chat.ts';
import { OpenAICacheStore, commitOpenAICache, evaluateOpenAICache, openAICacheScope } from './openai-cache.ts';
import { errorForStatus, sendOpenAIError, sendOpenAIJson, type OpenAIErrorInfo } from './openai-errors.ts';
import { chatPrompt, responsesPrompt } from './openai-prompt.ts';
import {
  buildResponse,
  buildResponseOutput,
  buildResponsesEvents,
  countResponsesToolCalls,
  countResponsesToolRounds,
  formatResponsesSse,
  lastResponsesToolOutput,
  responsesMaxTokens,
  responsesToolChoice,
  responsesTools,
  validateResponsesRequest,
} from './openai-responses.ts';
import { DEFAULT_ROUNDS, parallelCalls, scriptOpenAIReply, type ScriptState } from './openai-script.ts';
import { chatUsage, responsesUsage, type SimulatorUsage } from './openai-usage.ts';

export type OpenAIRoute = 'chat' | 'responses' | 'not_found';

/** The OpenAI route of a request, or undefined if the path is not an OpenAI one. */
export function openAIRouteOf(method: string, pathname: string): OpenAIRoute | undefined {
  if (pathname === '/v1/chat/completions') return method === 'POST' ? 'chat' : 'not_found';
  if (pathname === '/v1/responses') return method === 'POST' ? 'responses' : 'not_found';
  if (pathname.startsWith('/v1/chat/') || pathname.startsWith('/v1/responses/')) return 'not_found';
  return undefined;
}

export interface OpenAIServerOptions {
  clock: Clock;
  apiKeys?: string[] | undefined;
  rounds?: number | undefined;
  /** Tool calls per tool round when x-sim-parallel is absent (default 1). */
  parallelToolCalls?: number | undefined;
  latencyMs?: number | undefined;
}

export interface OpenAIServer {
  options: OpenAIServerOptions;
  cache: OpenAICacheStore;
  counters: { completion: number; response: number };
}

export function createOpenAIServer(options: OpenAIServerOptions): OpenAIServer {
  return { options, cache: new OpenAICacheStore(), counters: { completion: 0, response: 0 } };
}

/** What the handler needs of simulator.ts's exchange (structurally the same object). */
export interface OpenAIExchange {
  req: IncomingMessage;
  res: ServerResponse;
  log: { method: string; path: string; status: number; usage?: SimulatorUsage; requestId: string; startMs: number; fault?: string };
  /** Aborted when the connection closes. */
  closed: AbortSignal;
  /** Set before the handler destroys the socket itself (reset fault), so the log does not say aborted. */
  selfDestroyed: boolean;
}

const STREAM_FAULTS = ['reset-mid-stream', 'stall-mid-stream', 'error-mid-stream'];

const MID_STREAM_ERROR = errorForStatus(500);

interface Prepared {
  /** The non-streaming body. */
  json: JsonObject;
  /** SSE frames, in order. */
  frames: string[];
  /** The frame that error-mid-stream ends the stream with. */
  errorFrame: string;
  stream: boolean;
}

export async function handleOpenAIRequest(
  server: OpenAIServer,
  x: OpenAIExchange,
  route: OpenAIRoute,
  parsed: unknown,
  parseError: string | undefined,
): Promise<void> {
  const { req, res, log } = x;
  const { options, cache } = server;
  const fail = (error: OpenAIErrorInfo): void => {
    log.status = error.status;
    sendOpenAIError(res, error, log.requestId);
  };
  const err = (status: number, message: string, code: string | null = null): OpenAIErrorInfo => ({
    status,
    message,
    type: 'invalid_request_error',
    param: null,
    code,
  });

  if (route === 'not_found') return fail(err(404, `Invalid URL (${log.method} ${log.path})`));
  const apiKey = apiKeyOf(req);
  if (apiKey === undefined) {
    return fail(
      err(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      ),
    );
  }
  if (options.apiKeys !== undefined && !options.apiKeys.includes(apiKey)) {
    return fail(err(401, `Incorrect API key provided: ${apiKey.slice(0, 3)}***${apiKey.slice(-4)}.`, 'invalid_api_key'));
  }
  const fault = log.fault;
  const statusFault = fault === undefined ? undefined : /^status:(\d{3})$/.exec(fault)?.[1];
  if (statusFault !== undefined) return fail(errorForStatus(Number(statusFault)));
  if (fault !== undefined && !STREAM_FAULTS.includes(fault)) return fail(err(400, `x-sim-fault: unknown value '${fault}'`));
  if (parseError !== undefined || parsed === undefined) {
    return fail(
      err(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      ),
    );
  }

  const validation = route === 'chat' ? validateChatRequest(parsed) : validateResponsesRequest(parsed);
  if (!validation.ok) return fail(validation.error);
  const { body } = validation;
  const model = String(body.model);
  const prompt = route === 'chat' ? chatPrompt(body) : responsesPrompt(body);
  const promptCacheKey = typeof body.prompt_cache_key === 'string' ? body.prompt_cache_key : undefined;
  const plan = evaluateOpenAICache(cache, { scope: openAICacheScope(apiKey, model, promptCacheKey, prompt), prompt, startMs: log.startMs });

  const state: ScriptState =
    route === 'chat'
      ? {
          tools: chatTools(body),
          toolChoice: chatToolChoice(body.tool_choice),
          roundsDone: countChatToolRounds(body),
          callsSoFar: countChatToolCalls(body),
          lastToolOutput: lastChatToolOutput(body),
          parallel: parallelCalls(intHeader(req, 'x-sim-parallel') ?? options.parallelToolCalls, body.parallel_tool_calls),
          maxOutputTokens: chatMaxTokens(body),
        }
      : {
          tools: responsesTools(body),
          toolChoice: responsesToolChoice(body.tool_choice),
          roundsDone: countResponsesToolRounds(body),
          callsSoFar: countResponsesToolCalls(body),
          lastToolOutput: lastResponsesToolOutput(body),
          parallel: parallelCalls(intHeader(req, 'x-sim-parallel') ?? options.parallelToolCalls, body.parallel_tool_calls),
          maxOutputTokens: responsesMaxTokens(body),
        };
  const reply = scriptOpenAIReply(state, intHeader(req, 'x-sim-rounds') ?? options.rounds ?? DEFAULT_ROUNDS);
  const createdSeconds = Math.floor(options.clock.now() / 1000);

  let prepared: Prepared;
  if (route === 'chat') {
    const usage = chatUsage(prompt.totalTokens, plan.cachedTokens, reply.outputTokens);
    log.usage = usage;
    const meta = { id: `chatcmpl-sim-${++server.counters.completion}`, created: createdSeconds, model };
    const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
    prepared = {
      json: buildChatCompletion(meta, reply, usage),
      frames: [...buildChatChunks(meta, reply, usage, includeUsage).map(formatChatSse), CHAT_SSE_DONE],
      errorFrame: formatChatSse({ error: { message: MID_STREAM_ERROR.message, type: MID_STREAM_ERROR.type, param: null, code: MID_STREAM_ERROR.code } }),
      stream: body.stream === true,
    };
  } else {
    const usage = responsesUsage(prompt.totalTokens, plan.cachedTokens, reply.outputTokens);
    log.usage = usage;
    const n = ++server.counters.response;
    const meta = { id: `resp_sim_${n}`, createdAt: createdSeconds, messageId: `msg_sim_${n}` };
    const status = reply.finish === 'length' ? 'incomplete' : 'completed';
    const final = buildResponse(meta, body, { status, output: buildResponseOutput(meta, reply), usage });
    const events = buildResponsesEvents(meta, body, final);
    prepared = {
      json: final,
      frames: events.map(formatResponsesSse),
      errorFrame: formatResponsesSse({
        type: 'error',
        sequence_number: 1,
        code: MID_STREAM_ERROR.code,
        message: MID_STREAM_ERROR.message,
        param: null,
      }),
      stream: body.stream === true,
    };
  }

  // The client left before the response began: no cache writes (they happen in commitOpenAICache).
  if (!(await pause(options.latencyMs ?? 0, x.closed))) return;

  if (!prepared.stream) {
    if (fault === undefined) {
      log.status = 200;
      sendOpenAIJson(res, 200, prepared.json, log.requestId);
      commitOpenAICache(cache, plan);
      return;
    }
    // Faults on a non-streaming response: head plus half a body, then reset / stall.
    log.status = 200;
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': log.requestId });
    commitOpenAICache(cache, plan);
    const text = JSON.stringify(prepared.json);
    res.write(text.slice(0, Math.floor(text.length / 2)));
    if (fault === 'reset-mid-stream' || fault === 'error-mid-stream') {
      x.selfDestroyed = true;
      res.destroy();
    }
    return; // stall: nothing more until the client goes away
  }

  log.status = 200;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': log.requestId,
  });
  res.flushHeaders();
  commitOpenAICache(cache, plan);
  const deltaMs = intHeader(req, 'x-sim-delta-ms') ?? 0;
  for (const [i, frame] of prepared.frames.entries()) {
    if (i > 0 && !(await pause(deltaMs, x.closed))) return;
    if (res.destroyed) return;
    // Faults strike after the first frame (chat: the role chunk; responses: response.created), as on /v1/messages.
    if (fault !== undefined && i === 0) {
      if (fault === 'reset-mid-stream') {
        // Cut the connection once the frame is out, so the client reliably sees it before the cut.
        x.selfDestroyed = true;
        res.write(frame, () => res.destroy());
      } else if (fault === 'error-mid-stream') {
        res.write(frame);
        res.end(prepared.errorFrame);
      } else {
        res.write(frame);
      }
      return; // stall: nothing more until the client goes away
    }
    res.write(frame);
  }
  res.end();
}
