import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JsonObject } from '../json/json-object.ts';
import type { MessagesRequest } from '../protocols/anthropic/wire.ts';
import { scriptReply } from './script.ts';
import { request } from './test-fixtures.ts';
import { SIM_SIGNATURE_PREFIX, signThinking, type ThinkingMode } from './thinking.ts';
import { validateRequest } from './validate-request.ts';
import { buildSseEvents, type AnthropicMessage } from './write-response.ts';

const tools = [{ name: 'Bash', input_schema: { type: 'object' } }];
const adaptive = { thinking: { type: 'adaptive' }, output_config: { effort: 'medium' } } as const;
const go = [{ role: 'user' as const, content: 'go' }];

/** The next request of a tool loop after `reply`, replayed as given. */
function next(reply: JsonObject[], extra: Partial<MessagesRequest> = {}): MessagesRequest {
  return request({
    tools, ...adaptive, ...extra,
    messages: [...go, { role: 'assistant', content: reply }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_sim_1', content: 'ok' }] }],
  });
}

const message = (m: string) => (r: ReturnType<typeof validateRequest>) => {
  assert.equal(r.ok, false, 'expected a 400');
  if (!r.ok) {
    assert.equal(r.status, 400);
    assert.equal(r.message, m);
  }
};

test('with thinking on, replies open with a signed thinking block; off, disabled or absent, they do not', () => {
  const reply = scriptReply(request({ tools, messages: go, ...adaptive }));
  const first = reply.content[0]!;
  assert.equal(first.type, 'thinking');
  assert.equal(first.signature, signThinking(String(first.thinking)));
  assert.ok(String(first.signature).startsWith(SIM_SIGNATURE_PREFIX));
  assert.deepEqual(reply.content.slice(1).map((b) => b.type), ['text', 'tool_use']);
  assert.deepEqual(scriptReply(request({ tools, messages: go, ...adaptive })), reply, 'deterministic');
  const budget = scriptReply(request({ tools, messages: go, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 1024 } }));
  assert.equal(budget.content[0]!.type, 'thinking');
  for (const off of [{}, { thinking: { type: 'disabled' } }]) {
    assert.deepEqual(scriptReply(request({ tools, messages: go, ...off })).content.map((b) => b.type), ['text', 'tool_use']);
  }
  // display "omitted": no text, the signature still there (protocols.md 1.5).
  const omitted = scriptReply(request({ tools, messages: go, thinking: { type: 'adaptive', display: 'omitted' } })).content[0]!;
  assert.deepEqual(omitted, { type: 'thinking', thinking: '', signature: first.signature });
});

test('the final assistant turn of a tool loop must start with a thinking block while thinking is on', () => {
  const reply = scriptReply(request({ tools, messages: go, ...adaptive })).content;
  assert.equal(validateRequest(next(reply)).ok, true, 'the reply replayed as received');
  const withoutThinking = reply.slice(1);
  message(
    'messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`. When `thinking` is enabled, a final ' +
      '`assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). ' +
      'We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult ' +
      'our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking',
  )(validateRequest(next(withoutThinking)));
  // "To avoid this requirement, disable thinking": disabled, or no thinking field, is fine.
  assert.equal(validateRequest(next(withoutThinking, { thinking: { type: 'disabled' }, output_config: undefined })).ok, true);
  assert.equal(validateRequest({ ...next(withoutThinking), thinking: undefined }).ok, true);
  // A redacted_thinking block opens the turn as well; a new user prompt (no tool_result) is no tool loop.
  assert.equal(validateRequest(next([{ type: 'redacted_thinking', data: 'EmwK' }, ...withoutThinking])).ok, true);
  const newPrompt = request({ tools, ...adaptive, messages: [...go, { role: 'assistant', content: withoutThinking }, { role: 'user', content: 'thanks' }] });
  assert.equal(validateRequest(newPrompt).ok, true);
});

test('a thinking block the simulator signed must come back unmodified; blocks need their fields', () => {
  const reply = scriptReply(request({ tools, messages: go, ...adaptive })).content;
  const edited = [{ ...reply[0], thinking: `${String(reply[0]!.thinking)} ` }, ...reply.slice(1)];
  message('messages.1.content.0: Invalid `signature` in `thinking` block')(validateRequest(next(edited)));
  message('messages.1.content.0.thinking.signature: Field required')(validateRequest(next([{ type: 'thinking', thinking: 'x' }, ...reply.slice(1)])));
  message('messages.1.content.0.redacted_thinking.data: Field required')(validateRequest(next([{ type: 'redacted_thinking' }, ...reply.slice(1)])));
  // A signature from elsewhere cannot be checked here and passes.
  assert.equal(validateRequest(next([{ type: 'thinking', thinking: 'x', signature: 'EqQBCgIYAhIM' }, ...reply.slice(1)])).ok, true);
});

