import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessagesRequest } from '../protocols/anthropic/wire.ts';
import type { ChatRequest, ResponsesRequest } from '../protocols/openai/validate-request.ts';
import { parseJsonBuffer } from '../json/parse-json.ts';
import { anthropicStable, chatStable, derivedSessionId, fingerprint, responsesStable, type StablePrefix } from './fingerprint.ts';

const id = (stable: StablePrefix) => derivedSessionId(fingerprint(stable), stable);
const PROMPT = '[Thu 2026-12-03 17:55 UTC] Look at the files in this project and tell me what it does.';
const anthropic = (first: MessagesRequest['messages'][number]['content'], more: MessagesRequest['messages'] = []): MessagesRequest => ({
  model: 'claude-sonnet-4-6', max_tokens: 100,
  system: [{ type: 'text', text: 'You are OpenClaw.', cache_control: { type: 'ephemeral' } }],
  tools: [{ name: 'exec', input_schema: { type: 'object' } }],
  messages: [{ role: 'user', content: first }, ...more],
});
/** As the server sees it: parsed from the bytes (the id is then hashed from them where it can). */
const parsed = (r: object) => anthropicStable(parseJsonBuffer(Buffer.from(JSON.stringify(r))) as MessagesRequest);

test('one session: the first prompt as a one-block list with its marker (first run) or as a string (the next run replays it)', () => {
  const firstRun = anthropic([{ type: 'text', text: PROMPT, cache_control: { type: 'ephemeral' } }]);
  const nextRun = anthropic(PROMPT, [{ role: 'assistant', content: [{ type: 'text', text: 'Done.' }] }, { role: 'user', content: 'Now count the lines.' }]);
  assert.equal(id(parsed(firstRun)), id(parsed(nextRun)));
  assert.equal(id(anthropicStable(firstRun)), id(parsed(nextRun)), 'from the bytes or the objects alike');
  assert.equal(id(parsed(anthropic([{ type: 'text', text: PROMPT }]))), id(parsed(firstRun)));
  // Chat and Responses: the same text as a string or as one text part.
  const chat = (content: ChatRequest['messages'][number]['content']) => chatStable({ model: 'm', messages: [{ role: 'system', content: 'sys' }, { role: 'user', content }] } as ChatRequest);
  assert.equal(id(chat([{ type: 'text', text: PROMPT }])), id(chat(PROMPT)));
  const responses = (content: unknown) => responsesStable({ model: 'm', input: [{ type: 'message', role: 'user', content }] } as ResponsesRequest);
  assert.equal(id(responses([{ type: 'input_text', text: PROMPT }])), id(responses(PROMPT)));
});

test('really different first prompts stay different sessions', () => {
  const base = id(parsed(anthropic(PROMPT)));
  assert.notEqual(id(parsed(anthropic(`${PROMPT}!`))), base, 'another text');
  assert.notEqual(id(parsed(anthropic([{ type: 'text', text: PROMPT.slice(0, 20) }, { type: 'text', text: PROMPT.slice(20) }]))), base, 'two blocks are not the string they join to');
  assert.notEqual(id(parsed(anthropic([{ type: 'text', text: PROMPT, citations: [] } as never]))), base, 'a block with more than its text');
  assert.notEqual(id(parsed({ ...anthropic(PROMPT), system: [{ type: 'text', text: 'You are someone else.' }] })), base, 'another system prompt');
});

const derived = (stable: StablePrefix) => derivedSessionId(fingerprint(stable), stable);
/** The derived id from the request's bytes (how Synrouter reads a body) and from the plain object. */
function anthropicIds(body: object): [string, string] {
  const parsed = parseJsonBuffer(Buffer.from(JSON.stringify(body))) as MessagesRequest;
  const stable = anthropicStable(parsed);
  const { bytes: _bytes, from: _from, ...plain } = stable;
  return [derived(stable), derived(plain)];
}

const HERMES_TASK = 'Look at the files in this project and tell me what it does.';
const marker = { type: 'ephemeral' };

// Hermes Agent 0.19.0 marks the system prompt and the last three messages: its first user message
// is a marked one-block list on turns 1-2 and a plain string from turn 3 on (e2e/agents/hermes.test.ts).
test('a first user message written as a string or as its one text block (marked or not) derives the same session', () => {
  const base = { model: 'claude-sonnet-4-6', max_tokens: 100, system: [{ type: 'text', text: 'You are Hermes.', cache_control: marker }], tools: [{ name: 'terminal', input_schema: { type: 'object' } }] };
  const turn = (content: unknown, more: object[] = []) => ({ ...base, messages: [{ role: 'user', content }, ...more] });
  const later = [{ role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'terminal', input: {} }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok', cache_control: marker }] }];
  const ids = [
    ...anthropicIds(turn([{ type: 'text', text: HERMES_TASK, cache_control: marker }])),
    ...anthropicIds(turn([{ type: 'text', text: HERMES_TASK }], later)),
    ...anthropicIds(turn(HERMES_TASK, later)),
  ];
  assert.equal(new Set(ids).size, 1, ids.join(' '));
  const other = anthropicIds(turn('Another task.'));
  assert.notEqual(other[0], ids[0], 'another first message is another conversation');
  assert.equal(other[0], other[1]);
});

test('chat: a string first user message and its one text part derive the same session', () => {
  const chat = (content: unknown) => ({ model: 'm', messages: [{ role: 'system', content: 'You are Hermes.' }, { role: 'user', content }] }) as unknown as ChatRequest;
  assert.equal(derived(chatStable(chat(HERMES_TASK))), derived(chatStable(chat([{ type: 'text', text: HERMES_TASK, cache_control: marker }]))));
  assert.notEqual(derived(chatStable(chat(HERMES_TASK))), derived(chatStable(chat('Another task.'))));
});
