/**
 * The model registry: data (models.json, extendable from the config file), looked up by the
 * product id (`anthropic/claude-opus-4.8`), by the bare provider id (`claude-opus-4-8`, as Claude
 * Code sends it) or by an alias. Claude models outside the product's list that models.json's
 * `anthropicModels` knows (Opus 5.5, Claude Code's default, clients.md) resolve under every spelling
 * with their prices and facts (model-facts.ts); any other Claude id still resolves (prices unknown) so
 * that new models pass through to an Anthropic upstream.
 */
import { readFileSync } from 'node:fs';
import { anthropicModelData, baseModelId, isClaudeId, modelFacts, productSpelling, type ModelFacts, type Prices } from './model-facts.ts';

// Declared beside the model data that carries them (model-facts.ts reads prices too); named here for the registry's users.
export type { Prices };

export interface ModelEntry {
  id: string;
  name: string;
  context: number;
  /** Model id on the Anthropic API, for models Anthropic serves directly. */
  anthropicId?: string;
  /** Anthropic fast mode (`speed: "fast"`), protocols.md §3.2. */
  speed?: 'fast';
  aliases?: string[];
  /** Release date, `YYYY-MM-DD` (protocols.md §3.3); absent when unknown. */
  released?: string;
  /** Largest `max_tokens` the model takes (Anthropic's "max output"); absent when unknown. */
  maxOutput?: number;
  /** USD per million tokens; null when unknown. */
  prices: Prices | null;
  /** True when the entry was synthesised for an id the registry does not list. */
  unlisted?: boolean;
  /** Where the prices were read, for the models added from Anthropic's pages (models.json). */
  pricesFrom?: string;
  /** What translation, the cache engine and the simulator need (model-facts.ts); Claude models only. */
  facts?: ModelFacts;
}

export interface Registry {
  models: readonly ModelEntry[];
  resolve(requested: string): ModelEntry | undefined;
  /**
   * A listed model's id in Anthropic's shape (`GET /api/anthropic/v1/models`): its bare Anthropic id
   * (`claude-opus-4-8`), or for a variant of an Anthropic model the product id in the same dashed
   * form (`claude-opus-4-8-fast`); the product id for other models. resolve() takes it back to `m`.
   */
  anthropicListId(m: ModelEntry): string;
  /** Prices for a model id as it appears in a response (bare provider id or product id). */
  pricesFor(responseModel: string, speed?: 'fast'): Prices | null;
}

const BUILTIN = JSON.parse(readFileSync(new URL('./models.json', import.meta.url), 'utf8')) as { models: ModelEntry[] };

/** A listed entry with its facts: those of its Anthropic model, whatever spelling names it. */
function withFacts(m: ModelEntry): ModelEntry {
  return m.anthropicId && !m.facts ? { ...m, facts: modelFacts(m.anthropicId) } : m;
}

/**
 * The entry for a Claude id the product does not list (`anthropicId` as the client spelt it, dashed,
 * so a dated snapshot goes upstream as asked). A model of models.json's `anthropicModels` gets its
 * name, limits, prices and one id however it was spelt (`claude-opus-5-5`, `anthropic/claude-opus-5.5`
 * and `claude-opus-5-5[1m]` are all `anthropic/claude-opus-5.5`); any other Claude id is priced unknown.
 */
function unlistedEntry(vendorless: string): ModelEntry {
  const anthropicId = vendorless.replaceAll('.', '-');
  const row = anthropicModelData(anthropicId);
  const facts = modelFacts(anthropicId);
  if (!row) return { id: `anthropic/${vendorless}`, name: vendorless, context: 0, anthropicId, prices: null, unlisted: true, facts };
  return {
    id: `anthropic/${productSpelling(baseModelId(anthropicId))}`, name: row.name ?? vendorless, context: row.context ?? 0, anthropicId,
    ...(row.released ? { released: row.released } : {}), ...(row.maxOutput ? { maxOutput: row.maxOutput } : {}),
    prices: row.prices ?? null, ...(row.pricesFrom ? { pricesFrom: row.pricesFrom } : {}), unlisted: true, facts,
  };
}

export function createRegistry(extra: readonly ModelEntry[] = []): Registry {
  const models = [...BUILTIN.models.filter((m) => !extra.some((e) => e.id === m.id)), ...extra].map(withFacts);
  const byName = new Map<string, ModelEntry>();
  // Product ids and aliases first; bare ids map to the standard-speed entry, which comes first in the data.
  for (const m of models) {
    byName.set(m.id, m);
    for (const a of m.aliases ?? []) byName.set(a, m);
  }
  for (const m of models) if (m.anthropicId && !byName.has(m.anthropicId)) byName.set(m.anthropicId, m);
  // Variants sharing an Anthropic id (the -fast entries) get the dashed form of their product id, as
  // Anthropic spells versions (`claude-opus-4.8-fast` -> `claude-opus-4-8-fast`).
  const anthropicIds = new Map<ModelEntry, string>();
  for (const m of models) {
    if (!m.anthropicId) continue;
    const id = byName.get(m.anthropicId) === m ? m.anthropicId : m.id.slice(m.id.indexOf('/') + 1).replaceAll('.', '-');
    if (byName.get(id) === undefined) byName.set(id, m);
    if (byName.get(id) === m) anthropicIds.set(m, id);
  }
  // Bare ids without the vendor (`gpt-5.5`, `deepseek-v4-flash`), as clients' built-in providers send them.
  for (const m of models) {
    const bare = m.id.slice(m.id.indexOf('/') + 1);
    if (bare !== m.id && !byName.has(bare)) byName.set(bare, m);
  }

  const resolve = (requested: string): ModelEntry | undefined => {
    const hit = byName.get(requested);
    if (hit) return hit;
    // Claude Code may append a context suffix such as `[1m]` (protocols.md §3.4).
    const bare = requested.replace(/\[[^\]]*\]$/, '');
    if (bare !== requested && byName.has(bare)) return byName.get(bare);
    const vendorless = bare.startsWith('anthropic/') ? bare.slice('anthropic/'.length) : bare;
    // The vendor prefix on a bare Anthropic id (`anthropic/claude-sonnet-4-6`) is the listed model.
    const prefixed = vendorless !== bare ? byName.get(vendorless) : undefined;
    if (prefixed?.anthropicId) return prefixed;
    if (isClaudeId(vendorless)) {
      // A dated snapshot of a listed model (`claude-opus-4-8-20260528`) is that model.
      const listed = byName.get(baseModelId(vendorless));
      if (listed?.anthropicId) return listed;
      return unlistedEntry(vendorless);
    }
    return undefined;
  };

  return {
    models,
    resolve,
    anthropicListId: (m) => anthropicIds.get(m) ?? m.id,
    pricesFor(responseModel, speed) {
      const entry = resolve(responseModel);
      if (!entry) return null;
      if (speed === 'fast' && !entry.speed) {
        const fast = models.find((m) => m.anthropicId === entry.anthropicId && m.speed === 'fast');
        if (fast) return fast.prices;
      }
      return entry.prices;
    },
  };
}
