/**
 * Facts about a Claude model that translation, the cache engine and the simulator need, keyed by the
 * model and not by how its id is spelt: `claude-sonnet-4-5`, `claude-sonnet-4-5-20250929`,
 * `anthropic/claude-sonnet-4.5` and `claude-sonnet-4-5[1m]` are one model with one set of facts
 * (issue 22: two spellings used to get different thinking and sampling). The data is models.json's
 * `anthropicModels`; the id normalisation below is the only place outside the registry that reads
 * the shape of a Claude id.
 */
import { readFileSync } from 'node:fs';

/** USD per million tokens of each kind of usage (models.json). */
export interface Prices { input: number; output: number; cacheRead: number; cacheWrite5m: number; cacheWrite1h: number }

/**
 * How a model thinks (protocols.md §1.2; vendor-caching.md, Claude's current lineup):
 * - none: no thinking;
 * - budget: `thinking: {type:"enabled", budget_tokens}` only, no `output_config.effort`;
 * - adaptive: `thinking: {type:"adaptive"}` + effort, and may be disabled;
 * - always: adaptive and cannot be disabled (Opus 5.5, Fable 5.1).
 */
export type ThinkingStyle = 'none' | 'budget' | 'adaptive' | 'always';

/** `default-only`: temperature 1, top_p >= 0.99 and no top_k (protocols.md §1.2, models after Opus 4.6). */
export type SamplingRule = 'any' | 'default-only';

export interface ModelFacts {
  thinking: ThinkingStyle;
  /** Whether tool_choice `any` / `tool` is accepted (with thinking off); false: forced tool use is an error. */
  forcedToolChoice: boolean;
  sampling: SamplingRule;
  /** protocols.md §2.6; null where Anthropic's page does not list the model. */
  minCacheableTokens: number | null;
  /** What `speed: "fast"` does (protocols.md §3.2); absent where the docs do not say. */
  fastMode?: 'fast' | 'error' | 'standard';
}

export interface AnthropicModelData extends ModelFacts {
  name?: string;
  context?: number;
  maxOutput?: number;
  released?: string;
  /** Only for models outside the product's list; listed models carry their own prices. */
  prices?: Prices;
  pricesFrom?: string;
}

/**
 * A Claude id the table does not know: the rules of the newest adaptive models that can still turn
 * thinking off (what Synrouter assumed before the table existed). A new model that thinks always gets
 * its row when Anthropic documents it.
 */
export const UNKNOWN_CLAUDE: ModelFacts = { thinking: 'adaptive', forcedToolChoice: true, sampling: 'default-only', minCacheableTokens: null };

const DATA = (JSON.parse(readFileSync(new URL('./models.json', import.meta.url), 'utf8')) as { anthropicModels: Record<string, AnthropicModelData> }).anthropicModels;

export const ANTHROPIC_MODELS: Readonly<Record<string, AnthropicModelData>> = DATA;

/**
 * The provider's own id without decorations: a context suffix (`[1m]`, Claude Code's, protocols.md
 * §3.4), the vendor prefix and OpenRouter's dotted version (`anthropic/claude-haiku-4.5` ->
 * `claude-haiku-4-5`), a `-YYYYMMDD` snapshot suffix (`claude-sonnet-4-5-20250929` ->
 * `claude-sonnet-4-5`).
 */
export function baseModelId(model: string): string {
  const bare = model.replace(/\[[^\]]*\]$/, '');
  const vendorless = bare.startsWith('anthropic/') ? bare.slice('anthropic/'.length) : bare;
  const dashed = vendorless.startsWith('claude-') ? vendorless.replace(/(\d)\.(\d)/g, '$1-$2') : vendorless;
  return dashed.replace(/-\d{8}$/, '');
}

/** Whether an id (any spelling) names a Claude model. */
export function isClaudeId(model: string): boolean {
  return /^claude-[a-z0-9.-]+$/.test(baseModelId(model));
}

/** The table row of a Claude id in any spelling; a `-fast` product variant is its base model. */
export function anthropicModelData(model: string): AnthropicModelData | undefined {
  const base = baseModelId(model);
  return DATA[base] ?? (base.endsWith('-fast') ? DATA[base.slice(0, -'-fast'.length)] : undefined);
}

/** The facts of a Claude model in any spelling; UNKNOWN_CLAUDE for a Claude id the table lacks. */
export function modelFacts(model: string): ModelFacts {
  const row = anthropicModelData(model);
  if (!row) return UNKNOWN_CLAUDE;
  return {
    thinking: row.thinking, forcedToolChoice: row.forcedToolChoice, sampling: row.sampling, minCacheableTokens: row.minCacheableTokens,
    ...(row.fastMode ? { fastMode: row.fastMode } : {}),
  };
}

/** Anthropic's model line (the SDK's `ModelLine`) of a Claude id, or null. */
export function claudeLine(model: string): string | null {
  return /^claude-(haiku|sonnet|opus|fable|mythos)-/.exec(baseModelId(model))?.[1] ?? null;
}

/**
 * A Claude id as the product and OpenRouter spell it: the `<major>-<minor>` version with a dot
 * (`claude-opus-5-5` -> `claude-opus-5.5`; `claude-opus-4` stays), as models.md lists Claude models.
 */
export function productSpelling(anthropicId: string): string {
  return anthropicId.replace(/-(\d+)-(\d{1,2})(?=-|$)/, '-$1.$2');
}
