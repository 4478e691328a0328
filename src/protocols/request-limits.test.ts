import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_PROTOCOLS } from './client-protocols.ts';
import { REQUEST_LIMITS } from './request-limits.ts';
import { ProxyError } from '../errors.ts';

/** An agent-shaped request at every cap: 1,000 tools with schemas, 50,000 blocks in tool rounds. */
function atTheCaps(): Buffer {
  const tools = Array.from({ length: REQUEST_LIMITS.tools }, (_, i) => ({ name: `t${i}`, description: 'd', input_schema: { type: 'object', properties: { path: { type: 'string', description: 'p' }, opts: { type: 'object', properties: { a: { type: 'integer' } } } }, required: ['path'] } }));
  const messages: unknown[] = [];
  let blocks = 1;
  for (let r = 0; blocks + 5 <= REQUEST_LIMITS.blocks; r++, blocks += 5) {
    messages.push({ role: 'assistant', content: [{ type: 'text', text: 'x' }, { type: 'tool_use', id: `tu${r}`, name: 't1', input: { path: '/a', opts: { a: 1 }, list: [1, 2] } }] });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `tu${r}`, content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }] });
  }
  return Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 1, system: [{ type: 'text', text: 's' }], tools, messages }));
}

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
