/**
 * Claude's thinking through a Responses tool loop: the official `openai` SDK, as Codex drives it
 * (store:false, include reasoning.encrypted_content, reasoning effort set, the answer's output items
 * appended to the next input), through Synrouter to the Anthropic simulator, which signs its thinking
 * blocks and refuses a tool-loop continuation whose assistant turn does not start with one.
 *
 * Synrouter hands the thinking blocks out inside reasoning items and puts them back on the next
 * request, so thinking stays on (same thinking config and effort on every turn), the simulator
 * accepts every request, and every turn after the first reads the cache, each one more than the
 * last (the thinking config never changes, so the messages part of the cache is never invalidated).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startStack, type Stack } from './support/stack.ts';
import { signThinking } from '../src/simulator/thinking.ts';

let stack: Stack;
let client: OpenAI;
before(async () => {
  stack = await startStack();
  client = new OpenAI({ apiKey: stack.key, baseURL: stack.openaiBase, maxRetries: 0 });
});
after(() => stack.close());

const SYSTEM = 'You are a coding agent in a large repository; think before you act. '.repeat(120);
const tools: OpenAI.Responses.Tool[] = [{ type: 'function', name: 'exec_command', description: 'Run a command. '.repeat(40), parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] }, strict: false }];

interface Upstream { thinking?: unknown; output_config?: unknown; messages: Array<{ role: string; content: Array<Record<string, unknown>> | string }> }

for (const stream of [true, false]) {
  test(`Responses ${stream ? 'streaming' : 'JSON'} tool loop with reasoning effort: thinking stays on and the cache reads from turn 2`, async () => {
    const model = 'anthropic/claude-sonnet-4.6';
    const startRows = (await stack.turns()).length;
    const startSim = stack.sim.requests.length;
    // A system prompt of its own per test: turn 1 meets a cold cache.
    const input: OpenAI.Responses.ResponseInput = [{ role: 'developer', content: `${stream ? 'Streaming.' : 'JSON.'} ${SYSTEM}` }, { role: 'user', content: 'Run the tests please.' }];
    const reasoningItems: OpenAI.Responses.ResponseReasoningItem[] = [];
    let final = '';
    for (let i = 0; i < 8; i++) {
      const params = {
        model, input, tools, store: false, include: ['reasoning.encrypted_content' as const],
        reasoning: { effort: 'medium' as const, summary: 'auto' as const }, prompt_cache_key: `thinking-${stream}`,
      };
      let output: OpenAI.Responses.ResponseOutputItem[];
      if (stream) {
        // As Codex does: the items of output_item.done events, in order (the SDK says to replay those).
        output = [];
        let completed: OpenAI.Responses.Response | undefined;
        for await (const ev of await client.responses.create({ ...params, stream: true })) {
          if (ev.type === 'response.output_item.done') output.push(ev.item);
          if (ev.type === 'response.completed') completed = ev.response;
        }
        assert.ok(completed, 'response.completed arrives');
        assert.deepEqual(completed!.output, output, 'the final response lists the items the done events carried');
      } else {
        output = (await client.responses.create({ ...params, stream: false })).output;
      }
      reasoningItems.push(...output.filter((o): o is OpenAI.Responses.ResponseReasoningItem => o.type === 'reasoning'));
      input.push(...(output as OpenAI.Responses.ResponseInputItem[]));
      const calls = output.filter((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call');
      if (!calls.length) {
        final = output.flatMap((o) => (o.type === 'message' ? o.content : [])).map((c) => (c.type === 'output_text' ? c.text : '')).join('');
        break;
      }
      for (const c of calls) input.push({ type: 'function_call_output', call_id: c.call_id, output: `ok: ${c.call_id}` });
    }
    assert.match(final, /^Done after 3 tool calls\./, 'the loop ran its three tool rounds and answered');

    // Every answer thought, and said so as a reasoning item with a summary and a carrier.
    assert.equal(reasoningItems.length, 4);
    for (const r of reasoningItems) {
      assert.equal(r.summary.length, 1);
      assert.match(r.encrypted_content ?? '', /^srant1:[A-Za-z0-9_-]+$/);
    }

    const sims = stack.sim.requests.slice(startSim).filter((r) => r.path === '/v1/messages');
    assert.equal(sims.length, 4);
    assert.ok(sims.every((r) => r.status === 200), `the simulator accepted every request: ${sims.map((r) => r.status).join(', ')}`);
    sims.forEach((r, n) => {
      const body = r.body as Upstream;
      assert.deepEqual(body.thinking, { type: 'adaptive' }, `turn ${n + 1}: thinking on`);
      assert.deepEqual(body.output_config, { effort: 'medium' }, `turn ${n + 1}: same effort`);
      // Each earlier answer's assistant turn opens with the thinking block the simulator signed, unchanged.
      const assistants = body.messages.filter((m) => m.role === 'assistant');
      assert.equal(assistants.length, n);
      for (const a of assistants) {
        const first = (a.content as Array<Record<string, unknown>>)[0]!;
        assert.equal(first.type, 'thinking');
        assert.equal(first.signature, signThinking(String(first.thinking)));
        assert.deepEqual(Object.keys(first), ['type', 'thinking', 'signature']);
      }
    });

    const rows = (await stack.turns()).slice(startRows);
    assert.equal(rows.length, 4);
    assert.ok(rows.every((r) => r.status === 200 && r.endpoint === 'responses' && r.provider === 'anthropic'));
    assert.ok(rows[0]!.cache_write_5m_tokens + rows[0]!.cache_write_1h_tokens > 0, 'turn 1 writes the cache');
    for (let n = 1; n < rows.length; n++) {
      const prev = rows[n - 1]!;
      const r = rows[n]!;
      assert.ok(r.cache_read_tokens > 0, `turn ${n + 1} reads the cache`);
      // Nothing invalidated: this turn reads at least all the previous turn read and wrote.
      assert.ok(
        r.cache_read_tokens >= prev.cache_read_tokens + prev.cache_write_5m_tokens + prev.cache_write_1h_tokens,
        `turn ${n + 1}: read ${r.cache_read_tokens}, previous read ${prev.cache_read_tokens} + wrote ${prev.cache_write_5m_tokens + prev.cache_write_1h_tokens}`,
      );
    }
  });
}
