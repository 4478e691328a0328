/**
 * /metrics under junk model names sent as real requests (issue 21): hundreds of names with NUL, ESC,
 * CR, quotes and newlines, and more Claude-looking ids than the label budget, then one real turn.
 * The real model's series (tokens, cost) are correct and labelled with its registry id; the junk is
 * 'unknown'; the exposition parses strictly, with no raw control characters in it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type Stack } from './support/stack.ts';
import { parsePrometheus, sampleValue } from '../src/testing/parse-prometheus.ts';

let stack: Stack;
let adminKey: string;
before(async () => {
  stack = await startStack();
  ({ key: adminKey } = await stack.app.deps.keys.create({ name: 'admin', role: 'admin' }));
});
after(() => stack.close());

const post = (model: string) => fetch(`${stack.anthropicBase}/v1/messages`, {
  method: 'POST', headers: { 'x-api-key': stack.key, 'content-type': 'application/json' },
  body: JSON.stringify({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
}).then(async (r) => { await r.body?.cancel(); return r.status; });

/** Runs `n` requests, `width` at a time (under the key's in-flight limit). */
async function pool(n: number, width: number, one: (i: number) => Promise<number>): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => { while (next < n) statuses.push(await one(next++)); }));
  return statuses;
}

test('junk model names do not become labels or push the real model into "other"; its series are correct', async () => {
  const tricks = ['\u0000', '\x1b[2J', '\r', '"', '\n', '\\', '\u202e', '\x7f', '} 1\n# TYPE x counter\nx{a="'];
  const junk = await pool(300, 16, (i) => post(`junk-${i}${tricks[i % tricks.length]}`));
  assert.deepEqual([...new Set(junk)], [404], 'names the registry does not know are refused');
  // Claude-looking ids resolve (they pass through to Anthropic) and the simulator answers them.
  const claudeish = await pool(150, 16, (i) => post(`claude-junk-${i}`));
  assert.deepEqual([...new Set(claudeish)], [200]);
  assert.equal(await post('claude-sonnet-4-6'), 200);

  const res = await fetch(`${stack.app.url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } });
  assert.equal(res.status, 200);
  const p = parsePrometheus(await res.text());
  const real = (await stack.turns()).filter((r) => r.requested_model === 'claude-sonnet-4-6');
  assert.equal(real.length, 1);
  const row = real[0]!;
  const model = 'anthropic/claude-sonnet-4.6';
  assert.equal(sampleValue(p, 'synrouter_turns_total', { kind: 'turn', model, status: '200' }), 1);
  for (const [kind, tokens] of [['input', row.input_tokens], ['cache_read', row.cache_read_tokens], ['cache_write_5m', row.cache_write_5m_tokens], ['output', row.output_tokens]] as const) {
    assert.equal(sampleValue(p, 'synrouter_tokens_total', { kind, model }), tokens || undefined, `${kind} tokens`);
  }
  assert.ok(row.cost_usd! > 0);
  assert.ok(Math.abs(sampleValue(p, 'synrouter_cost_usd_total', { model })! - row.cost_usd!) < 1e-12, 'cost');

  assert.equal(sampleValue(p, 'synrouter_turns_total', { kind: 'turn', model: 'unknown', status: '404' }), 300);
  const models = new Set(p.samples.map((s) => s.labels.model).filter((m) => m !== undefined));
  for (const m of models) assert.match(m, /^(unknown|other|anthropic\/claude-sonnet-4\.6|anthropic\/claude-junk-\d+)$/, 'only registry ids');
  assert.equal(models.size, 2 + 100 + 1, 'the real model, unknown, the first 100 unlisted ids and other');
  assert.equal(sampleValue(p, 'synrouter_turns_total', { kind: 'turn', model: 'other', status: '200' }), 50);
});
