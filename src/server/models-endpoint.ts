/**
 * GET /models in the caller's list shape: Anthropic's page (protocols.md §1.8), with bare Anthropic
 * ids for Claude models, or OpenAI/OpenRouter's list (§6.5), with the product's vendor ids.
 */
import { ProxyError, type ClientProtocol } from '../errors.ts';
import type { ModelEntry, Registry } from '../route/registry.ts';
import { claudeLine } from '../route/model-facts.ts';

const perToken = (usdPerMTok: number | undefined) => (usdPerMTok === undefined ? null : (usdPerMTok / 1e6).toFixed(10).replace(/0+$/, '').replace(/\.$/, ''));

/** Unix seconds of the release date; 0 when unknown (OpenRouter's `created` is a number, never null). */
const createdSeconds = (m: ModelEntry) => (m.released ? Math.floor(Date.parse(`${m.released}T00:00:00Z`) / 1000) : 0);

/**
 * OpenRouter's pricing object (§6.5): USD per token as decimal strings. A model whose prices are
 * unknown gets the same fields set to null, never invented numbers.
 */
function pricing(m: ModelEntry) {
  const p = m.prices;
  return { prompt: perToken(p?.input), completion: perToken(p?.output), input_cache_read: perToken(p?.cacheRead), input_cache_write: perToken(p?.cacheWrite5m) };
}

/**
 * OpenRouter's architecture object (§6.5). Claude models take text and images and answer in text,
 * with the Claude tokenizer (as OpenRouter lists them); for other models Synrouter does not know,
 * so the fields are null.
 */
function architecture(m: ModelEntry) {
  if (m.anthropicId && !m.unlisted) return { modality: 'text+image->text', input_modalities: ['text', 'image'], output_modalities: ['text'], tokenizer: 'Claude', instruct_type: null };
  return { modality: null, input_modalities: null, output_modalities: null, tokenizer: null, instruct_type: null };
}

function openaiModel(m: ModelEntry) {
  return {
    id: m.id,
    object: 'model',
    created: createdSeconds(m),
    owned_by: m.id.split('/')[0],
    name: m.name,
    context_length: m.context,
    architecture: architecture(m),
    pricing: pricing(m),
  };
}

/**
 * Anthropic's model object (protocols.md §1.8; `ModelInfo` in @anthropic-ai/sdk's resources/models.ts,
 * the List Models API at platform.claude.com/docs/en/api/models/list). Fields Synrouter knows from the
 * registry are filled; fields the schema makes nullable are null where Synrouter does not know them
 * (`max_tokens` of a model without a known "max output", `capabilities`: the per-feature support
 * Anthropic reports is not in the registry). `line` is null for models of no Claude line, as the schema
 * says. The lifecycle fields (`lifecycle`, `deprecated_at`, `retires_at`) are left out: Synrouter does
 * not track deprecations, and `deprecated_at: null` would say the model is active.
 * `created_at` is the Unix epoch where the release date is unknown, as the schema allows.
 */
function anthropicModel(m: ModelEntry, registry: Registry) {
  return {
    type: 'model',
    id: registry.anthropicListId(m),
    display_name: m.name,
    created_at: new Date(createdSeconds(m) * 1000).toISOString().replace('.000Z', 'Z'),
    max_input_tokens: m.context,
    max_tokens: m.maxOutput ?? null,
    capabilities: null,
    line: m.anthropicId ? claudeLine(m.anthropicId) : null,
  };
}

/** Most recently released first, as Anthropic lists them; models without a known date after, in registry order. */
function newestFirst(models: readonly ModelEntry[]): ModelEntry[] {
  return models.map((m, i) => ({ m, i, t: createdSeconds(m) })).sort((a, b) => b.t - a.t || a.i - b.i).map((x) => x.m);
}

const invalid = (param: string, message: string) => new ProxyError('QUERY_INVALID', message, { param });

/**
 * One page of Anthropic's list: `limit` (1-1000, default 20) models after `after_id` or right before
 * `before_id`, with `has_more` (more in the direction of travel: after the page going forward, before
 * it with before_id, which is how the SDK's auto-pagination walks either way) and the page's
 * `first_id` / `last_id`. A cursor may be any id that resolves to a listed model.
 */
function anthropicPage(registry: Registry, query: URLSearchParams) {
  const models = newestFirst(registry.models);
  const rawLimit = query.get('limit');
  const limit = rawLimit === null || rawLimit === '' ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalid('limit', `limit: must be an integer from 1 to 1000, got "${rawLimit}".`);
  const after = query.get('after_id');
  const before = query.get('before_id');
  if (after && before) throw invalid('before_id', 'Pass after_id or before_id, not both.');
  const at = (param: string, id: string) => {
    const entry = registry.resolve(id);
    const i = entry ? models.indexOf(entry) : -1;
    if (i < 0) throw invalid(param, `${param}: no listed model "${id}".`);
    return i;
  };
  let page: ModelEntry[];
  let hasMore: boolean;
  if (before) {
    const end = at('before_id', before);
    page = models.slice(Math.max(0, end - limit), end);
    hasMore = end - page.length > 0;
  } else {
    const start = after ? at('after_id', after) + 1 : 0;
    page = models.slice(start, start + limit);
    hasMore = start + page.length < models.length;
  }
  const data = page.map((m) => anthropicModel(m, registry));
  return { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

export function listModels(protocol: ClientProtocol, registry: Registry, query: URLSearchParams): unknown {
  return protocol === 'openai' ? { object: 'list', data: registry.models.map(openaiModel) } : anthropicPage(registry, query);
}
