import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry } from './registry.ts';

test('product ids, bare ids, aliases and context suffixes resolve to the same entry', () => {
  const r = createRegistry();
  const opus = r.resolve('anthropic/claude-opus-4.8');
  assert.equal(opus?.anthropicId, 'claude-opus-4-8');
  assert.equal(r.resolve('claude-opus-4-8'), opus);
  assert.equal(r.resolve('claude-opus-4-8[1m]'), opus);
  assert.equal(r.resolve('claude-haiku-4-5-20251001')?.id, 'anthropic/claude-haiku-4.5');
  assert.equal(r.models.length, 27);
});

test('an unlisted Claude id still resolves, with unknown prices; other unknown ids do not', () => {
  const r = createRegistry();
  const e = r.resolve('claude-opus-9-1');
  assert.equal(e?.anthropicId, 'claude-opus-9-1');
  assert.equal(e?.unlisted, true);
  assert.equal(e?.prices, null, 'a model no reference prices stays unpriced');
  assert.equal(r.resolve('gpt-nonexistent'), undefined);
});

test("Claude's current lineup (vendor-caching.md) is priced under every spelling, with one id and the same facts", () => {
  const r = createRegistry();
  const opus55 = { input: 4, output: 20, cacheRead: 0.2, cacheWrite5m: 5, cacheWrite1h: 8 };
  for (const spelling of ['claude-opus-5-5', 'anthropic/claude-opus-5.5', 'anthropic/claude-opus-5-5', 'claude-opus-5.5', 'claude-opus-5-5[1m]', 'anthropic/claude-opus-5.5[1m]']) {
    const e = r.resolve(spelling);
    assert.equal(e?.id, 'anthropic/claude-opus-5.5', spelling);
    assert.equal(e?.anthropicId, 'claude-opus-5-5', spelling);
    assert.equal(e?.unlisted, true, `${spelling}: models.md does not list it`);
    assert.deepEqual(e?.prices, opus55, spelling);
    assert.deepEqual(e?.facts, { thinking: 'always', forcedToolChoice: false, sampling: 'default-only', minCacheableTokens: null, fastMode: 'fast' }, spelling);
    assert.equal(e?.context, 1_000_000);
    assert.equal(e?.maxOutput, 128_000);
    assert.deepEqual(r.pricesFor(spelling), opus55, spelling);
  }
  assert.deepEqual(r.resolve('anthropic/claude-sonnet-5.5')?.prices, { input: 2, output: 10, cacheRead: 0.2, cacheWrite5m: 2.5, cacheWrite1h: 4 });
  assert.equal(r.resolve('claude-sonnet-5-5')?.facts?.forcedToolChoice, false);
  assert.equal(r.resolve('claude-sonnet-5-5')?.facts?.thinking, 'adaptive');
  assert.deepEqual(r.resolve('claude-fable-5-1[1m]')?.prices, { input: 10, output: 50, cacheRead: 0.25, cacheWrite5m: 12.5, cacheWrite1h: 20 });
  assert.equal(r.resolve('anthropic/claude-fable-5.1')?.facts?.thinking, 'always');
  assert.ok(!r.models.some((m) => /claude-(opus|sonnet)-5\.5|fable/.test(m.id)), 'none of them is in the product list');
  // A dated snapshot goes upstream as the client named it, priced as its model.
  const dated = r.resolve('claude-sonnet-4-5-20250929');
  assert.equal(dated?.anthropicId, 'claude-sonnet-4-5-20250929');
  assert.equal(dated?.id, 'anthropic/claude-sonnet-4.5');
  assert.deepEqual(dated?.facts, r.resolve('anthropic/claude-sonnet-4.5')?.facts);
});

test('listed Claude models carry the facts of their Anthropic model, the -fast variants included', () => {
  const r = createRegistry();
  assert.deepEqual(r.resolve('anthropic/claude-opus-4.8-fast')?.facts, r.resolve('claude-opus-4-8')?.facts);
  assert.equal(r.resolve('anthropic/claude-haiku-4.5')?.facts?.thinking, 'budget');
  assert.equal(r.resolve('claude-haiku-4-5-20251001')?.facts?.minCacheableTokens, 4096);
  assert.equal(r.resolve('anthropic/claude-sonnet-4.6')?.facts?.sampling, 'any');
  assert.equal(r.resolve('openai/gpt-5.5')?.facts, undefined, 'facts are for Claude models');
});

