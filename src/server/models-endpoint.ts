/** GET /models in the caller's list shape: Anthropic's page (protocols.md §1.8) or OpenAI/OpenRouter's list (§6.5). */
import type { ClientProtocol } from '../errors.ts';
import type { ModelEntry, Registry } from '../route/registry.ts';

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
 * Anthropic's model object (§1.8). `created_at` is an RFC 3339 string; where the release date is
 * unknown it is the Unix epoch (the field is not nullable), as `created: 0` in the OpenAI list.
 * `max_tokens` and `capabilities` are nullable and unknown to the registry.
 */
function anthropicModel(m: ModelEntry) {
  return { type: 'model', id: m.id, display_name: m.name, created_at: new Date(createdSeconds(m) * 1000).toISOString().replace('.000Z', 'Z'), max_input_tokens: m.context, max_tokens: null, capabilities: null };
}

export function listModels(protocol: ClientProtocol, registry: Registry, query: URLSearchParams): unknown {
  if (protocol === 'openai') return { object: 'list', data: registry.models.map(openaiModel) };
  let models = [...registry.models];
  const after = query.get('after_id');
  const before = query.get('before_id');
  if (after) models = models.slice(models.findIndex((m) => m.id === after) + 1);
  if (before) models = models.slice(0, Math.max(0, models.findIndex((m) => m.id === before)));
  const limit = Math.min(Math.max(Number(query.get('limit')) || 20, 1), 1000);
  const page = models.slice(0, limit).map(anthropicModel);
  return { data: page, has_more: models.length > page.length, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null };
}
