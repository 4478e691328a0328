/**
 * Shadow mode: a shadow key's requests go upstream exactly as the client sent them, while the ledger
 * records what the cache engine would have done and what that would have cost (Synrouter's cache
 * model), so a team sees the value before letting Synrouter rewrite anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startStack } from './support/stack.ts';

const SYSTEM = 'You are a careful coding agent. '.repeat(300);
const tools: Anthropic.Tool[] = [{ name: 'Bash', description: 'Run a command. '.repeat(60), input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } }];

test('shadow key: client bytes untouched upstream; the ledger shows what the engine would have saved', async () => {
  const stack = await startStack();
  try {
    const { key, record } = await stack.app.deps.keys.create({ name: 'shadow', mode: 'coding', shadow: true });
    const admin = (await stack.app.deps.keys.create({ name: 'admin', role: 'admin' })).key;
    const client = new Anthropic({ apiKey: key, baseURL: stack.anthropicBase, maxRetries: 0 });
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Run the tests.' }];
    const sentByClient: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const params = { model: 'claude-sonnet-4-6', max_tokens: 256, system: SYSTEM, tools, messages: structuredClone(messages) };
      sentByClient.push(structuredClone(params));
      const reply = await client.messages.create(params);
      messages.push({ role: 'assistant', content: reply.content });
      if (reply.stop_reason !== 'tool_use') break;
      const call = reply.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
      messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'ok' }] });
    }
    const upstream = stack.sim.requests.slice(-sentByClient.length).map((r) => r.body);
    assert.deepEqual(upstream, sentByClient, 'the upstream received exactly what the client sent');
    assert.ok(!JSON.stringify(upstream).includes('cache_control'));

    const rows = (await stack.turns()).filter((r) => r.key_id === record.id);
    assert.equal(rows.length, sentByClient.length);
    for (const r of rows) {
      assert.equal(r.cache_read_tokens, 0, 'nothing was cached: the client marks nothing');
      const engine = JSON.parse(r.engine!) as Array<{ kind: string; detail: string }>;
      assert.equal(engine[0]!.kind, 'shadow');
      assert.ok(engine.some((c) => c.kind === 'breakpoint'), 'what the engine would have placed');
    }
    assert.ok(rows.slice(1).every((r) => r.cost_shadow_usd! < r.cost_usd! * 0.5), 'with the engine, later turns would have cost less than half');

    const overview = await (await fetch(`${stack.app.url}/admin/api/overview`, { headers: { authorization: `Bearer ${admin}` } })).json() as { shadow: { turns: number; wouldSaveUsd: number } };
    const expected = rows.reduce((n, r) => n + r.cost_usd! - r.cost_shadow_usd!, 0);
    assert.equal(overview.shadow.turns, rows.length);
    assert.ok(Math.abs(overview.shadow.wouldSaveUsd - expected) < 1e-12);

    // Switching shadow off: the next turn is rewritten for real.
    const patch = await fetch(`${stack.app.url}/admin/api/keys/${record.id}`, { method: 'PATCH', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ shadow: false }) });
    assert.equal(patch.status, 200);
    await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, system: SYSTEM, tools, messages: [...messages, { role: 'user', content: 'and now?' }] });
    assert.ok(JSON.stringify(stack.sim.requests.at(-1)!.body).includes('cache_control'));
  } finally {
    await stack.close();
  }
});

test('a shadow key turned off never trims a tool result that shadow mode forwarded whole', async () => {
  const stack = await startStack();
  try {
    const { key, record } = await stack.app.deps.keys.create({ name: 'shadow-trim', mode: 'coding', shadow: true });
    const client = new Anthropic({ apiKey: key, baseURL: stack.anthropicBase, maxRetries: 0 });
    // Over the coding mode's trim threshold (README: 40k characters): the engine would trim it.
    const verbose = Array.from({ length: 3000 }, (_, i) => `line ${i}: ${'x'.repeat(20)}`).join('\n');
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'Run the tests.' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_big', name: 'Bash', input: { command: 'npm test' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_big', content: verbose }] },
    ];
    await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, system: SYSTEM, tools, messages });
    const shadowRow = (await stack.turns()).filter((r) => r.key_id === record.id).at(-1)!;
    assert.ok(JSON.parse(shadowRow.engine!).some((c: { kind: string }) => c.kind === 'trim'), 'the engine would have trimmed it');
    assert.ok(JSON.stringify(stack.sim.requests.at(-1)!.body).includes(JSON.stringify(verbose)), 'shadow forwarded it whole');

    await stack.app.deps.keys.setShadow(record.id, false);
    messages.push({ role: 'assistant', content: 'Done.' }, { role: 'user', content: 'And now?' });
    await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, system: SYSTEM, tools, messages });
    const sent = JSON.stringify(stack.sim.requests.at(-1)!.body);
    assert.ok(sent.includes('cache_control'), 'the engine works for real now');
    assert.ok(sent.includes(JSON.stringify(verbose)), 'the block already forwarded whole is forwarded whole again');
    const row = (await stack.turns()).filter((r) => r.key_id === record.id).at(-1)!;
    assert.ok(!JSON.parse(row.engine!).some((c: { kind: string }) => c.kind === 'trim'));
  } finally {
    await stack.close();
  }
});
