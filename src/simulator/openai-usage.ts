// Usage objects of the OpenAI-compatible endpoints (protocols.md 4.4, 5.4) and the union the request log
// stores. OpenAI counts cached tokens INSIDE the prompt/input total (the opposite of Anthropic).

import type { MessageUsage } from '../protocols/anthropic/wire.ts';

/** Chat Completions `usage` (CompletionUsage). */
export interface ChatUsage {
  /** All prompt tokens, cached ones included. */
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

/** Responses API `usage` (ResponseUsage). */
export interface ResponsesUsage {
  /** All input tokens, cached ones included. */
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export function chatUsage(promptTokens: number, cachedTokens: number, completionTokens: number): ChatUsage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: cachedTokens, cache_write_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

export function responsesUsage(inputTokens: number, cachedTokens: number, outputTokens: number): ResponsesUsage {
  return {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: cachedTokens },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  };
}

type AllKeys<U> = U extends unknown ? keyof U : never;
/** Each member of U, with the keys only other members have declared absent, so reads on the union type-check. */
type Exclusive<U, All = U> = U extends unknown ? U & { [K in Exclude<AllKeys<All>, keyof U>]?: never } : never;

/**
 * What `SimulatorRequestLog.usage` holds: Anthropic usage for /v1/messages, ChatUsage for
 * /v1/chat/completions, ResponsesUsage for /v1/responses. Reading a field of another shape gives
 * undefined; narrow with the accessors below.
 */
export type SimulatorUsage = Exclusive<MessageUsage | ChatUsage | ResponsesUsage>;

interface HasUsage {
  usage?: SimulatorUsage | undefined;
}

export function anthropicUsageOf(log: HasUsage): MessageUsage | undefined {
  const u = log.usage;
  return u !== undefined && u.cache_read_input_tokens !== undefined ? (u as MessageUsage) : undefined;
}

export function chatUsageOf(log: HasUsage): ChatUsage | undefined {
  const u = log.usage;
  return u !== undefined && u.prompt_tokens !== undefined ? (u as ChatUsage) : undefined;
}

export function responsesUsageOf(log: HasUsage): ResponsesUsage | undefined {
  const u = log.usage;
  return u !== undefined && u.input_tokens_details !== undefined ? (u as ResponsesUsage) : undefined;
}