test("unlisted Claude models with Anthropic's own prices are priced, not listed", () => {
  const r = createRegistry();
  const sonnet45 = r.resolve('claude-sonnet-4-5-20250929');
  assert.equal(sonnet45?.unlisted, true);
  assert.deepEqual(sonnet45?.prices, { input: 3, output: 15, cacheRead: 0.3, cacheWrite5m: 3.75, cacheWrite1h: 6 });
  assert.equal(r.pricesFor('claude-opus-4-5')?.cacheWrite1h, 10);
  assert.equal(r.pricesFor('anthropic/claude-sonnet-5')?.cacheRead, 0.2);
  assert.ok(!r.models.some((m) => m.id.includes('sonnet-4.5') || m.id.includes('sonnet-4-5')), 'not in the model list');
});

test('fast mode prices apply to the bare response id when the request asked for speed fast', () => {
  const r = createRegistry();
  assert.equal(r.pricesFor('claude-opus-4-8')?.input, 5);
  assert.equal(r.pricesFor('claude-opus-4-8', 'fast')?.input, 10);
  assert.equal(r.resolve('anthropic/claude-opus-4.7-fast')?.speed, undefined);
});

test('config entries extend and override the built-in list', () => {
  const r = createRegistry([{ id: 'acme/coder-1', name: 'Acme', context: 1000, prices: null }, { id: 'z-ai/glm-5.1', name: 'GLM', context: 5, prices: { input: 1, output: 2, cacheRead: 0.1, cacheWrite5m: 1, cacheWrite1h: 1 } }]);
  assert.equal(r.resolve('acme/coder-1')?.name, 'Acme');
  assert.equal(r.resolve('z-ai/glm-5.1')?.prices?.input, 1);
});

test('bare ids without the vendor resolve to the product entry', () => {
  const r = createRegistry();
  assert.equal(r.resolve('gpt-5.5')?.id, 'openai/gpt-5.5');
  assert.equal(r.resolve('deepseek-v4-flash')?.id, 'deepseek/deepseek-v4-flash');
  assert.equal(r.resolve('claude-sonnet-4.6')?.id, 'anthropic/claude-sonnet-4.6');
});

test('the vendor prefix on a bare Anthropic id resolves to the listed entry, not to an unlisted one', () => {
  const r = createRegistry();
  const sonnet = r.resolve('anthropic/claude-sonnet-4-6');
  assert.equal(sonnet?.id, 'anthropic/claude-sonnet-4.6');
  assert.equal(sonnet?.unlisted, undefined);
  assert.notEqual(sonnet?.prices, null);
  assert.equal(r.resolve('anthropic/claude-opus-4-8[1m]')?.id, 'anthropic/claude-opus-4.8');
  assert.equal(r.resolve('anthropic/claude-haiku-4-5-20251001')?.id, 'anthropic/claude-haiku-4.5');
  assert.equal(r.resolve('anthropic/gpt-5.5'), undefined, 'another vendor\'s model is not an Anthropic id');
});

