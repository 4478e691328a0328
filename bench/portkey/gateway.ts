/**
 * Portkey's AI gateway (@portkey-ai/gateway, pinned in bench/portkey/package-lock.json) as a peer
 * target of the overhead benchmark, run as its README says (`npx @portkey-ai/gateway`, here its bin
 * `build/start-server.js` with `--port` and `--headless`: no log UI) on the benchmark's Node. It is
 * installed into bench/portkey/node_modules on first use (`npm ci`, about 10 s), kept out of the
 * project's own dependencies. Each request names the provider and the upstream in headers
 * (x-portkey-provider: anthropic, x-portkey-custom-host: the mock's /v1; loopback is a trusted
 * custom host by default). JSON answers only: its streaming fails on Node 20 and 24 (HTTP 500,
 * "TypeError: immutable", runtime.md §7).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, stopChild, waitForPort } from '../overhead/processes.ts';
import { once } from 'node:events';

const DIR = fileURLToPath(new URL('./', import.meta.url));
const PKG = join(DIR, 'node_modules/@portkey-ai/gateway/package.json');

/** The version the lock file pins. */
function lockedVersion(): string {
  const lock = JSON.parse(readFileSync(join(DIR, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  return lock.packages['node_modules/@portkey-ai/gateway']!.version!;
}

/** `npm ci` in bench/portkey when the pinned version is not there yet. */
export function ensurePortkey(log: (s: string) => void): string {
  const want = lockedVersion();
  const have = existsSync(PKG) ? (JSON.parse(readFileSync(PKG, 'utf8')) as { version: string }).version : undefined;
  if (have !== want) {
    log(`installing @portkey-ai/gateway ${want} into bench/portkey (npm ci)...`);
    const t0 = performance.now();
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: DIR, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`npm ci in ${DIR} failed (${r.status})`);
    log(`installed @portkey-ai/gateway ${want} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  return want;
}

export interface PortkeyProc { url: string; pid: number; version: string; stderr(): string; stop(): Promise<void> }

export async function startPortkey(log: (s: string) => void): Promise<PortkeyProc> {
  const version = ensurePortkey(log);
  const port = await freePort();
  const bin = join(DIR, 'node_modules/@portkey-ai/gateway/build/start-server.js');
  // stdout is a start-up spinner and banner; it is drained so that a full pipe never blocks the gateway.
  const child = spawn(process.execPath, [bin, `--port=${port}`, '--headless'], { cwd: DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stdout!.resume();
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); if (err.length > 100_000) err = err.slice(-50_000); });
  const exited = once(child, 'exit');
  await waitForPort(port, 20_000);
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, version, stderr: () => err, stop: () => stopChild(child, exited) };
}

/** What a client adds to reach the Anthropic-compatible upstream at `upstreamUrl` through Portkey. */
export function portkeyHeaders(upstreamUrl: string): Record<string, string> {
  return { 'x-portkey-provider': 'anthropic', 'x-portkey-custom-host': `${upstreamUrl}/v1` };
}
