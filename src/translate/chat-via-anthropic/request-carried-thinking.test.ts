// The chat request translator puts the session's kept thinking back (request.ts header; issue 22).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatRequest } from '../shared/wire-openai-chat.ts';
import { carriedById } from '../../session/carried-thinking.ts';
import type { CarriedTurn } from './capture-thinking.ts';
import { translateRequest } from './request.ts';

const tools: ChatRequest['tools'] = [{ type: 'function', function: { name: 'exec', parameters: { type: 'object' } } }];
const loop = (...calls: string[]): ChatRequest => ({
  model: 'm', reasoning_effort: 'high', tools,
  messages: [
    { role: 'user', content: 'go' },
    ...calls.flatMap((id, i): ChatRequest['messages'] => [
      { role: 'assistant', content: i === 0 ? `step ${i}` : null, tool_calls: [{ id, type: 'function', function: { name: 'exec', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: id, content: 'ok' },
    ]),
  ],
});
// Upstream key order differs from Anthropic's documented one: what goes back is the canonical order.
const kept: CarriedTurn[] = [
  { ids: ['call1'], blocks: [{ signature: 'S1', thinking: 'first', type: 'thinking' } as never] },
  { ids: ['call2'], blocks: [{ type: 'redacted_thinking', data: 'R2' }, { type: 'thinking', thinking: '', signature: 'S2' }] },
];

test('an assistant turn whose tool call id names a kept turn opens with its blocks again, in their order and canonical key order; thinking stays on', () => {
  const { body, warnings } = translateRequest(loop('call1', 'call2'), { model: 'claude-sonnet-4-6', carriedThinking: carriedById(kept) });
  assert.deepEqual(body.thinking, { type: 'adaptive' });
  assert.deepEqual(body.output_config, { effort: 'high' });
  assert.deepEqual(warnings, []);
  const [a1, a2] = body.messages.filter((m) => m.role === 'assistant');
  assert.equal(JSON.stringify(a1!.content), '[{"type":"thinking","thinking":"first","signature":"S1"},{"type":"text","text":"step 0"},{"type":"tool_use","id":"call1","name":"exec","input":{}}]');
  assert.deepEqual(a2!.content, [{ type: 'redacted_thinking', data: 'R2' }, { type: 'thinking', thinking: '', signature: 'S2' }, { type: 'tool_use', id: 'call2', name: 'exec', input: {} }]);
  // Copies: the session's objects never go into a body that later stages edit.
  assert.notEqual((a2!.content as unknown[])[0], kept[1]!.blocks[0]);
});

test('the same conversation gives the same bytes turn after turn, the kept blocks included (a byte-stable prefix)', () => {
  const opts = { model: 'claude-sonnet-4-6', carriedThinking: carriedById(kept) };
  const shorter = JSON.stringify(translateRequest(loop('call1'), opts).body.messages);
  const longer = JSON.stringify(translateRequest(loop('call1', 'call2'), opts).body.messages);
  assert.ok(longer.startsWith(shorter.slice(0, -3)), 'the longer conversation opens with the shorter one');
  assert.equal(JSON.stringify(translateRequest(loop('call1', 'call2'), opts).body), JSON.stringify(translateRequest(structuredClone(loop('call1', 'call2')), opts).body));
});

test('a kept turn without blocks (the model did not think) keeps thinking on; a turn not kept turns it off, as before', () => {
  const skipped = carriedById([{ ids: ['call1'], blocks: [] }]);
  const on = translateRequest(loop('call1'), { model: 'claude-sonnet-4-6', carriedThinking: skipped });
  assert.deepEqual([on.body.thinking, on.warnings], [{ type: 'adaptive' }, []]);
  assert.equal((on.body.messages[1]!.content as Array<{ type: string }>)[0]!.type, 'text', 'nothing put in front');
  const off = translateRequest(loop('call9'), { model: 'claude-sonnet-4-6', carriedThinking: skipped });
  assert.deepEqual(off.body.thinking, { type: 'disabled' });
  assert.deepEqual(off.warnings.map((w) => w.code), ['thinking_disabled']);
});

test('any of a turn\'s tool call ids finds it (parallel tool calls)', () => {
  const parallel: ChatRequest = {
    model: 'm', tools,
    messages: [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'exec', arguments: '{}' } }, { id: 'b', type: 'function', function: { name: 'exec', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'a', content: 'ok' },
      { role: 'tool', tool_call_id: 'b', content: 'ok' },
    ],
  };
  const byB = carriedById([{ ids: ['b'], blocks: [{ type: 'thinking', thinking: 't', signature: 'S' }] }]);
  const { body } = translateRequest(parallel, { model: 'claude-opus-5-5', thinkingStyle: 'always', carriedThinking: byB });
  assert.deepEqual((body.messages[1]!.content as Array<{ type: string }>).map((b) => b.type), ['thinking', 'tool_use', 'tool_use']);
});
