import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CARRIER_PREFIX, NO_THINKING, decodeThinking, encodeThinking, type CarriedBlock } from './reasoning.ts';

const THINKING: CarriedBlock = { type: 'thinking', thinking: 'Run the tests first — then ✍️ notes.\n"quoted"', signature: 'EuYBCkQYAiJA+/=' };
const REDACTED: CarriedBlock = { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4a' };

test('encode: prefixed, versioned, base64url (no padding, no + or /) of the blocks as JSON', () => {
  const s = encodeThinking([THINKING]);
  assert.ok(s.startsWith('srant1:'));
  assert.equal(CARRIER_PREFIX, 'srant1:');
  assert.match(s.slice(7), /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(JSON.parse(Buffer.from(s.slice(7), 'base64url').toString('utf8')), [THINKING]);
});

test('encode is deterministic and independent of the key order the upstream used', () => {
  const shuffled = { signature: THINKING.signature, thinking: (THINKING as { thinking: string }).thinking, type: 'thinking' } as CarriedBlock;
  assert.equal(encodeThinking([shuffled]), encodeThinking([THINKING]));
  assert.equal(encodeThinking([THINKING, REDACTED]), encodeThinking([structuredClone(THINKING), structuredClone(REDACTED)]));
  // Extra fields (e.g. a future one the upstream adds) are not carried: the block goes back as the API documents it.
  assert.equal(encodeThinking([{ ...THINKING, extra: 1 } as CarriedBlock]), encodeThinking([THINKING]));
});

test('decode(encode(x)) is x, in order, with the canonical key order', () => {
  for (const blocks of [[THINKING], [REDACTED], [THINKING, REDACTED], [{ type: 'thinking', thinking: '', signature: 'omitted-display' } as CarriedBlock]]) {
    const d = decodeThinking(encodeThinking(blocks));
    assert.deepEqual(d, { kind: 'ours', blocks });
    if (d.kind === 'ours') assert.equal(JSON.stringify(d.blocks), JSON.stringify(blocks));
  }
});

test('foreign encrypted_content (OpenAI, other providers, none) is not ours', () => {
  for (const v of ['gAAAAABpZ2Vu-opaque-openai-blob', '', 'srant2:abc', 'SRANT1:abc', null, undefined, 42, { a: 1 }]) {
    assert.deepEqual(decodeThinking(v), { kind: 'foreign' }, String(v));
  }
});

test('our prefix on anything encode() did not make is corrupt', () => {
  const b64 = (v: unknown) => CARRIER_PREFIX + Buffer.from(JSON.stringify(v)).toString('base64url');
  const cases: Array<[string, unknown]> = [
    ['not JSON', CARRIER_PREFIX + Buffer.from('{nope').toString('base64url')],
    ['not a list', b64({ type: 'thinking', thinking: 't', signature: 's' })],
    ['text block', b64([{ type: 'text', text: 'hi' }])],
    ['no signature', b64([{ type: 'thinking', thinking: 't' }])],
    ['empty signature', b64([{ type: 'thinking', thinking: 't', signature: '' }])],
    ['empty redacted data', b64([{ type: 'redacted_thinking', data: '' }])],
    ['other key order', b64([{ signature: 's', thinking: 't', type: 'thinking' }])],
    ['extra key', b64([{ type: 'thinking', thinking: 't', signature: 's', cache_control: { type: 'ephemeral' } }])],
    ['padding', encodeThinking([THINKING]) + '='],
  ];
  for (const [label, v] of cases) assert.equal(decodeThinking(v).kind, 'corrupt', label);
});

test('an answer without thinking is the carrier of no blocks', () => {
  assert.equal(NO_THINKING, 'srant1:W10');
  assert.deepEqual(decodeThinking(NO_THINKING), { kind: 'ours', blocks: [] });
  assert.equal(decodeThinking(`${NO_THINKING}=`).kind, 'corrupt');
});