test('Anthropic-side ids: the bare Anthropic id, the dashed product id for a -fast variant; each resolves back to its entry', () => {
  const r = createRegistry();
  const ids = r.models.map((m) => r.anthropicListId(m));
  assert.deepEqual(ids.slice(0, 8), ['claude-opus-4-8', 'claude-opus-4-8-fast', 'claude-opus-4-7', 'claude-opus-4-7-fast', 'claude-opus-4-6', 'claude-opus-4-6-fast', 'claude-sonnet-4-6', 'claude-haiku-4-5']);
  assert.equal(r.anthropicListId(r.resolve('openai/gpt-5.5')!), 'openai/gpt-5.5', 'models Anthropic does not serve keep their product id');
  r.models.forEach((m, i) => assert.equal(r.resolve(ids[i]!), m, ids[i]));
  assert.equal(new Set(ids).size, ids.length);
  // Named as listed, a -fast id is fast mode (it used to pass through to Anthropic as an unknown model).
  assert.equal(r.resolve('claude-opus-4-8-fast')?.speed, 'fast');
  assert.equal(r.resolve('claude-opus-4-8-fast')?.anthropicId, 'claude-opus-4-8');
  assert.equal(r.resolve('claude-opus-4-7-fast')?.id, 'anthropic/claude-opus-4.7-fast');
  // A config entry reusing an Anthropic id is a variant too.
  const c = createRegistry([{ id: 'anthropic/claude-sonnet-4.6-lab', name: 'Lab Sonnet', context: 1000, anthropicId: 'claude-sonnet-4-6', prices: null }]);
  assert.equal(c.anthropicListId(c.resolve('anthropic/claude-sonnet-4.6-lab')!), 'claude-sonnet-4-6-lab');
  assert.equal(c.anthropicListId(c.resolve('claude-sonnet-4-6')!), 'claude-sonnet-4-6');
});

test('every listed model is priced from a named source or unpriced: all five prices and pricesFrom, or null; never $0 but the free tier (issue 22)', () => {
  const kinds = ['cacheRead', 'cacheWrite1h', 'cacheWrite5m', 'input', 'output'];
  const r = createRegistry();
  for (const m of r.models) {
    if (m.prices === null) {
      assert.equal(m.pricesFrom, undefined, `${m.id}: an unpriced model names no price source`);
      continue;
    }
    const p = m.prices as unknown as Record<string, unknown>;
    assert.deepEqual(Object.keys(p).sort(), kinds, `${m.id}: all five prices`);
    for (const k of kinds) assert.ok(typeof p[k] === 'number' && Number.isFinite(p[k]) && p[k] >= 0, `${m.id}.${k}: ${String(p[k])}`);
    assert.ok(typeof m.pricesFrom === 'string' && m.pricesFrom.trim().length > 0, `${m.id}: pricesFrom names where the prices were read`);
    const free = kinds.every((k) => p[k] === 0);
    assert.equal(free, m.id === 'deepseek/deepseek-v4-flash-free', `${m.id}: only the free tier is priced at $0`);
    if (free) continue;
    assert.ok(m.prices.cacheRead < m.prices.input, `${m.id}: a cache read is a discount`);
    // A written token is billed at least as an input token (meter/cost.ts bills cacheWrite5m for
    // the tokens openai-usage.ts takes out of input): a write price under input would under-bill.
    assert.ok(m.prices.cacheWrite5m >= m.prices.input && m.prices.cacheWrite1h >= m.prices.cacheWrite5m, `${m.id}: write prices`);
  }
});

test("Haiku 5.5 is priced from Anthropic's page under every spelling; Fable 5.2 and Mythos 5.2 are known but unpriced (issue 22)", () => {
  const r = createRegistry();
  const haiku = { input: 0.1, output: 0.5, cacheRead: 0.01, cacheWrite5m: 0.125, cacheWrite1h: 0.2 };
  for (const spelling of ['claude-haiku-5-5', 'anthropic/claude-haiku-5.5', 'claude-haiku-5-5[1m]', 'claude-haiku-5-5-20261007']) {
    const e = r.resolve(spelling);
    assert.equal(e?.id, 'anthropic/claude-haiku-5.5', spelling);
    assert.deepEqual(e?.prices, haiku, spelling);
    assert.match(e?.pricesFrom ?? '', /platform\.claude\.com/, spelling);
  }
  for (const [spelling, id] of [['claude-fable-5-2', 'anthropic/claude-fable-5.2'], ['anthropic/claude-mythos-5.2', 'anthropic/claude-mythos-5.2']] as const) {
    const e = r.resolve(spelling);
    assert.equal(e?.id, id);
    assert.equal(e?.prices, null, `${spelling}: unpriced, never $0`);
    assert.equal(e?.facts?.thinking, 'always', `${spelling}: thinking cannot be turned off`);
    assert.equal(e?.maxOutput, 128000);
  }
});
