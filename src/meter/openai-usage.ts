/**
 * OpenAI-format usage -> Usage, and the meters of chat completions and Responses answers.
 * OpenAI's prompt/input tokens INCLUDE cached tokens, Anthropic's input_tokens do not
 * (protocols.md §4.4, §5.4): uncached = prompt - cached - cache_write. OpenRouter adds `cost` in USD
 * (§6.4), which beats any price table.
 */
import { DONE, type ChatStreamEvent } from '../protocols/openai/chat-stream.ts';
import type { ChatCompletionChunk } from '../translate/shared/wire-openai-chat.ts';
import type { ResponseStreamEvent, ResponsesUsageIn } from '../translate/shared/wire-openai-responses.ts';
import type { SseFrame } from '../sse/sse-parser.ts';
import type { AnswerMeter, Metered } from './answer-meter.ts';
import type { Usage } from './usage.ts';

/** Chat usage as an upstream may send it: every field optional. */
export interface ChatUsage {
  prompt_tokens?: number; completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
  /** DeepSeek's own name for cached prompt tokens (protocols.md §7); included in prompt_tokens like cached_tokens. */
  prompt_cache_hit_tokens?: number | null;
  cost?: number;
}

/**
 * Chat Completions usage -> Usage, for the meter and for the translators (translate/shared/convert-usage.ts)
 * alike. Uncached = prompt - cached - cache_write (protocols.md §4.4, §8.7), floored at 0 so a provider
 * that double-reports never yields a negative count. Cached tokens are OpenAI's
 * `prompt_tokens_details.cached_tokens` or DeepSeek's `prompt_cache_hit_tokens`, whichever is larger
 * (a provider that sends both reports the same number; one that sends a 0 placeholder in the OpenAI
 * field still has its hits counted). OpenAI cache writes have no 5m/1h split (their TTL is 30m,
 * §5.5); they are put in `cacheWrite5m`.
 */
export function fromChatUsage(u: ChatUsage | null | undefined): Usage {
  const cached = Math.max(u?.prompt_tokens_details?.cached_tokens ?? 0, u?.prompt_cache_hit_tokens ?? 0);
  const written = u?.prompt_tokens_details?.cache_write_tokens ?? 0;
  return { input: Math.max(0, (u?.prompt_tokens ?? 0) - cached - written), cacheRead: cached, cacheWrite5m: written, cacheWrite1h: 0, output: u?.completion_tokens ?? 0 };
}

export function fromResponsesUsage(u: ResponsesUsageIn | null | undefined): Usage {
  const cached = u?.input_tokens_details?.cached_tokens ?? 0;
  const written = u?.input_tokens_details?.cache_write_tokens ?? 0;
  return { input: Math.max(0, (u?.input_tokens ?? 0) - cached - written), cacheRead: cached, cacheWrite5m: written, cacheWrite1h: 0, output: u?.output_tokens ?? 0 };
}

/** OpenRouter's `usage.cost` (protocols.md §6.4), when the usage has one. */
const costOf = (u: unknown): number | null => {
  const cost = (u as { cost?: unknown } | null | undefined)?.cost;
  return typeof cost === 'number' ? cost : null;
};

interface State { usage: Usage | null; model: string | null; providerCostUsd: number | null; error: string | null; completed: boolean }
const initial = (): State => ({ usage: null, model: null, providerCostUsd: null, error: null, completed: false });

function result(s: State): Metered {
  return { usage: s.usage, model: s.model, providerCostUsd: s.providerCostUsd, completed: s.completed, error: s.error === null ? null : { code: 'UPSTREAM_STREAM_ERROR', message: s.error } };
}

/** Every frame of an OpenAI stream may carry what the meter reads: none is passed over unread. */
const READS_ALL = { unread: [] as const, reads: (_f: SseFrame) => true };

/** The meter of a chat completions answer. */
export class ChatMeter implements AnswerMeter<ChatStreamEvent> {
  readonly unread = READS_ALL.unread;
  readonly reads = READS_ALL.reads;
  readonly #s = initial();
  #finished = false;

  parse(data: string): ChatStreamEvent {
    return data === DONE ? DONE : (JSON.parse(data) as ChatStreamEvent);
  }

