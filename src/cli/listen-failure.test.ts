import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { listenFailureMessage } from './listen-failure.ts';

/** The error a real listen() gives, or undefined when it listened. */
async function listenError(port: number, host: string): Promise<unknown> {
  const server: Server = createServer();
  return new Promise((resolve) => {
    server.once('error', resolve);
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
}

test('a taken port: which address, and the three ways to choose another', async () => {
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  const port = (holder.address() as { port: number }).port;
  try {
    const err = await listenError(port, '127.0.0.1');
    assert.equal((err as { code?: string }).code, 'EADDRINUSE');
    assert.equal(listenFailureMessage(err, { host: '127.0.0.1', port }),
      `synrouter: cannot listen on 127.0.0.1:${port}: the port is already in use (another Synrouter?); choose another with SYNROUTER_PORT, --port or "port" in the config file.`);
  } finally {
    holder.close();
  }
});

test('an address that is not this machine\'s, a host that does not resolve, a privileged port: each says what to change', async () => {
  // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never a local address.
  const notOurs = await listenError(0, '192.0.2.1');
  assert.match(listenFailureMessage(notOurs, { host: '192.0.2.1', port: 8787 })!, /^synrouter: cannot listen on 192\.0\.2\.1:8787: 192\.0\.2\.1 is not an address of this machine; choose another with SYNROUTER_HOST, --host or "host" in the config file\.$/);
  const unresolved = await listenError(0, 'no-such-host.invalid');
  assert.match(listenFailureMessage(unresolved, { host: 'no-such-host.invalid', port: 8787 })!, /^synrouter: cannot listen on no-such-host\.invalid: no such host \((ENOTFOUND|EAI_AGAIN)\); choose another with SYNROUTER_HOST/);
  // EACCES as Node reports it to a user without the privilege (these tests may run as root).
  const denied = Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:80'), { code: 'EACCES', syscall: 'listen', address: '0.0.0.0', port: 80 });
  assert.match(listenFailureMessage(denied, { host: '0.0.0.0', port: 80 })!, /^synrouter: cannot listen on 0\.0\.0\.0:80: permission denied .*; choose another with SYNROUTER_PORT, --port or "port"/);
  const v6 = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', syscall: 'listen', address: '::1', port: 8787 });
  assert.match(listenFailureMessage(v6, { host: '::1', port: 8787 })!, /cannot listen on \[::1\]:8787: the port is already in use/);
});

test('errors that are not about listening are left to the caller', () => {
  assert.equal(listenFailureMessage(new Error('SQLITE_CORRUPT'), { host: '127.0.0.1', port: 8787 }), undefined);
  assert.equal(listenFailureMessage(Object.assign(new Error('x'), { code: 'ENOENT', syscall: 'open' }), { host: '127.0.0.1', port: 8787 }), undefined);
  assert.equal(listenFailureMessage('a string', { host: '127.0.0.1', port: 8787 }), undefined);
});
