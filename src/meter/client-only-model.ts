/**
 * What the client's own cache markers alone would have achieved: Synrouter keeps a model of the
 * provider's cache per scope (the same rules the simulator enforces, protocols.md §2) and evaluates
 * each turn's ORIGINAL request against it. The difference to the real bill is what the cache engine
 * added on top of the client's own markers (issue "savings made visible").
 */
import { buildPrompt } from '../protocols/anthropic/prompt.ts';
import type { MessagesRequest } from '../protocols/anthropic/wire-types.ts';
import { CacheStore, evaluateCache, markResponseBegun } from '../simulator/cache-model.ts';
import { fromAnthropicUsage } from './anthropic-usage.ts';
import type { Usage } from './usage.ts';

export class ClientOnlyModel {
  readonly #store = new CacheStore();

  /** Usage the provider would have reported for the client's request as sent by the client. */
  evaluate(opts: { scope: string; model: string; request: unknown; startMs: number; output: number }): Usage {
    const prompt = buildPrompt(opts.request as MessagesRequest);
    const plan = evaluateCache(this.#store, { scope: opts.scope, model: opts.model, prompt, startMs: opts.startMs });
    markResponseBegun(this.#store, plan, opts.startMs);
    return { ...fromAnthropicUsage(plan.usage), output: opts.output };
  }
}
