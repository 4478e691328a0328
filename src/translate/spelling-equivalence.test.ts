/**
 * Issue 22: a model's translated body depends on the model, never on how its id is spelt. For every
 * translator pair and every spelling of a few models (the direct id, the product / OpenRouter id, a
 * dated snapshot where Anthropic has one, Claude Code's `[1m]`), the translated body is the same apart
 * from `model`. The bodies exercise what the facts decide: reasoning effort (thinking style),
 * temperature / top_p (sampling), a forced tool choice, a tool-loop continuation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAIRS } from './pairs.ts';

const SPELLINGS: Readonly<Record<string, readonly string[]>> = {
  'Sonnet 4.5': ['claude-sonnet-4-5', 'anthropic/claude-sonnet-4.5', 'claude-sonnet-4-5-20250929', 'anthropic/claude-sonnet-4-5'],
  'Sonnet 4.6': ['claude-sonnet-4-6', 'anthropic/claude-sonnet-4.6', 'claude-sonnet-4-6[1m]'],
  'Haiku 4.5': ['claude-haiku-4-5', 'anthropic/claude-haiku-4.5', 'claude-haiku-4-5-20251001'],
  'Opus 4.8': ['claude-opus-4-8', 'anthropic/claude-opus-4.8', 'claude-opus-4-8[1m]'],
  'Opus 4.5': ['claude-opus-4-5', 'anthropic/claude-opus-4.5', 'claude-opus-4-5-20251101'],
  'Opus 5.5': ['claude-opus-5-5', 'anthropic/claude-opus-5.5', 'claude-opus-5-5[1m]'],
  'Sonnet 5.5': ['claude-sonnet-5-5', 'anthropic/claude-sonnet-5.5'],
};

const TOOLS_CHAT = [{ type: 'function', function: { name: 'bash', description: 'run', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } } }];
const TOOLS_RESPONSES = [{ type: 'function', name: 'bash', description: 'run', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } }];

const CHAT_BODIES: readonly unknown[] = [
  { model: 'x', messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'hi' }], reasoning_effort: 'high', temperature: 0.2, top_p: 0.5, max_tokens: 8000 },
  { model: 'x', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2 },
  { model: 'x', messages: [{ role: 'user', content: 'hi' }], reasoning_effort: 'none' },
  { model: 'x', messages: [{ role: 'user', content: 'run ls' }], tools: TOOLS_CHAT, tool_choice: 'required', reasoning_effort: 'medium' },
  { model: 'x', messages: [{ role: 'user', content: 'run ls' }], tools: TOOLS_CHAT, tool_choice: { type: 'function', function: { name: 'bash' } } },
  {
    model: 'x', reasoning_effort: 'low', tools: TOOLS_CHAT,
    messages: [
      { role: 'user', content: 'run ls' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'bash', arguments: '{"cmd":"ls"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'a b' },
    ],
  },
];

const RESPONSES_BODIES: readonly unknown[] = [
  { model: 'x', instructions: 'S', input: 'hi', reasoning: { effort: 'high' }, temperature: 0.2, top_p: 0.5, max_output_tokens: 8000 },
  { model: 'x', input: 'hi', temperature: 0.2 },
  { model: 'x', input: 'run ls', tools: TOOLS_RESPONSES, tool_choice: 'required', reasoning: { effort: 'medium' } },
  {
    model: 'x', reasoning: { effort: 'low' }, tools: TOOLS_RESPONSES,
    input: [
      { type: 'message', role: 'user', content: 'run ls' },
      { type: 'function_call', call_id: 'call_1', name: 'bash', arguments: '{"cmd":"ls"}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'a b' },
    ],
  },
];

const ANTHROPIC_BODIES: readonly unknown[] = [
  { model: 'x', max_tokens: 1000, system: 'S', messages: [{ role: 'user', content: 'hi' }], thinking: { type: 'adaptive' }, output_config: { effort: 'high' }, temperature: 0.2 },
  { model: 'x', max_tokens: 1000, messages: [{ role: 'user', content: 'run ls' }], tools: [{ name: 'bash', input_schema: { type: 'object' } }], tool_choice: { type: 'any' } },
];

const BODIES: Readonly<Record<string, readonly unknown[]>> = {
  'openai-chat->anthropic': CHAT_BODIES,
  'openai-responses->anthropic': RESPONSES_BODIES,
  'anthropic->openai-chat': ANTHROPIC_BODIES,
};

/** The translated body without `model`, and the warnings, as JSON (key order included: bytes matter to the cache). */
function translated(pair: string, body: unknown, upstreamModel: string): string {
  const t = PAIRS[pair as keyof typeof PAIRS]!.translateRequest(structuredClone(body), { upstreamModel });
  const { model, ...rest } = t.body as Record<string, unknown>;
  assert.equal(model, upstreamModel);
  return JSON.stringify({ body: rest, warnings: t.warnings });
}

test('every translator pair is covered', () => {
  assert.deepEqual(Object.keys(PAIRS).sort(), Object.keys(BODIES).sort());
});

for (const pair of Object.keys(BODIES)) {
  for (const [name, spellings] of Object.entries(SPELLINGS)) {
    test(`${pair}: every spelling of ${name} gives the same body apart from model`, () => {
      BODIES[pair]!.forEach((body, i) => {
        const first = translated(pair, body, spellings[0]!);
        for (const s of spellings.slice(1)) assert.equal(translated(pair, body, s), first, `body ${i}: ${s} vs ${spellings[0]}`);
      });
    });
  }
}

test('the two bugs of issue 22: Sonnet 4.5 gets a thinking budget and Sonnet 4.6 keeps temperature, under either spelling', () => {
  const chat = PAIRS['openai-chat->anthropic']!;
  for (const m of ['claude-sonnet-4-5', 'anthropic/claude-sonnet-4.5']) {
    const body = chat.translateRequest({ model: 'x', messages: [{ role: 'user', content: 'hi' }], reasoning_effort: 'high', max_tokens: 8000 }, { upstreamModel: m }).body as Record<string, unknown>;
    assert.deepEqual(body.thinking, { type: 'enabled', budget_tokens: 4000 }, m);
  }
  for (const m of ['claude-sonnet-4-6', 'anthropic/claude-sonnet-4.6']) {
    const body = chat.translateRequest({ model: 'x', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2 }, { upstreamModel: m }).body as Record<string, unknown>;
    assert.equal(body.temperature, 0.2, m);
  }
});
