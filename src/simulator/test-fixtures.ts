// Shared helpers for the simulator's tests (not a test file itself).

import { CacheStore, evaluateCache, markResponseBegun, type CachePlan } from '../protocols/anthropic/cache-model.ts';
import type { JsonObject } from '../json/json-object.ts';
import type { CacheControl, MessagesRequest } from '../protocols/anthropic/wire.ts';
import { validateRequest } from './validate-request.ts';

export const MINUTE = 60_000;
export const T0 = Date.UTC(2026, 0, 1);

export function cc(ttl?: '5m' | '1h'): CacheControl {
  return ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl };
}

/** A text block; with a TTL (or `true` for the default) it carries a breakpoint. */
export function text(value: string, marker?: '5m' | '1h' | true): JsonObject {
  const block: JsonObject = { type: 'text', text: value };
  if (marker !== undefined) block.cache_control = marker === true ? cc() : cc(marker);
  return block;
}

/** Roughly `tokens` tokens of deterministic text (4 bytes per token). */
export function filler(tokens: number, seed = 'f'): string {
  return `${seed}:`.padEnd(tokens * 4, '.');
}

export function request(fields: Partial<MessagesRequest>): MessagesRequest {
  return { model: 'claude-sonnet-4-6', max_tokens: 100, messages: [], ...fields };
}

export interface RunOptions {
  scope?: string;
  /** Mark the response as begun right away (default true). */
  begin?: boolean;
}

/** Validates a request and runs it through the cache model at `startMs`. */
export function run(store: CacheStore, body: MessagesRequest, startMs: number, options: RunOptions = {}): CachePlan {
  const result = validateRequest(body);
  if (!result.ok) throw new Error(`invalid request: ${result.message}`);
  const plan = evaluateCache(store, {
    scope: options.scope ?? `key\u0000${body.model}`,
    model: body.model,
    prompt: result.prompt,
    startMs,
  });
  if (options.begin !== false) markResponseBegun(store, plan, startMs);
  return plan;
}
