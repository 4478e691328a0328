/**
 * Synrouter's model of the provider's cache, per scope (the same rules the simulator enforces,
 * protocols.md §2), for bills that were never sent: what the client's own markers alone would have
 * achieved (each turn's ORIGINAL request), and, for shadow keys, what the cache engine's rewrite
 * would have achieved. One instance per counterfactual, so their entries never mix.
 */
import { buildPrompt, promptSourceOf, type Prompt } from '../protocols/anthropic/prompt.ts';
import type { MessagesRequest } from '../protocols/anthropic/wire.ts';
import { CacheStore, evaluateCache, markResponseBegun } from '../protocols/anthropic/cache-model.ts';
import { fromAnthropicUsage } from './anthropic-usage.ts';
import type { Usage } from './usage.ts';

export class ProviderCacheModel {
  readonly #store = new CacheStore();

  /** Usage the provider would have reported for this request body. */
  evaluate(opts: { scope: string; model: string; request: unknown; startMs: number; output: number; prompt?: Prompt }): Usage {
    // The cache engine often rendered this very request already: rendering costs ~1.5 ms per 200 KB.
    // Otherwise the request is rendered from its own bytes where it can be (prompt.ts).
    const request = opts.request as MessagesRequest;
    const prompt = opts.prompt ?? buildPrompt(request, promptSourceOf(request));
    const plan = evaluateCache(this.#store, { scope: opts.scope, model: opts.model, prompt, startMs: opts.startMs });
    markResponseBegun(this.#store, plan, opts.startMs);
    return { ...fromAnthropicUsage(plan.usage), output: opts.output };
  }
}
