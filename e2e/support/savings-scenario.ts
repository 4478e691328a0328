/**
 * A small, real workload for the savings views (admin API, dashboard, CLI): agent sessions through a
 * running Synrouter with the official SDK, on a manual clock so that a cache TTL can run out.
 *
 *   session A  Claude Code's own session id (metadata.user_id), tool loop, then a pause past the TTL
 *              and two more turns (a miss with a reason and a cost)
 *   session B  a client that sends no session id (derived id), streamed
 *   session C  a model the registry has no prices for (Mythos Preview: protocols.md §3.1 prices none;
 *              tokens counted, dollars unknown)
 *   session D  a client that caches on its own (Claude Code's markers: what it would have cost alone is
 *              well under no caching), then idles: keep-alive pings, and it never comes back, so
 *              the pings saved nothing and Synrouter cost more than the client alone (a negative saving)
 *   one turn   rejected by Synrouter (400), so error rows are in the mix
 */
import Anthropic from '@anthropic-ai/sdk';
import { ManualClock } from '../../src/simulator/clock.ts';
import { startStack, type Stack } from './stack.ts';

export interface Scenario {
  stack: Stack;
  clock: ManualClock;
  adminKey: string;
  adminKeyId: string;
  /** Session ids, as the ledger has them. */
  sessions: { a: string; b: string; c: string; d: string };
}

const SYSTEM = 'You are a meticulous coding agent. Follow the repository conventions. '.repeat(150);
const tools: Anthropic.Tool[] = ['Bash', 'Read', 'Edit'].map((name) => ({
  name, description: `${name} tool. `.repeat(80), input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
}));

export async function runSavingsScenario(): Promise<Scenario> {
  const clock = new ManualClock(Date.now() - 3 * 3_600_000);
  const stack = await startStack({ simulator: { clock } });
  const admin = await stack.app.deps.keys.create({ name: 'e2e admin', role: 'admin' });
  const client = new Anthropic({ apiKey: stack.key, baseURL: stack.anthropicBase, maxRetries: 0 });

  const loop = async (task: string, opts: { model?: string; stream?: boolean; metadata?: Anthropic.Metadata; messages?: Anthropic.MessageParam[]; maxTurns?: number } = {}) => {
    const messages = opts.messages ?? [{ role: 'user', content: task }];
    for (let i = 0; i < (opts.maxTurns ?? 6); i++) {
      const params = { model: opts.model ?? 'claude-sonnet-4-6', max_tokens: 512, system: SYSTEM, tools, messages, ...(opts.metadata ? { metadata: opts.metadata } : {}) };
      const reply = opts.stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
      clock.advance(20_000);
      messages.push({ role: 'assistant', content: reply.content });
      if (reply.stop_reason !== 'tool_use') break;
      const call = reply.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
      messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: `output of ${call.id}\n` + 'log line\n'.repeat(60) }] });
    }
    return messages;
  };

  const metadata = { user_id: JSON.stringify({ device_id: 'd', account_uuid: '', session_id: 'cc-savings-1' }) };
  const a = await loop('Fix the failing test in src/app.ts', { metadata });
  // A long pause: the cached prefix expires, the next turn re-writes it (a miss with a reason and a cost).
  clock.advance(2 * 3_600_000);
  a.push({ role: 'user', content: 'Now also update the changelog.' });
  await loop('', { metadata, messages: a, maxTurns: 2 });

  await loop('Rename the config loader', { stream: true });
  await loop('Summarise the design notes', { model: 'claude-mythos-preview', metadata: { user_id: JSON.stringify({ session_id: 'cc-unpriced-1' }) }, maxTurns: 2 });

  // Session D: Claude Code's own markers: its system prompt, and the last block of the last message
  // (the marker moves each turn). A follow-up 20 s later reads what the first turn cached.
  const history: Anthropic.MessageParam[] = [];
  for (const [i, text] of ['Explain the build script.', 'And the test script?'].entries()) {
    if (i > 0) {
      clock.advance(20_000);
      history.push({ role: 'assistant', content: 'It runs tsc, then bundles src/.' });
    }
    history.push({ role: 'user', content: [{ type: 'text', text }] });
    const last: Anthropic.MessageParam = { role: 'user', content: [{ type: 'text', text, cache_control: { type: 'ephemeral' } }] };
    await client.messages.create({
      model: 'claude-sonnet-4-6', max_tokens: 512, tools, messages: [...history.slice(0, -1), last],
      system: [{ type: 'text', text: SYSTEM.repeat(2), cache_control: { type: 'ephemeral' } }],
      metadata: { user_id: JSON.stringify({ session_id: 'cc-idle-1' }) },
    });
  }
  // 20 idle minutes: the keep-alive pings on the simulator's clock (about every 4.5 minutes); nobody comes back.
  for (let t = 0; t < 20 * 60; t += 30) {
    clock.advance(30_000);
    await stack.app.deps.keepalive.tick(clock.now());
  }
  // Rejected before the upstream (max_tokens missing): an error row with no tokens.
  await fetch(`${stack.anthropicBase}/v1/messages`, {
    method: 'POST', headers: { 'x-api-key': stack.key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }], metadata }),
  });

  const rows = (await stack.turns());
  const b = rows.find((r) => r.session_id?.startsWith('drv_'))?.session_id;
  if (!b) throw new Error('scenario: no derived session in the ledger');
  if (!rows.some((r) => r.session_id === 'cc-idle-1' && r.kind === 'keepalive')) throw new Error('scenario: session D was not pinged');
  return { stack, clock, adminKey: admin.key, adminKeyId: admin.record.id, sessions: { a: 'cc-savings-1', b, c: 'cc-unpriced-1', d: 'cc-idle-1' } };
}
