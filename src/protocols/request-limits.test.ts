import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_PROTOCOLS } from './client-protocols.ts';
import { REQUEST_LIMITS } from './request-limits.ts';
import { ProxyError } from '../errors.ts';
import { requestAtTheCaps } from '../testing/request-at-the-caps.ts';

const atTheCaps = () => Buffer.from(JSON.stringify(requestAtTheCaps()));

test('a request at every structure cap passes parsing and validation (the skeleton budget included)', () => {
  const request = CLIENT_PROTOCOLS.messages!.parse(atTheCaps());
  assert.equal(request.tools?.length, REQUEST_LIMITS.tools);
});

test('one block over the total is a BODY_LIMIT 400 that names the cap and the value', () => {
  const body = JSON.parse(atTheCaps().toString()) as { messages: Array<{ content: unknown[] }> };
  body.messages.at(-1)!.content.push({ type: 'text', text: 'one more' }, { type: 'text', text: 'and another' }, { type: 'text', text: 'and one more' }, { type: 'text', text: 'past the cap' }, { type: 'text', text: 'now' });
  assert.throws(() => CLIENT_PROTOCOLS.messages!.parse(Buffer.from(JSON.stringify(body))), (err: unknown) =>
    err instanceof ProxyError && err.code === 'BODY_LIMIT' && err.status === 400 && new RegExp(`has ${REQUEST_LIMITS.blocks + 1} content blocks in all.*limit of ${REQUEST_LIMITS.blocks}`).test(err.message));
});
