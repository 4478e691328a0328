import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RETRY, isRetryableStatus, retryDelayMs } from './retry-policy.ts';

test('retryable: 408, 409, 429 with or without retry-after, 5xx and 529; not other 4xx unless x-should-retry says so', () => {
  for (const s of [408, 409, 429, 500, 502, 503, 504, 529]) assert.equal(isRetryableStatus(s, {}), true, String(s));
  assert.equal(isRetryableStatus(429, { 'retry-after': '3' }), true);
  for (const s of [400, 401, 403, 404, 413]) assert.equal(isRetryableStatus(s, {}), false, String(s));
  assert.equal(isRetryableStatus(400, { 'x-should-retry': 'true' }), true);
});

test('delay: retry-after (seconds or HTTP date) when given, else exponential backoff with jitter, capped', () => {
  assert.equal(retryDelayMs(1, { 'retry-after': '1' }, DEFAULT_RETRY), 1000);
  assert.equal(retryDelayMs(1, { 'retry-after': ['2'] }, DEFAULT_RETRY), 2000);
  const date = retryDelayMs(1, { 'retry-after': new Date(Date.now() + 5000).toUTCString() }, DEFAULT_RETRY);
  assert.ok(date > 3000 && date <= 5000, String(date));
  assert.equal(retryDelayMs(1, {}, DEFAULT_RETRY, () => 0.5), 250);
  assert.equal(retryDelayMs(2, {}, DEFAULT_RETRY, () => 0.5), 500);
  assert.equal(retryDelayMs(1, {}, DEFAULT_RETRY, () => 0), 187.5);
  assert.equal(retryDelayMs(20, {}, DEFAULT_RETRY, () => 1), DEFAULT_RETRY.maxDelayMs);
});
