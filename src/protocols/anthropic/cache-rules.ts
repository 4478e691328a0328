// Anthropic's prompt-cache rules that both the simulator (to enforce them) and the cache engine (to
// place breakpoints that hit) depend on. protocols.md §2.
import type { Prompt, PromptPosition } from './prompt.ts';
import type { Ttl } from './wire-types.ts';

export const TTL_MS: Readonly<Record<Ttl, number>> = { '5m': 5 * 60_000, '1h': 60 * 60_000 };

/** Positions checked per breakpoint, counting the breakpoint itself (2.4). */
export const LOOKBACK_POSITIONS = 20;

/** At most 4 breakpoints per request, counting the top-level automatic one (2.5). */
export const MAX_BREAKPOINTS = 4;

export const DEFAULT_MIN_CACHEABLE_TOKENS = 1024;

/**
 * Minimum prompt length (tokens of the prefix up to a breakpoint) for that breakpoint to read or write
 * the cache. Below it the request runs uncached with no error (protocols.md 2.6). Keys are model ids
 * without a date suffix; `claude-haiku-4-5-20251001` uses the `claude-haiku-4-5` row.
 */
export const MIN_CACHEABLE_TOKENS: Readonly<Record<string, number>> = {
  // The seven rows of the project brief.
  'claude-opus-4-8': 1024,
  'claude-sonnet-4-6': 1024,
  'claude-sonnet-4-5': 1024,
  'claude-opus-4-7': 2048,
  'claude-opus-4-6': 4096,
  'claude-opus-4-5': 4096,
  'claude-haiku-4-5': 4096,
  // Further rows of protocols.md 2.6 (newest Anthropic doc version).
  'claude-fable-5-1': 512,
  'claude-fable-5': 512,
  'claude-mythos-5': 512,
  'claude-opus-5': 512,
  'claude-sonnet-5': 1024,
  'claude-mythos-preview': 2048,
  'claude-opus-4-1': 1024,
  'claude-opus-4': 1024,
  'claude-sonnet-4': 1024,
};

/**
 * The provider's own id without decorations: a `-YYYYMMDD` snapshot suffix (`claude-sonnet-4-5-20250929`
 * -> `claude-sonnet-4-5`), and OpenRouter's spelling (`anthropic/claude-haiku-4.5` -> `claude-haiku-4-5`),
 * so the same model has the same cache rules on either route.
 */
export function baseModelId(model: string): string {
  const bare = model.startsWith('anthropic/') ? model.slice('anthropic/'.length).replace(/(\d)\.(\d)/g, '$1-$2') : model;
  return bare.replace(/-\d{8}$/, '');
}

export function minCacheableTokens(model: string): number {
  return MIN_CACHEABLE_TOKENS[baseModelId(model)] ?? DEFAULT_MIN_CACHEABLE_TOKENS;
}


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

