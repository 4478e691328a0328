import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry } from '../route/registry.ts';
import { listModels } from './models-endpoint.ts';
import { ProxyError } from '../errors.ts';

const registry = createRegistry([{ id: 'acme/coder-1', name: 'Acme Coder 1', context: 200000, prices: null }]);
type OpenAIModel = { id: string; object: string; created: number; owned_by: string; name: string; context_length: number; architecture: Record<string, unknown>; pricing: Record<string, string | null> };
type AnthropicModel = { type: string; id: string; display_name: string; created_at: string; max_input_tokens: number; max_tokens: number | null; capabilities: null; line: string | null };
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
  const unpriced = registry.models.filter((m) => m.prices === null).map((m) => m.id);
  assert.ok(unpriced.includes('acme/coder-1'));
  for (const id of unpriced) {
    const m = openai().data.find((x) => x.id === id)!;
    assert.deepEqual(m.pricing, { prompt: null, completion: null, input_cache_read: null, input_cache_write: null }, id);
    assert.equal(m.created, 0);
    assert.deepEqual(m.architecture, { modality: null, input_modalities: null, output_modalities: null, tokenizer: null, instruct_type: null });
  }
});

test('Anthropic list: Anthropic\'s model objects, bare Anthropic ids for Claude models, newest first; vendor ids for the rest', () => {
  const page = anthropic('limit=1000');
  assert.equal(page.data.length, 28);
  assert.deepEqual(page.data.find((m) => m.id === 'claude-opus-4-8'), {
    type: 'model', id: 'claude-opus-4-8', display_name: 'Claude Opus 4.8', created_at: '2026-05-28T00:00:00Z', max_input_tokens: 1_000_000, max_tokens: 128_000, capabilities: null, line: 'opus',
  });
  assert.deepEqual(page.data.slice(0, 8).map((m) => m.id), [
    'claude-opus-4-8', 'claude-opus-4-8-fast', 'claude-opus-4-7', 'claude-opus-4-7-fast', 'claude-sonnet-4-6', 'claude-opus-4-6', 'claude-opus-4-6-fast', 'claude-haiku-4-5',
  ], 'Claude models by release date, newest first (Sonnet 4.6 came after Opus 4.6); Haiku 4.5 has no date in the reference: after them');
  const haiku = page.data.find((m) => m.id === 'claude-haiku-4-5')!;
  assert.equal(haiku.created_at, '1970-01-01T00:00:00Z', 'an unknown release date is the epoch, as the schema allows');
  assert.equal(haiku.max_tokens, 64_000);
  assert.equal(haiku.line, 'haiku');
  assert.equal(page.data.find((m) => m.id === 'claude-sonnet-4-6')!.line, 'sonnet');
  assert.deepEqual(page.data.find((m) => m.id === 'acme/coder-1'), {
    type: 'model', id: 'acme/coder-1', display_name: 'Acme Coder 1', created_at: '1970-01-01T00:00:00Z', max_input_tokens: 200_000, max_tokens: null, capabilities: null, line: null,
  }, 'a model Anthropic does not serve keeps its product id; what the registry does not know is null where the schema allows it');
  assert.ok(page.data.some((m) => m.id === 'deepseek/deepseek-v4-pro'));
  assert.ok(!page.data.some((m) => m.id.startsWith('anthropic/')), 'no vendor ids for Claude models');
  assert.equal(new Set(page.data.map((m) => m.id)).size, page.data.length, 'ids are unique (they are the cursors)');
  for (const m of page.data) {
    const entry = registry.resolve(m.id);
    assert.ok(entry && !entry.unlisted && registry.anthropicListId(entry) === m.id, `${m.id} resolves back to its model`);
    assert.match(m.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(Object.keys(m), ['type', 'id', 'display_name', 'created_at', 'max_input_tokens', 'max_tokens', 'capabilities', 'line'], `${m.id}: no lifecycle fields, nothing undefined`);
  }
  assert.equal(page.has_more, false);
  assert.equal(page.first_id, 'claude-opus-4-8');
  assert.equal(page.last_id, page.data.at(-1)!.id);
});

test('Anthropic list pages: 20 by default, after_id forward and before_id backward, has_more in the direction of travel', () => {
  const all = anthropic('limit=1000').data.map((m) => m.id);
  const first = anthropic();
  assert.equal(first.data.length, 20);
  assert.equal(first.has_more, true);
  // Forward, as the SDK's auto-pagination does: after_id = last_id while has_more.
  const walked: string[] = [];
  let next = anthropic('limit=5');
  for (;;) {
    walked.push(...next.data.map((m) => m.id));
    assert.equal(next.first_id, next.data[0]?.id ?? null);
    assert.equal(next.last_id, next.data.at(-1)?.id ?? null);
    if (!next.has_more) break;
    next = anthropic(`limit=5&after_id=${next.last_id}`);
  }
  assert.deepEqual(walked, all);
  // Backward: the page right before before_id; has_more while there are models before it.
  const back = anthropic(`limit=3&before_id=${all[10]}`);
  assert.deepEqual(back.data.map((m) => m.id), all.slice(7, 10));
  assert.equal(back.has_more, true);
  const start = anthropic(`limit=5&before_id=${all[3]}`);
  assert.deepEqual(start.data.map((m) => m.id), all.slice(0, 3));
  assert.equal(start.has_more, false);
  const none = anthropic(`before_id=${all[0]}`);
  assert.deepEqual([none.data, none.has_more, none.first_id, none.last_id], [[], false, null, null]);
  assert.deepEqual(anthropic(`after_id=${all.at(-1)}`).data, []);
  // A cursor may be any id of the model, as clients name it elsewhere.
  assert.deepEqual(anthropic('limit=1&after_id=anthropic/claude-opus-4.8').data.map((m) => m.id), ['claude-opus-4-8-fast']);
});

test('Anthropic list: a limit out of 1-1000, an unknown cursor or both cursors are a 400 naming the parameter', () => {
  for (const [q, param] of [['limit=0', 'limit'], ['limit=1001', 'limit'], ['limit=ten', 'limit'], ['limit=2.5', 'limit'], ['after_id=claude-opus-9-9', 'after_id'], ['before_id=nope', 'before_id'], ['after_id=claude-opus-4-8&before_id=claude-opus-4-7', 'before_id']]) {
    assert.throws(() => anthropic(q), (err: ProxyError) => err instanceof ProxyError && err.code === 'QUERY_INVALID' && err.status === 400 && err.param === param, q);
  }
  assert.throws(() => anthropic('after_id=claude-opus-9-9'), /after_id: no listed model "claude-opus-9-9"/);
});
