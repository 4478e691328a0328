import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInSlices, runToEnd } from './time-slices.ts';
import { buildPrompt, promptSteps } from './protocols/anthropic/prompt.ts';
import type { MessagesRequest } from './protocols/anthropic/wire.ts';

/** A conversation long enough to take well over one slice to render. */
function longConversation(rounds: number): MessagesRequest {
  const messages: MessagesRequest['messages'] = [];
  for (let i = 0; i < rounds; i++) {
    messages.push({ role: 'assistant', content: [{ type: 'tool_use', id: `tu${i}`, name: 'Read', input: { path: `/f${i}` } }] });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `tu${i}`, content: `line ${i}\n`.repeat(20) }] });
  }
  return { model: 'claude-sonnet-4-6', max_tokens: 1, messages } as MessagesRequest;
}

test('a long prompt rendered in slices lets the event loop run in between, and renders exactly what a straight run renders', async () => {
  const request = longConversation(10_000);
  let turnsOfLoop = 0;
  const ticker = setInterval(() => { turnsOfLoop++; }, 0);
  try {
    const sliced = await runInSlices(promptSteps(request), 1);
    assert.ok(turnsOfLoop > 0, 'timers ran while the prompt was rendered');
    // Fresh objects, so that the straight run does not replay what the sliced one remembered.
    const straight = buildPrompt(structuredClone(request));
    assert.deepEqual(sliced.positions.map((p) => p.hash), straight.positions.map((p) => p.hash));
    assert.equal(sliced.totalTokens, straight.totalTokens);
  } finally {
    clearInterval(ticker);
  }
});

test('runToEnd runs every step without waiting', () => {
  function* steps() { yield; yield; return 3; }
  assert.equal(runToEnd(steps()), 3);
});
