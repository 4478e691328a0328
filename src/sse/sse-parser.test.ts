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

test('skip: frames spelled exactly as listed are passed over, at every split point; anything else is parsed', () => {
  const skip = [{ event: 'content_block_delta', dataPrefix: '{"type":"content_block_delta"' }];
  const delta = 'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"é"}}\n\n';
  const stream = 'event: message_start\ndata: {"type":"message_start"}\n\n' + delta + delta
    // Same event, other spellings: no space after the colon; data that does not begin with the prefix; two data lines (still skipped).
    + 'event:content_block_delta\ndata: {"type":"content_block_delta"}\n\n'
    + 'event: content_block_delta\ndata: {"index":0,"type":"content_block_delta"}\n\n'
    + 'event: content_block_delta\ndata: {"type":"content_block_delta",\ndata: "more":1}\n\n'
    + 'event: message_delta\ndata: {"type":"message_delta"}\n\n';
  const expected: SseFrame[] = [
    { event: 'message_start', data: '{"type":"message_start"}' },
    { event: 'content_block_delta', data: '{"type":"content_block_delta"}' },
    { event: 'content_block_delta', data: '{"index":0,"type":"content_block_delta"}' },
    { event: 'message_delta', data: '{"type":"message_delta"}' },
  ];
  const bytes = Buffer.from(stream);
  const run = (chunks: Uint8Array[]) => { const p = new SseParser({ skip }); return [...chunks.flatMap((c) => p.push(c)), ...p.end()]; };
  // Unsplit, every frame but the listed spelling comes out.
  assert.deepEqual(run([bytes]), expected);
  for (let i = 0; i <= bytes.length; i++) {
    // A listed frame cut by the chunk boundary may come out (the full parse handles it); the others always do, in order.
    const frames = run([bytes.subarray(0, i), bytes.subarray(i)]);
    assert.deepEqual(frames.filter((f) => !f.data.startsWith('{"type":"content_block_delta",')), expected, `split at ${i}`);
  }
  // With CR line ends the fast path is off and the frames are parsed as before.
  const crlf = Buffer.from(delta.replaceAll('\n', '\r\n'));
  assert.equal(run([crlf]).length, 1);
});

test('skip: never inside a frame already begun, nor across CR line ends', () => {
  const skip = [{ event: 'content_block_delta', dataPrefix: '{"type":"content_block_delta"' }];
  const run = (s: string) => { const p = new SseParser({ skip }); return [...p.push(Buffer.from(s)), ...p.end()]; };
  // A data line before the event line: the frame began there, so it is parsed whole.
  assert.deepEqual(run('data: first\nevent: content_block_delta\ndata: {"type":"content_block_delta"}\n\nevent: message_stop\ndata: {}\n\n'), [
    { event: 'content_block_delta', data: 'first\n{"type":"content_block_delta"}' },
    { event: 'message_stop', data: '{}' },
  ]);
  // CR CR ends the frame: the next one must not be skipped along with it.
  assert.deepEqual(run('event: content_block_delta\ndata: {"type":"content_block_delta"}\r\rdata: kept\n\n'), [
    { event: 'content_block_delta', data: '{"type":"content_block_delta"}' },
    { event: 'message', data: 'kept' },
  ]);
});
