import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestPath, requestUrl } from './request-url.ts';

test('requestPath is the URL parser\'s pathname for plain and unusual targets alike', () => {
  const targets = [
    '/', '', '/api/anthropic/v1/messages', '/api/v1/chat/completions/', '/health', '/api/v1/models?limit=2',
    '/api/anthropic/./v1/messages', '/api/anthropic/v1/../v1/messages', '/api/%61nthropic/v1/messages', '//api/v1/models',
    '/api/v1/messages#x', '/dashboard/app.js', '/admin/api/keys/key_0123/revoke', '/a b', '/ÿ', '/api\\v1', '/api/v1/models/',
  ];
  for (const t of targets) assert.equal(requestPath(t), requestUrl(t).pathname, t);
  assert.equal(requestPath(undefined), '/');
});
