import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonBuffer } from '../json/parse-json.ts';
import type { MessagesRequest } from '../protocols/anthropic/types.ts';
import type { ChatRequest } from '../protocols/openai/validate-request.ts';
import { anthropicStable, chatStable, derivedSessionId, fingerprint, type StablePrefix } from './fingerprint.ts';

const derived = (stable: StablePrefix) => derivedSessionId(fingerprint(stable), stable);
/** The derived id from the request's bytes (how Synrouter reads a body) and from the plain object. */
function anthropicIds(body: object): [string, string] {
  const parsed = parseJsonBuffer(Buffer.from(JSON.stringify(body))) as MessagesRequest;
  const stable = anthropicStable(parsed);
  assert.ok(stable.bytes?.firstUser, 'the first user message is read from the bytes');
  const { bytes: _bytes, from: _from, ...plain } = stable;
  return [derived(stable), derived(plain)];
}

const TASK = 'Look at the files in this project and tell me what it does.';
const marker = { type: 'ephemeral' };

// Hermes Agent 0.19.0 marks the system prompt and the last three messages: its first user message
// is a marked one-block list on turns 1-2 and a plain string from turn 3 on (e2e/agents/hermes.test.ts).
test('a first user message written as a string or as its one text block (marked or not) derives the same session', () => {
  const base = { model: 'claude-sonnet-4-6', max_tokens: 100, system: [{ type: 'text', text: 'You are Hermes.', cache_control: marker }], tools: [{ name: 'terminal', input_schema: { type: 'object' } }] };
  const turn = (content: unknown, more: object[] = []) => ({ ...base, messages: [{ role: 'user', content }, ...more] });
  const later = [{ role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'terminal', input: {} }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok', cache_control: marker }] }];
  const ids = [
    ...anthropicIds(turn([{ type: 'text', text: TASK, cache_control: marker }])),
    ...anthropicIds(turn([{ type: 'text', text: TASK }], later)),
    ...anthropicIds(turn(TASK, later)),
  ];
  assert.equal(new Set(ids).size, 1, ids.join(' '));
  const other = anthropicIds(turn('Another task.'));
  assert.notEqual(other[0], ids[0], 'another first message is another conversation');
  assert.equal(other[0], other[1]);
});

test('chat: a string first user message and its one text part derive the same session', () => {
  const chat = (content: unknown) => ({ model: 'm', messages: [{ role: 'system', content: 'You are Hermes.' }, { role: 'user', content }] }) as unknown as ChatRequest;
  assert.equal(derived(chatStable(chat(TASK))), derived(chatStable(chat([{ type: 'text', text: TASK, cache_control: marker }]))));
  assert.notEqual(derived(chatStable(chat(TASK))), derived(chatStable(chat('Another task.'))));
});
