/** GET /models in the caller's list shape: Anthropic's page (protocols.md §1.8) or OpenAI/OpenRouter's list (§6.5). */
import type { ClientProtocol } from '../errors.ts';
import type { ModelEntry, Registry } from '../route/registry.ts';

const perToken = (usdPerMTok: number | undefined) => (usdPerMTok === undefined ? null : (usdPerMTok / 1e6).toFixed(10).replace(/0+$/, '').replace(/\.$/, ''));

function openaiModel(m: ModelEntry) {
  return {
    id: m.id,
    object: 'model',
    owned_by: m.id.split('/')[0],
    name: m.name,
    context_length: m.context,
    pricing: m.prices
      ? { prompt: perToken(m.prices.input), completion: perToken(m.prices.output), input_cache_read: perToken(m.prices.cacheRead), input_cache_write: perToken(m.prices.cacheWrite5m) }
      : null,
  };
}

function anthropicModel(m: ModelEntry) {
  return { type: 'model', id: m.id, display_name: m.name, created_at: null, max_input_tokens: m.context };
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
