/**
 * serve() in process when its port is taken: it says so in one line, returns 1, and leaves nothing
 * open behind it (the built-in simulator's server, the store), so the process can end at once.
 * e2e/cli-serve.test.ts runs the same case as a user does, as a second process.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../config.ts';
import { serve } from './serve.ts';

// Should serve() leave a server listening, this file's process would never end: end it (the test fails on its own).
after(() => setTimeout(() => process.exit(), 2000).unref());

/** Listening servers of this process (the simulator is one, the proxy another). */
const servers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

test('serve on a taken port: one line on stderr, returns 1, the simulator closed and the store closed', async (t) => {
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  const port = (holder.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'synrouter-serve-'));
  const dbPath = join(dir, 'synrouter.db');
  const lines: string[] = [];
  t.mock.method(console, 'error', (...args: unknown[]) => { lines.push(args.map(String).join(' ')); });
  t.mock.method(console, 'log', (...args: unknown[]) => { lines.push(args.map(String).join(' ')); });
  try {
    const before = servers();
    // No provider key: serve starts its simulator first, as `npm start` on a fresh machine does.
    const config = loadConfig({ env: { SYNROUTER_GC_HEADROOM_MB: '0' }, overrides: { host: '127.0.0.1', port, dbPath } });
    assert.deepEqual(Object.keys(config.providers), []);
    assert.equal(await serve(config), 1);
    assert.deepEqual(lines, [`synrouter: cannot listen on 127.0.0.1:${port}: the port is already in use (another Synrouter?); choose another with SYNROUTER_PORT, --port or "port" in the config file.`]);
    await sleep(20); // a closed server's handle goes away on the next turn of the loop
    assert.equal(servers(), before, 'no server of serve() is left listening (the simulator included)');
    // SQLite removes the -wal and -shm files when the last connection to the store closes.
    assert.ok(existsSync(dbPath), 'the store was opened');
    assert.ok(!existsSync(`${dbPath}-wal`) && !existsSync(`${dbPath}-shm`), 'and closed');
  } finally {
    holder.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
