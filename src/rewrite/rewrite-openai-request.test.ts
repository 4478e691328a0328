import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteOpenAIRequest } from './rewrite-openai-request.ts';
import { CARRIER_PREFIX } from '../translate/responses-via-anthropic/reasoning.ts';

const rewrite = (body: Record<string, unknown>, text = JSON.stringify(body)) => {
  const raw = Buffer.from(text);
  return rewriteOpenAIRequest({ raw, request: JSON.parse(text), upstreamModel: 'openai/gpt-5.5', sessionId: 's1', wantUsageChunk: false });
};

test('Responses input: reasoning items carrying Claude thinking are dropped for another provider; the rest keep their bytes', () => {
  const ours = { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: `${CARRIER_PREFIX}eyJ0eXBlIjoidGhpbmtpbmcifQ` };
  const theirs = { type: 'reasoning', id: 'rs_2', summary: [], encrypted_content: 'gAAAAB-openai-blob' };
  const call = { type: 'function_call', call_id: 'c1', name: 'shell', arguments: '{"cmd": "ls"}' };
  const text = `{"model":"openai/gpt-5.5","input":[ {"role":"user","content":"hi"},\n ${JSON.stringify(ours)}, ${JSON.stringify(call)} ,${JSON.stringify(theirs)} ]}`;
  const out = rewrite({}, text);
  const sent = JSON.parse(out.body.toString()) as { input: Array<{ id?: string; type?: string }> };
  assert.deepEqual(sent.input.map((i) => i.type ?? 'message'), ['message', 'function_call', 'reasoning']);
  assert.equal(sent.input[2]!.id, 'rs_2', "another provider's reasoning item passes untouched");
  assert.ok(out.body.toString().includes(`{"role":"user","content":"hi"},${JSON.stringify(call)},${JSON.stringify(theirs)}]`), 'kept items are the client bytes');
  assert.ok(out.changes.some((c) => c.detail.includes('dropped 1 reasoning item')));
  assert.deepEqual(rewrite({}, text).body, out.body, 'deterministic');
});

test('without carriers the input array is untouched', () => {
  const text = '{"model":"openai/gpt-5.5","prompt_cache_key":"k","input":[ {"role":"user","content":"hi"} ]}';
  assert.equal(rewrite({}, text).body.toString(), text);
});
