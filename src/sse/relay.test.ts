import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { UpstreamBody } from '../upstream/upstream-body.ts';
import { flushHeadUnlessBodyWaiting } from './relay.ts';

/** The raw bytes a client reads first from a server whose handler is `handle`. */
async function firstRead(handle: (res: ServerResponse) => void): Promise<string> {
  const server = createServer((_req, res) => handle(res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  try {
    socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    const [chunk] = await once(socket, 'data') as [Buffer];
    return chunk.toString('latin1');
  } finally {
    socket.destroy();
    server.closeAllConnections();
    server.close();
  }
}

const waiting = (bytes: number) => ({ buffered: bytes }) as UpstreamBody;

test('flushHeadUnlessBodyWaiting: with no body bytes waiting the head goes out at once (a stalled upstream still shows its status)', { timeout: 5000 }, async () => {
  const first = await firstRead((res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    flushHeadUnlessBodyWaiting(res, waiting(0));
    // nothing more: the upstream stalls
  });
  assert.match(first, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n$/);
});

test('flushHeadUnlessBodyWaiting: with body bytes waiting the head travels with the first write', { timeout: 5000 }, async () => {
  const first = await firstRead((res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    flushHeadUnlessBodyWaiting(res, waiting(5));
    setTimeout(() => res.write('event: ping\ndata: {}\n\n'), 20);
  });
  assert.match(first, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n[0-9a-f]+\r\nevent: ping\n/);
});
