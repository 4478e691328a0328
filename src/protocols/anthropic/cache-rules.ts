// Anthropic's prompt-cache rules that both the simulator (to enforce them) and the cache engine (to
// place breakpoints that hit) depend on. protocols.md §2.
import type { Prompt, PromptPosition } from './prompt.ts';
import type { Ttl } from './wire.ts';
import { baseModelId, modelFacts } from '../../route/model-facts.ts';

export const TTL_MS: Readonly<Record<Ttl, number>> = { '5m': 5 * 60_000, '1h': 60 * 60_000 };

/** Positions checked per breakpoint, counting the breakpoint itself (2.4). */
export const LOOKBACK_POSITIONS = 20;

/** At most 4 breakpoints per request, counting the top-level automatic one (2.5). */
export const MAX_BREAKPOINTS = 4;

export const DEFAULT_MIN_CACHEABLE_TOKENS = 1024;

/**
 * Minimum prompt length (tokens of the prefix up to a breakpoint) for that breakpoint to read or write
 * the cache. Below it the request runs uncached with no error (protocols.md 2.6). The numbers are
 * the model's facts in the registry (src/route/models.json, `minCacheableTokens`), whatever the
 * spelling of the id; a model the page does not list (Opus 5.5, Sonnet 5.5) or an unknown id uses
 * DEFAULT_MIN_CACHEABLE_TOKENS.
 */
export function minCacheableTokens(model: string): number {
  return modelFacts(model).minCacheableTokens ?? DEFAULT_MIN_CACHEABLE_TOKENS;
}

export { baseModelId };

/** Where the top-level `cache_control` lands: the last block that may carry a breakpoint (2.1). */
export function automaticTarget(prompt: Prompt): PromptPosition | undefined {
  for (let i = prompt.positions.length - 1; i >= 0; i--) {
    const position = prompt.positions[i];
    if (position !== undefined && position.cacheable) return position;
  }
  return undefined;
}

/**
 * Walks back from `from` over at most LOOKBACK_POSITIONS positions and returns the first position
 * with a readable entry, or -1. Runs of tool_use / tool_result positions count as one position.
 */
export function lookback(positions: readonly PromptPosition[], from: number, found: (index: number) => boolean): number {
  let i = from;
  let counted = 0;
  while (i >= 0 && counted < LOOKBACK_POSITIONS) {
    const type = positions[i]?.type;
    const isRun = type === 'tool_use' || type === 'tool_result';
    let j = i;
    do {
      if (found(j)) return j;
      j--;
    } while (isRun && j >= 0 && positions[j]?.type === type);
    counted++;
    i = j;
  }
  return -1;
}

