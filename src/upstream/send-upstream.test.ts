import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeTransportError, upstreamError, wirePieces } from './send-upstream.ts';
import { ProxyError } from '../errors.ts';

const b = (s: string) => Buffer.from(s);

test('wirePieces keeps the largest piece as it is and joins the pieces on each side of it', () => {
  const big = b('x'.repeat(100));
  const pieces = [b('ab'), b(','), big, b('{"m":1}'), b('cd'), b(']')];
  const out = wirePieces(pieces);
  assert.equal(out.length, 3);
  assert.equal(out[1], big, 'the largest piece is not copied');
  assert.deepEqual(Buffer.concat(out), Buffer.concat(pieces));
});

test('wirePieces: largest first or last, and a single neighbour, are not copied needlessly', () => {
  const big = b('y'.repeat(50));
  const tail = b('}');
  assert.deepEqual(wirePieces([big, b(','), tail]).map(String), [String(big), ',}']);
  const [first, second] = wirePieces([tail, big]);
  assert.equal(first, tail);
  assert.equal(second, big);
  assert.equal(wirePieces([big]).length, 1);
});

test('a refused connection: the client\'s error names no address; the log line has every address tried and the errno', () => {
  const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}:8443`), { code: 'ECONNREFUSED' });
  const both = Object.assign(new AggregateError([refused('::1'), refused('127.0.0.1')], ''), { code: 'ECONNREFUSED' });
  const e = upstreamError(both) as ProxyError;
  assert.equal(e.code, 'UPSTREAM_UNREACHABLE');
  assert.doesNotMatch(e.message, /ECONNREFUSED|127\.0\.0\.1|::1|8443/);
  assert.equal(describeTransportError(e.cause), 'connect ECONNREFUSED ::1:8443; connect ECONNREFUSED 127.0.0.1:8443');
  assert.equal(describeTransportError(Object.assign(new Error('getaddrinfo failed'), { code: 'ENOTFOUND' })), 'getaddrinfo failed (ENOTFOUND)');
});