test('thinking with a forced tool choice is refused', () => {
  message('Thinking may not be enabled when tool_choice forces tool use.')(validateRequest(request({ tools, messages: go, ...adaptive, tool_choice: { type: 'any' } })));
  assert.equal(validateRequest(request({ tools, messages: go, ...adaptive, tool_choice: { type: 'auto' } })).ok, true);
});

test('a streamed thinking block: start with empty text and signature, thinking_delta pieces, signature_delta, stop', () => {
  const content = scriptReply(request({ tools, messages: go, ...adaptive })).content;
  const msg: AnthropicMessage = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content, stop_reason: 'tool_use', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 9, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 }, service_tier: 'standard' } };
  const events = buildSseEvents(msg).map((e) => e.data).filter((d) => d.index === 0);
  assert.deepEqual(events[0], { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } });
  const deltas = events.slice(1, -1).map((d) => d.delta as JsonObject);
  assert.ok(deltas.length >= 2);
  assert.equal(deltas.filter((d) => d.type === 'thinking_delta').map((d) => d.thinking).join(''), content[0]!.thinking);
  assert.deepEqual(deltas.at(-1), { type: 'signature_delta', signature: content[0]!.signature });
  assert.deepEqual(events.at(-1), { type: 'content_block_stop', index: 0 });
  // Omitted display: the signature alone.
  const omitted = buildSseEvents({ ...msg, content: [{ type: 'thinking', thinking: '', signature: 'S' }] }).map((e) => e.data).filter((d) => d.index === 0);
  assert.deepEqual(omitted.map((d) => (d.delta as JsonObject | undefined)?.type ?? d.type), ['content_block_start', 'signature_delta', 'content_block_stop']);
});

test('adaptive thinking the model skips: turn-start thinks only after a user prompt, never not at all; enabled always thinks', () => {
  const types = (r: MessagesRequest, mode: ThinkingMode) => scriptReply(r, 3, mode).content.map((b) => b.type);
  const first = request({ tools, messages: go, ...adaptive });
  assert.deepEqual(types(first, 'turn-start'), ['thinking', 'text', 'tool_use']);
  assert.deepEqual(types(first, 'never'), ['text', 'tool_use']);
  const reply = scriptReply(first, 3, 'turn-start').content;
  const loop = next(reply);
  assert.deepEqual(types(loop, 'turn-start'), ['text', 'tool_use'], 'no thinking between tool calls');
  assert.deepEqual(types(loop, 'every-reply'), ['thinking', 'text', 'tool_use']);
  const budget = { thinking: { type: 'enabled', budget_tokens: 1024 }, output_config: undefined, max_tokens: 4096 };
  assert.equal(types(request({ tools, messages: go, ...budget }), 'never')[0], 'thinking', 'a fixed budget always thinks');
});

