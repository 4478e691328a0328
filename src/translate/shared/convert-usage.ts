/**
 * Usage between the protocols, through Synrouter's own `Usage` (meter/usage.ts) so every pair does the
 * same arithmetic. The one rule that matters (protocols.md §4.4, §5.4 vs §1.4): OpenAI's
 * `prompt_tokens` / `input_tokens` INCLUDE cached tokens; Anthropic's `input_tokens` does NOT
 * (Anthropic total input = input + cache_creation + cache_read).
 */
import { fromAnthropicUsage } from '../../meter/anthropic-usage.ts';
import { fromChatUsage } from '../../meter/openai-usage.ts';
import { totalInput, type Usage } from '../../meter/usage.ts';
import type { AnthropicUsage } from '../../protocols/anthropic/wire.ts';
import type { ChatUsage } from './wire-openai-chat.ts';
import type { ResponseUsage } from './wire-openai-responses.ts';

/**
 * protocols.md §1.5 metering rule: message_delta usage is cumulative and authoritative, so every
 * non-null field it carries overwrites what message_start said.
 */
export function mergeAnthropicUsage(into: AnthropicUsage, from: AnthropicUsage | null | undefined): AnthropicUsage {
  if (!from) return into;
  const out: AnthropicUsage = { ...into };
  for (const [k, v] of Object.entries(from)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/** Anthropic -> Chat Completions usage (§4.3 shape). `completion_tokens_details` only when Anthropic reported thinking tokens. */
export function chatUsageFromAnthropic(u: AnthropicUsage | null | undefined): ChatUsage {
  const m = fromAnthropicUsage(u);
  const prompt = totalInput(m);
  const out: ChatUsage = {
    prompt_tokens: prompt,
    completion_tokens: m.output,
    total_tokens: prompt + m.output,
    prompt_tokens_details: { cached_tokens: m.cacheRead, cache_write_tokens: m.cacheWrite5m + m.cacheWrite1h },
  };
  const thinking = u?.output_tokens_details?.thinking_tokens;
  if (typeof thinking === 'number') out.completion_tokens_details = { reasoning_tokens: thinking };
  return out;
}

/** Anthropic -> Responses usage (§5.4). `reasoning_tokens` is 0 unless Anthropic reported thinking tokens. */
export function responsesUsageFromAnthropic(u: AnthropicUsage | null | undefined): ResponseUsage {
  const m = fromAnthropicUsage(u);
  const input = totalInput(m);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: m.cacheRead, cache_write_tokens: m.cacheWrite5m + m.cacheWrite1h },
    output_tokens: m.output,
    output_tokens_details: { reasoning_tokens: u?.output_tokens_details?.thinking_tokens ?? 0 },
    total_tokens: input + m.output,
  };
}

/**
 * Chat Completions usage -> Usage is the meter's own `fromChatUsage` (meter/openai-usage.ts), so the
 * ledger and the translated body count cached tokens (DeepSeek's `prompt_cache_hit_tokens` included)
 * the same way. Its cache writes land in `cacheWrite5m`, which is only summed on the way to an Anthropic body.
 */
export const usageFromChat: (u: ChatUsage | null | undefined) => Usage = fromChatUsage;

/** The usage fields an Anthropic client reads (§1.4); `output_tokens_details` only when the provider reported reasoning tokens. */
export interface AnthropicUsageOut {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
  output_tokens_details?: { thinking_tokens: number };
}

export function anthropicUsageFromChat(u: ChatUsage | null | undefined): AnthropicUsageOut {
  const m = usageFromChat(u);
  const out: AnthropicUsageOut = {
    input_tokens: m.input,
    cache_creation_input_tokens: m.cacheWrite5m + m.cacheWrite1h,
    cache_read_input_tokens: m.cacheRead,
    output_tokens: m.output,
  };
  const reasoning = u?.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoning === 'number') out.output_tokens_details = { thinking_tokens: reasoning };
  return out;
}
