import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inBandErrorMessage, redactSecrets, upstreamErrorMessage } from './upstream-error-message.ts';

test('the message of Anthropic, OpenAI and bare error bodies; else the text', () => {
  assert.equal(upstreamErrorMessage(Buffer.from('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')), 'Overloaded');
  assert.equal(upstreamErrorMessage(Buffer.from('{"error":{"message":"Invalid model","type":"invalid_request_error"}}')), 'Invalid model');
  assert.equal(upstreamErrorMessage(Buffer.from('{"error":"upstream timeout"}')), 'upstream timeout');
  assert.equal(upstreamErrorMessage(Buffer.from('{"message":"Forbidden"}')), 'Forbidden');
  assert.equal(upstreamErrorMessage(Buffer.from('<html>502 Bad Gateway</html>')), '<html>502 Bad Gateway</html>');
  assert.equal(upstreamErrorMessage(Buffer.alloc(0)), '(empty body)');
});

test('bounded to 500 characters', () => {
  const m = upstreamErrorMessage(Buffer.from(JSON.stringify({ error: { message: 'x'.repeat(5000) } })));
  assert.equal(m.length, 501);
  assert.ok(m.endsWith('…'));
});

test('key-shaped strings are cut out', () => {
  assert.equal(upstreamErrorMessage(Buffer.from('{"error":{"message":"Incorrect API key provided: sk-proj-****abcd1234."}}')), 'Incorrect API key provided: [redacted].');
  assert.equal(redactSecrets('key sk-sr-AbCdEf0123456789 was revoked'), 'key [redacted] was revoked');
  assert.equal(redactSecrets('sent Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc'), 'sent Authorization: [redacted]');
  assert.equal(redactSecrets('api_key=0123456789abcdef0123 is not valid'), '[redacted] is not valid');
  assert.equal(redactSecrets('prompt is too long: 250000 tokens > 200000 maximum'), 'prompt is too long: 250000 tokens > 200000 maximum');
});

test('an in-band error event\'s message, whatever its type', () => {
  assert.equal(inBandErrorMessage('Overloaded'), 'Overloaded');
  assert.equal(inBandErrorMessage(undefined), '');
  assert.equal(inBandErrorMessage({ detail: 'x' }), '{"detail":"x"}');
  assert.equal(inBandErrorMessage('y'.repeat(900)).length, 501);
  assert.equal(inBandErrorMessage('bad key sk-ant-api03-abcdefghij'), 'bad key [redacted]');
});
