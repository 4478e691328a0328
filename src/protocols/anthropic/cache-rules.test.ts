import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseModelId, DEFAULT_MIN_CACHEABLE_TOKENS, minCacheableTokens } from './cache-rules.ts';

test('the minimum cacheable length is the same for a model under any of its ids (protocols.md 2.6)', () => {
  assert.equal(minCacheableTokens('claude-haiku-4-5'), 4096);
  assert.equal(minCacheableTokens('claude-haiku-4-5-20251001'), 4096, 'snapshot suffix');
  assert.equal(minCacheableTokens('anthropic/claude-haiku-4.5'), 4096, "OpenRouter's id");
  assert.equal(minCacheableTokens('anthropic/claude-opus-4.7'), 2048);
  assert.equal(baseModelId('anthropic/claude-sonnet-4.6'), 'claude-sonnet-4-6');
  assert.equal(minCacheableTokens('claude-unknown-9'), DEFAULT_MIN_CACHEABLE_TOKENS);
});
