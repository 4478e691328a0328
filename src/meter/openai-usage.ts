/**
 * OpenAI-format usage -> Usage. OpenAI's prompt/input tokens INCLUDE cached tokens, Anthropic's
 * input_tokens do not (protocols.md §4.4, §5.4): uncached = prompt - cached - cache_write.
 * OpenRouter adds `cost` in USD (§6.4), which beats any price table.
 */
import { SseParser } from '../sse/sse-parser.ts';
import type { Usage } from './usage.ts';

export interface ChatUsage {
  prompt_tokens?: number; completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
  /** DeepSeek's own name for cached prompt tokens (protocols.md §7); included in prompt_tokens like cached_tokens. */
  prompt_cache_hit_tokens?: number | null;
  cost?: number;
}
export interface ResponsesUsage {
  input_tokens?: number; output_tokens?: number;
  input_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
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

export function fromResponsesUsage(u: ResponsesUsage | null | undefined): Usage {
  const cached = u?.input_tokens_details?.cached_tokens ?? 0;
  const written = u?.input_tokens_details?.cache_write_tokens ?? 0;
  return { input: Math.max(0, (u?.input_tokens ?? 0) - cached - written), cacheRead: cached, cacheWrite5m: written, cacheWrite1h: 0, output: u?.output_tokens ?? 0 };
}

export interface OpenAIStreamSummary { usage: Usage | null; model: string | null; providerCost: number | null; error: string | null; completed: boolean }

/** Follows an OpenAI chat or Responses SSE stream on the side, for its usage. */
export class OpenAIStreamWatcher {
  readonly #parser = new SseParser();
  readonly #kind: 'chat' | 'responses';
  #s: OpenAIStreamSummary = { usage: null, model: null, providerCost: null, error: null, completed: false };
  #finished = false;

  constructor(kind: 'chat' | 'responses') {
    this.#kind = kind;
  }

  push(chunk: Uint8Array): void {
    for (const f of this.#parser.push(chunk)) this.#onData(f.data);
  }

  #onData(data: string): void {
    if (data === '[DONE]') { this.#s.completed = true; return; }
    let ev: Record<string, any>;
    try { ev = JSON.parse(data); } catch { return; }
    if (this.#kind === 'chat') {
      if (ev.model) this.#s.model = ev.model;
      if (ev.usage) { this.#s.usage = fromChatUsage(ev.usage); this.#s.providerCost = typeof ev.usage.cost === 'number' ? ev.usage.cost : null; }
      if (ev.error) this.#s.error = String(ev.error.message ?? 'error');
      // Some compatible providers end without `[DONE]`: the stream is complete once it has finished and
      // given its usage (always asked for on the pass-through: by the client, or by Synrouter for it),
      // which comes after the finish_reason chunk; a stream cut between the two is cut.
      if (Array.isArray(ev.choices) && ev.choices.some((c: { finish_reason?: unknown }) => c?.finish_reason)) this.#finished = true;
      if (this.#finished && this.#s.usage) this.#s.completed = true;
      return;
    }
    const r = ev.response;
    if (r?.model) this.#s.model = r.model;
    if (ev.type === 'response.completed' || ev.type === 'response.incomplete' || ev.type === 'response.failed') {
      this.#s.completed = ev.type !== 'response.failed';
      if (r?.usage) { this.#s.usage = fromResponsesUsage(r.usage); this.#s.providerCost = typeof r.usage.cost === 'number' ? r.usage.cost : null; }
      if (ev.type === 'response.failed') this.#s.error = String(r?.error?.message ?? 'response failed');
    }
    if (ev.type === 'error') this.#s.error = String(ev.message ?? 'error');
  }

  /** What has been metered so far, mid-stream (summary() ends the parser): the ledger's open row of a long stream. */
  soFar(): { usage: Usage | null; model: string | null } {
    return { usage: this.#s.usage, model: this.#s.model };
  }

  summary(): OpenAIStreamSummary {
    for (const f of this.#parser.end()) this.#onData(f.data);
    return this.#s;
  }
}
