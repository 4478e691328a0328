import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANTHROPIC_MODELS, UNKNOWN_CLAUDE, baseModelId, claudeLine, isClaudeId, modelFacts, productSpelling } from './model-facts.ts';

test('every spelling of one model is one base id', () => {
  for (const s of ['claude-sonnet-4-5', 'claude-sonnet-4-5-20250929', 'anthropic/claude-sonnet-4.5', 'anthropic/claude-sonnet-4-5', 'claude-sonnet-4.5', 'claude-sonnet-4-5[1m]', 'anthropic/claude-sonnet-4.5[1m]']) {
    assert.equal(baseModelId(s), 'claude-sonnet-4-5', s);
  }
  assert.equal(baseModelId('claude-opus-5-5'), 'claude-opus-5-5');
  assert.equal(baseModelId('deepseek/deepseek-v4-flash'), 'deepseek/deepseek-v4-flash', 'other vendors are left alone');
  assert.equal(isClaudeId('anthropic/claude-opus-5.5'), true);
  assert.equal(isClaudeId('gpt-5.5'), false);
  assert.equal(productSpelling('claude-opus-5-5'), 'claude-opus-5.5');
  assert.equal(productSpelling('claude-opus-4'), 'claude-opus-4');
});

test('facts are keyed by the model: the spellings that used to disagree now agree (issue 22)', () => {
  assert.deepEqual(modelFacts('anthropic/claude-sonnet-4.5'), modelFacts('claude-sonnet-4-5'));
  assert.equal(modelFacts('anthropic/claude-sonnet-4.5').thinking, 'budget', 'Sonnet 4.5 takes a thinking budget, not adaptive');
  assert.equal(modelFacts('anthropic/claude-sonnet-4.6').sampling, modelFacts('claude-sonnet-4-6').sampling);
  assert.equal(modelFacts('anthropic/claude-opus-4.8-fast').minCacheableTokens, 1024, 'a -fast variant is its base model');
  assert.equal(modelFacts('claude-unknown-9'), UNKNOWN_CLAUDE);
});

test("Claude's current lineup: always-on thinking and no forced tool use where vendor-caching.md says so", () => {
  assert.deepEqual(modelFacts('claude-opus-5-5'), { thinking: 'always', forcedToolChoice: false, sampling: 'default-only', minCacheableTokens: null, fastMode: 'fast' });
  assert.equal(modelFacts('anthropic/claude-opus-4.7').fastMode, 'error', 'protocols.md 3.2');
  assert.equal(modelFacts('claude-fable-5-1').thinking, 'always');
  assert.equal(modelFacts('claude-fable-5-1').minCacheableTokens, 512, 'protocols.md 2.6');
  assert.equal(modelFacts('claude-sonnet-5-5').forcedToolChoice, false);
  assert.equal(modelFacts('claude-opus-5').thinking, 'adaptive', 'Opus 5 can still disable thinking');
  assert.equal(claudeLine('anthropic/claude-fable-5.1'), 'fable');
  assert.equal(claudeLine('gpt-5.5'), null);
});

test('every row is complete, and a price is all five numbers or none (never a guessed part)', () => {
  for (const [id, row] of Object.entries(ANTHROPIC_MODELS)) {
    assert.ok(['none', 'budget', 'adaptive', 'always'].includes(row.thinking), id);
    assert.equal(typeof row.forcedToolChoice, 'boolean', id);
    assert.ok(['any', 'default-only'].includes(row.sampling), id);
    assert.ok(row.minCacheableTokens === null || row.minCacheableTokens > 0, id);
    if (row.prices) for (const v of Object.values(row.prices)) assert.equal(typeof v, 'number', id);
    if (row.prices) assert.ok(row.pricesFrom, `${id}: prices say where they were read`);
  }
});
