import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry } from '../route/registry.ts';
import { listModels } from './models-endpoint.ts';

const registry = createRegistry([{ id: 'acme/coder-1', name: 'Acme Coder 1', context: 200000, prices: null }]);
type OpenAIModel = { id: string; object: string; created: number; owned_by: string; name: string; context_length: number; architecture: Record<string, unknown>; pricing: Record<string, string | null> };
type AnthropicModel = { type: string; id: string; display_name: string; created_at: string; max_input_tokens: number; max_tokens: null; capabilities: null };
const openai = () => (listModels('openai', registry, new URLSearchParams()) as { object: string; data: OpenAIModel[] });
const anthropic = (q = '') => listModels('anthropic', registry, new URLSearchParams(q)) as { data: AnthropicModel[]; has_more: boolean; first_id: string | null; last_id: string | null };

test('OpenAI list: OpenRouter shape, prices as USD-per-token strings, created from the release date, architecture', () => {
  const list = openai();
  assert.equal(list.object, 'list');
  assert.equal(list.data.length, 28);
  const opus = list.data.find((m) => m.id === 'anthropic/claude-opus-4.8')!;
  assert.deepEqual(opus, {
    id: 'anthropic/claude-opus-4.8', object: 'model', created: Date.UTC(2026, 4, 28) / 1000, owned_by: 'anthropic', name: 'Claude Opus 4.8', context_length: 1_000_000,
    architecture: { modality: 'text+image->text', input_modalities: ['text', 'image'], output_modalities: ['text'], tokenizer: 'Claude', instruct_type: null },
    pricing: { prompt: '0.000005', completion: '0.000025', input_cache_read: '0.0000005', input_cache_write: '0.00000625' },
  });
  assert.equal(list.data.find((m) => m.id === 'anthropic/claude-sonnet-4.6')!.created, Date.UTC(2026, 1, 17) / 1000);
  assert.equal(list.data.find((m) => m.id === 'anthropic/claude-opus-4.6-fast')!.created, Date.UTC(2026, 1, 5) / 1000, 'a -fast id has its base model\'s date');
  assert.equal(list.data.find((m) => m.id === 'anthropic/claude-haiku-4.5')!.created, 0, 'no release date in the reference: 0');
  assert.deepEqual(list.data.find((m) => m.id === 'deepseek/deepseek-v4-flash-free')!.pricing, { prompt: '0', completion: '0', input_cache_read: '0', input_cache_write: '0' });
  for (const m of list.data) {
    assert.equal(typeof m.created, 'number');
    assert.deepEqual(Object.keys(m.pricing).sort(), ['completion', 'input_cache_read', 'input_cache_write', 'prompt']);
    for (const v of Object.values(m.pricing)) assert.ok(v === null || /^\d+(\.\d+)?$/.test(v), `${m.id}: ${v}`);
  }
});

test('OpenAI list: a model with unknown prices has a pricing object of null fields, never invented numbers', () => {
  for (const id of ['deepseek/deepseek-v4-pro', 'acme/coder-1']) {
    const m = openai().data.find((x) => x.id === id)!;
    assert.deepEqual(m.pricing, { prompt: null, completion: null, input_cache_read: null, input_cache_write: null }, id);
    assert.equal(m.created, 0);
    assert.deepEqual(m.architecture, { modality: null, input_modalities: null, output_modalities: null, tokenizer: null, instruct_type: null });
  }
});

test('Anthropic list: created_at is an RFC 3339 string (the epoch where unknown), pages by after_id and limit', () => {
  const page = anthropic('limit=1000');
  const opus = page.data.find((m) => m.id === 'anthropic/claude-opus-4.8')!;
  assert.deepEqual(opus, { type: 'model', id: 'anthropic/claude-opus-4.8', display_name: 'Claude Opus 4.8', created_at: '2026-05-28T00:00:00Z', max_input_tokens: 1_000_000, max_tokens: null, capabilities: null });
  assert.equal(page.data.find((m) => m.id === 'anthropic/claude-haiku-4.5')!.created_at, '1970-01-01T00:00:00Z');
  for (const m of page.data) assert.match(m.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(page.has_more, false);
  const first = anthropic('limit=2');
  assert.equal(first.data.length, 2);
  assert.equal(first.has_more, true);
  const next = anthropic(`limit=2&after_id=${first.last_id}`);
  assert.equal(next.first_id, page.data[2]!.id);
});
