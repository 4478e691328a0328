// Automatic prefix caching as OpenAI (before GPT-5.6) and the OpenRouter providers that copy it do it
// (protocols.md 5.5, 7). There are no markers: every prompt of >= 1024 tokens is cached.
//
// * Units: the prompt is the canonical unit sequence of openai-prompt.ts (tools, instructions, one unit
//   per message or input item). A prefix is units 0..k; it is identified by the chained hash of those
//   units.
// * Scope: API key + model + `prompt_cache_key` when given, else + the hash of the first ~256 tokens of
//   the canonical rendering (OpenAI routes by that hash, so two prompts whose heads differ never share).
// * Writes: a request whose prompt has >= 1024 tokens stores each of its prefixes of >= 1024 tokens (every
//   unit boundary from there to the end). Entries become readable when the response begins (headers
//   sent); a client that leaves earlier writes nothing.
// * Read: the longest stored prefix of the request (unit boundaries, longest first) that has not expired
//   at the request's start. shared = its tokens. cached_tokens = floor(shared / 128) * 128 when
//   shared >= 1024, else 0. A shared prefix that ends inside a unit counts only up to the unit boundary
//   before it (a simplification of OpenAI's token-level matching).
// * Lifetime: in-memory retention, 10 minutes idle. An entry expires 10 minutes after the start of the
//   last request that wrote or read it (a hit refreshes the hit prefix and the shorter stored prefixes
//   it contains; never shortens a lifetime).

import type { OpenAIPrompt } from './openai-prompt.ts';
import { sweepExpired } from '../protocols/anthropic/cache-model.ts';

export const OPENAI_CACHE_MIN_TOKENS = 1024;
export const OPENAI_CACHE_INCREMENT_TOKENS = 128;
export const OPENAI_CACHE_TTL_MS = 10 * 60_000;

export interface OpenAICacheEntry {
  /** Tokens of the stored prefix. */
  tokens: number;
  writtenAt: number;
  expiresAt: number;
}

/** Prefix entries of all scopes: one store stands for one OpenAI-compatible upstream. */
export class OpenAICacheStore {
  readonly entries = new Map<string, OpenAICacheEntry>();
  #prunedAt = -Infinity;

  static key(scope: string, hash: string): string {
    return `${scope}\u0000${hash}`;
  }

  /** The entry, if it is alive at `atMs`. */
  lookup(scope: string, hash: string, atMs: number): OpenAICacheEntry | undefined {
    const entry = this.entries.get(OpenAICacheStore.key(scope, hash));
    return entry === undefined || entry.expiresAt <= atMs ? undefined : entry;
  }

  /** Drops entries that expired at or before `nowMs`, at most once per PRUNE_EVERY_MS (see CacheStore.prune). */
  prune(nowMs: number): void {
    this.#prunedAt = sweepExpired(this.entries, nowMs, this.#prunedAt);
  }
}

/** The cache scope of a request (see the header comment). */
export function openAICacheScope(apiKey: string, model: string, promptCacheKey: string | undefined, prompt: OpenAIPrompt): string {
  const route = promptCacheKey !== undefined && promptCacheKey !== '' ? `key:${promptCacheKey}` : `head:${prompt.routingHash}`;
  return `${apiKey}\u0000${model}\u0000${route}`;
}

/** cached_tokens for a shared prefix of `shared` tokens: whole 128-token increments, 0 under 1024. */
export function cachedTokensFor(shared: number, minTokens: number = OPENAI_CACHE_MIN_TOKENS): number {
  if (shared < minTokens) return 0;
  return Math.floor(shared / OPENAI_CACHE_INCREMENT_TOKENS) * OPENAI_CACHE_INCREMENT_TOKENS;
}

export interface OpenAICacheRequest {
  scope: string;
  prompt: OpenAIPrompt;
  /** Clock time at which the request started. */
  startMs: number;
  /** Overrides OPENAI_CACHE_MIN_TOKENS. */
  minTokens?: number;
  /** Overrides OPENAI_CACHE_TTL_MS. */
  ttlMs?: number;
}

export interface OpenAICachePlan {
  scope: string;
  startMs: number;
  ttlMs: number;
  totalTokens: number;
  /** Index of the longest stored prefix's last unit, or -1. */
  hitUnit: number;
  /** Tokens of the longest stored prefix (0 on a miss). */
  sharedTokens: number;
  /** What usage reports as cached. */
  cachedTokens: number;
  /** Hashes of stored prefixes this request read (refreshed on arrival). */
  refreshes: string[];
  /** Prefixes this request stores when its response begins. */
  writes: { hash: string; tokens: number }[];
}

/** Decides the hit and the writes without changing the store. */
export function planOpenAICache(store: OpenAICacheStore, request: OpenAICacheRequest): OpenAICachePlan {
  const { scope, prompt, startMs } = request;
  const minTokens = request.minTokens ?? OPENAI_CACHE_MIN_TOKENS;
  const eligible = prompt.units.map((u, index) => ({ ...u, index })).filter((u) => u.cumulativeTokens >= minTokens);
  let hitUnit = -1;
  for (let k = eligible.length - 1; k >= 0; k--) {
    const unit = eligible[k];
    if (unit !== undefined && store.lookup(scope, unit.hash, startMs) !== undefined) {
      hitUnit = unit.index;
      break;
    }
  }
  const sharedTokens = hitUnit >= 0 ? (prompt.units[hitUnit]?.cumulativeTokens ?? 0) : 0;
  return {
    scope,
    startMs,
    ttlMs: request.ttlMs ?? OPENAI_CACHE_TTL_MS,
    totalTokens: prompt.totalTokens,
    hitUnit,
    sharedTokens,
    cachedTokens: cachedTokensFor(sharedTokens, minTokens),
    refreshes: eligible
      .filter((u) => u.index <= hitUnit && store.lookup(scope, u.hash, startMs) !== undefined)
      .map((u) => u.hash),
    writes: prompt.totalTokens >= minTokens ? eligible.filter((u) => u.index > hitUnit).map((u) => ({ hash: u.hash, tokens: u.cumulativeTokens })) : [],
  };
}

/** What a request does on arrival: plan, prune expired entries, refresh what it read. */
export function evaluateOpenAICache(store: OpenAICacheStore, request: OpenAICacheRequest): OpenAICachePlan {
  const plan = planOpenAICache(store, request);
  store.prune(plan.startMs);
  for (const hash of plan.refreshes) {
    const entry = store.entries.get(OpenAICacheStore.key(plan.scope, hash));
    if (entry !== undefined) entry.expiresAt = Math.max(entry.expiresAt, plan.startMs + plan.ttlMs);
  }
  return plan;
}

/** The response began: the request's prefixes are stored (lifetime from the request's start). */
export function commitOpenAICache(store: OpenAICacheStore, plan: OpenAICachePlan): void {
  const expiresAt = plan.startMs + plan.ttlMs;
  for (const write of plan.writes) {
    const key = OpenAICacheStore.key(plan.scope, write.hash);
    const existing = store.entries.get(key);
    if (existing !== undefined && existing.expiresAt > plan.startMs) {
      existing.expiresAt = Math.max(existing.expiresAt, expiresAt);
      continue;
    }
    store.entries.set(key, { tokens: write.tokens, writtenAt: plan.startMs, expiresAt });
  }
}