test('a tool-loop turn the model answered without thinking is accepted as sent; one it thought on must keep its block', () => {
  // 'never': the reply had no thinking block, so there is none to give back, and thinking stays on.
  const plain = scriptReply(request({ tools, messages: go, ...adaptive }), 3, 'never').content;
  assert.equal(validateRequest(next(plain), 'messages', { thinking: 'never' }).ok, true);
  // 'turn-start': the second tool round's assistant turn has no block (the model did not think between tools) ...
  const r1 = scriptReply(request({ tools, messages: go, ...adaptive }), 3, 'turn-start').content;
  const round2 = next(r1);
  const r2 = scriptReply(round2, 3, 'turn-start').content;
  const round3 = request({ ...round2, messages: [...round2.messages, { role: 'assistant', content: r2 }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_sim_2', content: 'ok' }] }] });
  assert.equal(validateRequest(round3, 'messages', { thinking: 'turn-start' }).ok, true);
  // ... but the first one's block, which the model did write, cannot be dropped.
  assert.equal(validateRequest(next(r1.slice(1)), 'messages', { thinking: 'turn-start' }).ok, false);
  // With a fixed budget the model always thought: a missing block was dropped, whatever the mode.
  const budget = { thinking: { type: 'enabled', budget_tokens: 1024 }, output_config: undefined, max_tokens: 4096 };
  assert.equal(validateRequest(next(r1.slice(1), budget), 'messages', { thinking: 'never' }).ok, false);
});

test('a model that always thinks (Opus 5.5, Fable 5.1) thinks with thinking disabled or absent, under any spelling of its id', () => {
  for (const model of ['claude-opus-5-5', 'anthropic/claude-opus-5.5', 'claude-fable-5-1']) {
    for (const off of [{}, { thinking: { type: 'disabled' } }]) {
      const reply = scriptReply(request({ model, tools, messages: go, ...off }));
      assert.equal(reply.content[0]!.type, 'thinking', `${model} ${JSON.stringify(off)}`);
      assert.equal(validateRequest(request({ model, tools, messages: go, ...off })).ok, true, 'no error for asking it not to think');
    }
  }
  // Thinking it did and the client dropped is still required back in a tool loop.
  const reply = scriptReply(request({ model: 'claude-opus-5-5', tools, messages: go }));
  const stripped = reply.content.filter((b) => b.type !== 'thinking');
  const loop = next(stripped, { model: 'claude-opus-5-5', thinking: { type: 'disabled' } });
  assert.equal(validateRequest(loop).ok, false, 'disabling thinking does not lift the rule on a model that cannot disable it');
  assert.equal(validateRequest(next(reply.content, { model: 'claude-opus-5-5' })).ok, true, 'the block given back is accepted');
  // Sonnet 4.6 is not such a model: disabled means no thinking.
  assert.equal(scriptReply(request({ tools, messages: go, thinking: { type: 'disabled' } })).content[0]!.type, 'text');
});

test('forced tool use is a 400 invalid_request_error on models whose facts forbid it, with or without thinking', () => {
  for (const model of ['claude-opus-5-5', 'anthropic/claude-opus-5.5', 'claude-sonnet-5-5', 'claude-fable-5-1']) {
    for (const tool_choice of [{ type: 'any' }, { type: 'tool', name: 'Bash' }] as const) {
      const r = validateRequest(request({ model, tools, messages: go, tool_choice, thinking: { type: 'disabled' } }));
      assert.equal(r.ok, false, `${model} ${tool_choice.type}`);
      if (!r.ok) {
        assert.deepEqual([r.status, r.type], [400, 'invalid_request_error']);
        assert.match(r.message, /forced tool use/);
      }
    }
    assert.equal(validateRequest(request({ model, tools, messages: go, tool_choice: { type: 'auto' } })).ok, true, `${model} auto`);
  }
  // Opus 4.8 takes a forced choice with thinking off, as before.
  assert.equal(validateRequest(request({ model: 'claude-opus-4-8', tools, messages: go, tool_choice: { type: 'any' } })).ok, true);
});

test('the block opening a tool round must be the one the model wrote for that round: moved from another round, it is refused', () => {
  const r1 = scriptReply(request({ tools, messages: go, ...adaptive })).content;
  const round2 = next(r1);
  const r2 = scriptReply(round2).content;
  const round3 = (reply: JsonObject[]) => request({ ...round2, messages: [...round2.messages, { role: 'assistant', content: reply }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_sim_2', content: 'ok' }] }] });
  assert.equal(validateRequest(round3(r2)).ok, true, 'each round with its own block');
  const bound = 'messages.3.content.0: Invalid `signature` in `thinking` block. The block is bound to a different conversation. Remove the block, ' +
    'or set `thinking.block_binding.prefix_mismatch_behavior` to "drop_block".';
  // Round 1's block (validly signed, unmodified) put in front of round 2's answer.
  message(bound)(validateRequest(round3([r1[0]!, ...r2.slice(1)])));
  // A block where the model did not think ('turn-start': none between tool calls) was not the model's either.
  const plain2 = scriptReply(round2, 3, 'turn-start').content;
  assert.equal(plain2[0]!.type, 'text');
  message(bound)(validateRequest(round3([r1[0]!, ...plain2]), 'messages', { thinking: 'turn-start' }));
  // A signature from elsewhere cannot be checked and passes, as before.
  assert.equal(validateRequest(round3([{ type: 'thinking', thinking: 'x', signature: 'EqQBCgIYAhIM' }, ...r2.slice(1)])).ok, true);
});
