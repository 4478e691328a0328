import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAIRS } from './pairs.ts';

test('sampling parameters newer Claude models reject are dropped with a warning; older models keep them', () => {
  const chat = { model: 'x', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2, top_p: 0.5 };
  const newer = PAIRS['openai-chat->anthropic']!.translateRequest(structuredClone(chat), { upstreamModel: 'claude-opus-4-8' });
  assert.equal((newer.body as Record<string, unknown>).temperature, undefined);
  assert.equal((newer.body as Record<string, unknown>).top_p, undefined);
  assert.deepEqual(newer.warnings.filter((w) => w.code === 'dropped_field').map((w) => w.param).sort(), ['temperature', 'top_p']);
  const older = PAIRS['openai-chat->anthropic']!.translateRequest(structuredClone(chat), { upstreamModel: 'claude-sonnet-4-6' });
  assert.equal((older.body as Record<string, unknown>).temperature, 0.2);
  const one = PAIRS['openai-chat->anthropic']!.translateRequest({ ...structuredClone(chat), temperature: 1, top_p: 1 }, { upstreamModel: 'claude-opus-4-8' });
  assert.equal((one.body as Record<string, unknown>).temperature, 1);
});