  event(ev: ChatStreamEvent): void {
    const s = this.#s;
    if (ev === DONE) { s.completed = true; return; }
    if (!ev || typeof ev !== 'object') return;
    if ('error' in ev && ev.error) { s.error = String((ev.error as { message?: unknown }).message ?? 'error'); return; }
    const chunk = ev as ChatCompletionChunk;
    if (chunk.model) s.model = chunk.model;
    if (chunk.usage) { s.usage = fromChatUsage(chunk.usage); s.providerCostUsd = costOf(chunk.usage); }
    // Some compatible providers end without `[DONE]`: the stream is complete once it has finished and
    // given its usage (always asked for on the pass-through: by the client, or by Synrouter for it),
    // which comes after the finish_reason chunk; a stream cut between the two is cut.
    if (Array.isArray(chunk.choices) && chunk.choices.some((c) => c?.finish_reason)) this.#finished = true;
    if (this.#finished && s.usage) s.completed = true;
  }

  body(json: unknown): void {
    const j = json as { model?: string; usage?: ChatUsage } | undefined;
    this.#s.usage = fromChatUsage(j?.usage);
    this.#s.model = j?.model ?? null;
    this.#s.providerCostUsd = costOf(j?.usage);
  }

  settled(): boolean {
    return this.#s.completed || this.#s.error !== null;
  }

  soFar(): { usage: Usage | null; model: string | null } {
    return { usage: this.#s.usage, model: this.#s.model };
  }

  result(): Metered {
    return result(this.#s);
  }
}

/** One Responses event into the meter's state: the reducer, exhaustive over the documented event types. */
export function meterResponsesEvent(s: State, ev: ResponseStreamEvent): void {
  switch (ev.type) {
    case 'response.completed':
    case 'response.incomplete':
    case 'response.failed': {
      const r = ev.response;
      if (r?.model) s.model = r.model;
      s.completed = ev.type !== 'response.failed';
      if (r?.usage) { s.usage = fromResponsesUsage(r.usage); s.providerCostUsd = costOf(r.usage); }
      if (ev.type === 'response.failed') s.error = String(r?.error?.message ?? 'response failed');
      break;
    }
    case 'response.created':
    case 'response.queued':
    case 'response.in_progress':
      if (ev.response?.model) s.model = ev.response.model;
      break;
    case 'error':
      s.error = String(ev.message ?? 'error');
      break;
    case 'response.output_item.added': case 'response.output_item.done':
    case 'response.content_part.added': case 'response.content_part.done':
    case 'response.output_text.delta': case 'response.output_text.done': case 'response.output_text.annotation.added':
    case 'response.refusal.delta': case 'response.refusal.done':
    case 'response.function_call_arguments.delta': case 'response.function_call_arguments.done':
    case 'response.custom_tool_call_input.delta': case 'response.custom_tool_call_input.done':
    case 'response.reasoning_summary_part.added': case 'response.reasoning_summary_part.done':
    case 'response.reasoning_summary_text.delta': case 'response.reasoning_summary_text.done':
    case 'response.reasoning_text.delta': case 'response.reasoning_text.done':
      break;
    default: {
      // New event types appear (§5.3): ignored, but the switch stays exhaustive for known ones.
      const _exhaustive: never = ev;
      void _exhaustive;
    }
  }
}

/** The meter of a Responses answer. */
export class ResponsesMeter implements AnswerMeter<ResponseStreamEvent> {
  readonly unread = READS_ALL.unread;
  readonly reads = READS_ALL.reads;
  readonly #s = initial();

  parse(data: string): ResponseStreamEvent {
    return JSON.parse(data) as ResponseStreamEvent;
  }

  event(ev: ResponseStreamEvent): void {
    if (ev && typeof ev === 'object' && typeof ev.type === 'string') meterResponsesEvent(this.#s, ev);
  }

  body(json: unknown): void {
    const j = json as { model?: string; usage?: ResponsesUsageIn } | undefined;
    this.#s.usage = fromResponsesUsage(j?.usage);
    this.#s.model = j?.model ?? null;
    this.#s.providerCostUsd = costOf(j?.usage);
  }

  settled(): boolean {
    return this.#s.completed || this.#s.error !== null;
  }

  soFar(): { usage: Usage | null; model: string | null } {
    return { usage: this.#s.usage, model: this.#s.model };
  }

  result(): Metered {
    return result(this.#s);
  }
}
