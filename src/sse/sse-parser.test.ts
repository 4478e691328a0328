import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser, type SseFrame } from './sse-parser.ts';

const parseAll = (chunks: Uint8Array[]): SseFrame[] => {
  const p = new SseParser();
  return [...chunks.flatMap((c) => p.push(c)), ...p.end()];
};

const STREAM = '\uFEFFevent: message_start\ndata: {"a":"é😀"}\n\n: comment\r\nevent: delta\r\ndata: line1\r\ndata: line2\r\n\r\ndata: {"b":1}\r\rid: 7\nevent: x\ndata:no-space\n\n';
const EXPECTED: SseFrame[] = [
  { event: 'message_start', data: '{"a":"é😀"}' },
  { event: 'delta', data: 'line1\nline2' },
  { event: 'message', data: '{"b":1}' },
  { event: 'x', data: 'no-space', id: '7' },
];

test('parses LF, CRLF and CR line ends, multi-line data, comments, BOM and ids', () => {
  assert.deepEqual(parseAll([Buffer.from(STREAM)]), EXPECTED);
});

test('every split point (including inside UTF-8 sequences and CRLF pairs) gives the same frames', () => {
  const bytes = Buffer.from(STREAM);
  for (let i = 0; i <= bytes.length; i++) {
    assert.deepEqual(parseAll([bytes.subarray(0, i), bytes.subarray(i)]), EXPECTED, `split at ${i}`);
  }
  assert.deepEqual(parseAll([...bytes].map((b) => Uint8Array.of(b))), EXPECTED, 'one byte per chunk');
});

test('a trailing frame without its blank line is still delivered at end()', () => {
  assert.deepEqual(parseAll([Buffer.from('event: message_stop\ndata: {}')]), [{ event: 'message_stop', data: '{}' }]);
});
