import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { Dispatcher } from 'undici';
import { UpstreamBody } from '../upstream/upstream-body.ts';
import { ResponseHead, relay } from './relay.ts';

/** The raw bytes a client reads first from a server whose handler is `handle`. */
async function firstRead(handle: (res: ServerResponse) => void): Promise<string> {
  const server = createServer((_req, res) => handle(res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  try {
    socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    // Bounded, so that a head that never comes fails the test instead of hanging it.
    const [chunk] = await once(socket, 'data', { signal: AbortSignal.timeout(3000) }) as [Buffer];
    return chunk.toString('latin1');
  } finally {
    socket.destroy();
    server.closeAllConnections();
    server.close();
  }
}

const waiting = (bytes: number) => ({ buffered: bytes }) as UpstreamBody;

test('ResponseHead: with no body bytes waiting the head goes out at once (a stalled upstream still shows its status)', { timeout: 5000 }, async () => {
  const first = await firstRead((res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    new ResponseHead(res, waiting(0));
    // nothing more: the upstream stalls
  });
  assert.match(first, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n$/);
});

test('ResponseHead: with body bytes waiting the head travels with the first write', { timeout: 5000 }, async () => {
  const first = await firstRead((res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    new ResponseHead(res, waiting(5));
    setTimeout(() => res.write('event: ping\ndata: {}\n\n'), 20);
  });
  assert.match(first, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n[0-9a-f]+\r\nevent: ping\n/);
});

test('relay: when the waiting first bytes write nothing (a partial frame held back by a transform), the head still goes out at once', { timeout: 5000 }, async () => {
  const controller = { paused: false, pause() {}, resume() {}, abort() {} } as unknown as Dispatcher.DispatchController;
  const body = new UpstreamBody(controller, () => {});
  body.push(Buffer.from('event: message_start\ndata: {"type":"mess')); // then the upstream stalls
  const first = await firstRead((res) => {
    void relay({
      upstream: { status: 200, headers: { 'content-type': 'text/event-stream' }, body }, res, headers: {}, signal: new AbortController().signal,
      onChunk: () => {}, transform: () => Buffer.alloc(0),
    }).catch(() => {});
  });
  assert.match(first, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n$/);
  body.fail(new Error('test over'));
});
