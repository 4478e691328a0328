import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trimText } from './trim-tool-results.ts';
import { chooseTtl } from './choose-ttl.ts';
import { classifyTool, layerTools } from './layer-tools.ts';

test('trimText keeps a head and a tail, says what it cut, and is deterministic', () => {
  const text = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`).join('\n');
  const out = trimText(text, 2000, 1000);
  assert.ok(out.startsWith('line 0 '));
  assert.ok(out.endsWith('line 4999 ' + 'x'.repeat(20)));
  assert.match(out, /\[\.\.\. Synrouter trimmed [\d,]+ characters \([\d,]+ lines\) from the middle of this tool result \.\.\.\]/);
  assert.ok(out.length < 3300);
  assert.equal(trimText(text, 2000, 1000), out);
  assert.equal(trimText('short', 2000, 1000), 'short');
});

test('trimText never splits a surrogate pair', () => {
  const text = '😀'.repeat(5000);
  const out = trimText(text, 1001, 1001);
  assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(out));
});

test('chooseTtl: rapid turns keep 5m; sessions that idle past 5 minutes move to 1h', () => {
  assert.equal(chooseTtl(Array(20).fill(8_000), 50_000, 1_000), '5m');
  assert.equal(chooseTtl([8_000, 400_000, 8_000, 420_000, 9_000, 600_000], 50_000, 1_000), '1h');
  assert.equal(chooseTtl([400_000], 500, 20_000), '5m', 'a tiny prefix is not worth the 2x write');
});

test('tool layers: core, extended, platform, MCP; sorted within a layer', () => {
  assert.equal(classifyTool('Bash'), 'core');
  assert.equal(classifyTool('read_file'), 'core');
  assert.equal(classifyTool('mcp__github__search'), 'mcp');
  assert.equal(classifyTool('send_message'), 'platform');
  assert.equal(classifyTool('WebFetch'), 'extended');
  const l = layerTools([{ name: 'mcp__a__x' }, { name: 'Write' }, { name: 'WebFetch' }, { name: 'Bash' }]);
  assert.deepEqual(l.order, [3, 1, 2, 0]);
  assert.deepEqual(l.layerEnds, { core: 1, extended: 2, mcp: 3 });
});

test('the stable prefix goes to 1h once the session has outlived a 5m entry', async () => {
  const { chooseStableTtl } = await import('./choose-ttl.ts');
  assert.equal(chooseStableTtl({ sessionAgeMs: 60_000, gapsMs: [5_000, 8_000] }), '5m');
  assert.equal(chooseStableTtl({ sessionAgeMs: 6 * 60_000, gapsMs: [5_000] }), '1h');
  assert.equal(chooseStableTtl({ sessionAgeMs: 1_000, gapsMs: [6 * 60_000] }), '1h');
});
