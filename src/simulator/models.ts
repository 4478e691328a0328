// Claude model table: the ids the simulator lists on GET /v1/models (protocols.md 1.8, 3.3). The rules
// each model plays by (thinking, forced tool use, minimum cacheable prompt) are the registry's facts
// (src/route/model-facts.ts), read by id in any spelling. Any other id starting with `claude-` is
// accepted and plays by UNKNOWN_CLAUDE.

export interface ModelInfo {
  id: string;
  display_name: string;
  created_at: string;
  max_input_tokens: number;
  max_tokens: number;
}

import { isClaudeId } from '../route/model-facts.ts';

export { DEFAULT_MIN_CACHEABLE_TOKENS, baseModelId, minCacheableTokens } from '../protocols/anthropic/cache-rules.ts';

/**
 * The simulator accepts every `claude-` id, like a permissive upstream, and OpenRouter's
 * `anthropic/claude-…` ids on the same endpoint (it also plays OpenRouter's /v1/messages in tests);
 * anything else is 404.
 */
export function isSupportedModel(model: string): boolean {
  return isClaudeId(model);
}

// Newest first, as the real list is ordered (protocols.md 1.8). Older models are listed under their
// dated ids, as the real endpoint does. Token limits are illustrative. Opus 5.5, Sonnet 5.5 and
// Fable 5.1 are newer than Opus 5 (vendor-caching.md) but their release dates are in no reference:
// listed first, created at the Unix epoch (as the schema allows for an unknown date).
export const MODELS: readonly ModelInfo[] = [
  model('claude-opus-5-5', 'Claude Opus 5.5', '1970-01-01', 1_000_000, 128_000),
  model('claude-sonnet-5-5', 'Claude Sonnet 5.5', '1970-01-01', 1_000_000, 128_000),
  model('claude-fable-5-1', 'Claude Fable 5.1', '1970-01-01', 1_000_000, 128_000),
  model('claude-opus-5', 'Claude Opus 5', '2026-07-24', 1_000_000, 128_000),
  model('claude-sonnet-5', 'Claude Sonnet 5', '2026-06-30', 1_000_000, 64_000),
  model('claude-fable-5', 'Claude Fable 5', '2026-06-09', 1_000_000, 128_000),
  model('claude-mythos-5', 'Claude Mythos 5', '2026-06-09', 1_000_000, 128_000),
  model('claude-opus-4-8', 'Claude Opus 4.8', '2026-05-28', 1_000_000, 128_000),
  model('claude-opus-4-7', 'Claude Opus 4.7', '2026-04-16', 1_000_000, 128_000),
  model('claude-mythos-preview', 'Claude Mythos Preview', '2026-04-07', 1_000_000, 128_000),
  model('claude-sonnet-4-6', 'Claude Sonnet 4.6', '2026-02-17', 1_000_000, 64_000),
  model('claude-opus-4-6', 'Claude Opus 4.6', '2026-02-05', 1_000_000, 128_000),
  model('claude-opus-4-5-20251101', 'Claude Opus 4.5', '2025-11-01', 200_000, 64_000),
  model('claude-haiku-4-5-20251001', 'Claude Haiku 4.5', '2025-10-01', 200_000, 64_000),
  model('claude-sonnet-4-5-20250929', 'Claude Sonnet 4.5', '2025-09-29', 200_000, 64_000),
];

function model(id: string, name: string, date: string, maxIn: number, maxOut: number): ModelInfo {
  return {
    id,
    display_name: name,
    created_at: `${date}T00:00:00Z`,
    max_input_tokens: maxIn,
    max_tokens: maxOut,
  };
}
