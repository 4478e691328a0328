import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cc, request, text } from './test-fixtures.ts';
import type { JsonObject } from '../json/json-object.ts';
import type { MessagesRequest } from '../protocols/anthropic/wire.ts';
import { TTL_ORDER_MESSAGE, validateRequest, type ValidationResult } from './validate-request.ts';

function rejects(result: ValidationResult, status: number, message: string | RegExp): void {
  assert.equal(result.ok, false, 'expected a rejection');
  if (result.ok) return;
  assert.equal(result.status, status);
  if (typeof message === 'string') assert.equal(result.message, message);
  else assert.match(result.message, message);
}

function accepts(result: ValidationResult): void {
  assert.equal(result.ok, true, result.ok ? '' : result.message);
}

/** A user message with `n` marked text blocks. */
function marked(n: number, extra: Partial<MessagesRequest> = {}): MessagesRequest {
  const content = Array.from({ length: n }, (_, i) => text(`block ${i}`, true));
  return request({ messages: [{ role: 'user', content }], ...extra });
}

test('4 breakpoints are accepted, 5 are rejected with the exact message', () => {
  accepts(validateRequest(marked(4)));
  rejects(validateRequest(marked(5)), 400, 'A maximum of 4 blocks with cache_control may be provided. Found 5.');
  rejects(validateRequest(marked(7)), 400, 'A maximum of 4 blocks with cache_control may be provided. Found 7.');
});

test('breakpoints are counted in tools, system and messages together', () => {
  const body = request({
    tools: [{ name: 'a', input_schema: { type: 'object' }, cache_control: cc() }],
    system: [text('s1', true), text('s2', true)],
    messages: [{ role: 'user', content: [text('u1', true), text('u2', true)] }],
  });
  rejects(validateRequest(body), 400, 'A maximum of 4 blocks with cache_control may be provided. Found 5.');
});

test('the top-level cache_control takes a slot', () => {
  accepts(validateRequest(marked(3, { cache_control: cc() })));
  rejects(
    validateRequest(marked(4, { cache_control: cc() })),
    400,
    'A maximum of 4 blocks with cache_control may be provided. Found 5.',
  );
});

test('markers nested in tool_result content count', () => {
  const toolResult: JsonObject = {
    type: 'tool_result',
    tool_use_id: 'toolu_1',
    content: [text('a', true), text('b', true)],
    cache_control: cc(),
  };
  const body = request({
    system: [text('s', true)],
    messages: [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 't', input: {} }] },
      { role: 'user', content: [toolResult] },
    ],
  });
  accepts(validateRequest(body));
  const more = structuredClone(body);
  (more.messages[0] as { content: unknown }).content = [text('go', true)];
  rejects(validateRequest(more), 400, 'A maximum of 4 blocks with cache_control may be provided. Found 5.');
});

test('a 1h breakpoint after a 5m one is rejected; 1h before 5m is fine; missing ttl means 5m', () => {
  const oneHourFirst = request({
    tools: [{ name: 'a', input_schema: { type: 'object' }, cache_control: cc('1h') }],
    system: [text('s', '1h')],
    messages: [{ role: 'user', content: [text('u', '5m'), text('v', true)] }],
  });
  accepts(validateRequest(oneHourFirst));
  const fiveFirst = request({
    tools: [{ name: 'a', input_schema: { type: 'object' }, cache_control: cc() }],
    system: [text('s', '1h')],
    messages: [{ role: 'user', content: 'u' }],
  });
  rejects(validateRequest(fiveFirst), 400, TTL_ORDER_MESSAGE);
  assert.match(TTL_ORDER_MESSAGE, /ttl='1h' cache_control block must not come after a ttl='5m'/);
  // Across messages, and with the automatic breakpoint at the end.
  rejects(
    validateRequest(request({ messages: [{ role: 'user', content: [text('a', '5m'), text('b', '1h')] }] })),
    400,
    TTL_ORDER_MESSAGE,
  );
  rejects(
    validateRequest(
      request({ system: [text('s', '5m')], messages: [{ role: 'user', content: 'u' }], cache_control: cc('1h') }),
    ),
    400,
    TTL_ORDER_MESSAGE,
  );
});

test('cache_control on thinking, redacted_thinking or empty text is rejected', () => {
  const withBlock = (block: JsonObject): MessagesRequest =>
    request({
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [block, text('answer')] },
        { role: 'user', content: 'next' },
      ],
    });
  rejects(
    validateRequest(withBlock({ type: 'thinking', thinking: 't', signature: 's', cache_control: cc() })),
    400,
    'messages.1.content.0.thinking.cache_control: Extra inputs are not permitted',
  );
  rejects(
    validateRequest(withBlock({ type: 'redacted_thinking', data: 'd', cache_control: cc() })),
    400,
    /redacted_thinking\.cache_control/,
  );
  rejects(
    validateRequest(withBlock(text('', true))),
    400,
    'messages.1.content.0.text: cache_control cannot be set for empty text blocks',
  );
  accepts(validateRequest(withBlock({ type: 'thinking', thinking: 't', signature: 's' })));
});

test('top-level cache_control vs an explicit marker on the last block', () => {
  const last = (ttl: '5m' | '1h', top: '5m' | '1h'): MessagesRequest =>
    request({ messages: [{ role: 'user', content: [text('a'), text('b', ttl)] }], cache_control: cc(top) });
  accepts(validateRequest(last('5m', '5m')));
  accepts(validateRequest(last('1h', '1h')));
  rejects(validateRequest(last('1h', '5m')), 400, /top-level cache_control \(ttl='5m'\) conflicts/);
  // The automatic breakpoint walks back over thinking and empty text to find "the last block".
  const walked = request({
    messages: [
      { role: 'user', content: [text('a', '1h')] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: 's' }, text('')] },
    ],
    cache_control: cc('5m'),
  });
  rejects(validateRequest(walked), 400, /conflicts/);
});

test('max_tokens: 0 rules (pre-warm)', () => {
  const base = request({ max_tokens: 0, messages: [{ role: 'user', content: 'hi' }] });
  accepts(validateRequest(base));
  rejects(validateRequest({ ...base, stream: true }), 400, /max_tokens: 0 .*stream/);
  rejects(validateRequest({ ...base, thinking: { type: 'enabled', budget_tokens: 2048 } }), 400, /max_tokens: 0 .*thinking/);
  rejects(
    validateRequest({ ...base, output_config: { format: { type: 'json_schema', schema: {} } } }),
    400,
    /max_tokens: 0 .*output_config\.format/,
  );
  const tools = [{ name: 't', input_schema: { type: 'object' } }];
  rejects(validateRequest({ ...base, tools, tool_choice: { type: 'any' } }), 400, /tool_choice/);
  rejects(validateRequest({ ...base, tools, tool_choice: { type: 'tool', name: 't' } }), 400, /tool_choice/);
  accepts(validateRequest({ ...base, tools, tool_choice: { type: 'auto' } }));
  accepts(validateRequest({ ...base, thinking: { type: 'adaptive' }, stream: false }));
});

test('body shape errors', () => {
  rejects(validateRequest([]), 400, /dictionary/);
  rejects(validateRequest({ messages: [], max_tokens: 1 }), 400, 'model: Field required');
  rejects(validateRequest({ model: 1, messages: [], max_tokens: 1 }), 400, 'model: Input should be a valid string');
  rejects(validateRequest({ model: 'claude-sonnet-4-6', messages: {}, max_tokens: 1 }), 400, /messages: Input should be a valid list/);
  const ok = { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] };
  rejects(validateRequest(ok), 400, 'max_tokens: Field required');
  rejects(validateRequest({ ...ok, max_tokens: 1.5 }), 400, /max_tokens: Input should be a valid integer/);
  rejects(validateRequest({ ...ok, max_tokens: '10' }), 400, /max_tokens: Input should be a valid integer/);
  rejects(validateRequest({ ...ok, max_tokens: -1 }), 400, /greater than or equal to 0/);
  rejects(validateRequest({ ...ok, max_tokens: 1, model: 'gpt-4o' }), 404, 'model: gpt-4o');
  accepts(validateRequest({ ...ok, max_tokens: 1, model: 'claude-some-future-model' }));
  // count_tokens takes no max_tokens.
  accepts(validateRequest(ok, 'count_tokens'));
  rejects(validateRequest({ ...ok, max_tokens: 1, messages: [{ role: 'user', content: [] }] }), 400, /non-empty content/);
});

test('unknown keys inside cache_control are tolerated; bad type or ttl are not', () => {
  accepts(
    validateRequest(
      request({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral', scope: 'global' } }] }] }),
    ),
  );
  rejects(
    validateRequest(request({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'persistent' } }] }] })),
    400,
    /cache_control\.type/,
  );
  rejects(
    validateRequest({ ...request({ messages: [{ role: 'user', content: 'x' }] }), cache_control: { type: 'ephemeral', ttl: '10m' } }),
    400,
    /cache_control\.ttl/,
  );
  // null means "no marker".
  accepts(validateRequest(request({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: null }] }], cache_control: null })));
});
