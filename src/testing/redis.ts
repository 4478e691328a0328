/**
 * A throwaway redis-server for tests (Debian's `redis-server`): a free loopback port, no persistence,
 * its directory removed on stop. `stop()` kills it, which is also how tests make it unreachable.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './postgres.ts';

const BIN = '/usr/bin/redis-server';

export function redisAvailable(): boolean {
  return existsSync(BIN);
}

export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  stop(): void;
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'synrouter-redis-'));
  const port = await freePort();
  const pidfile = join(dir, 'redis.pid');
  execFileSync(BIN, ['--bind', '127.0.0.1', '--port', String(port), '--daemonize', 'yes', '--save', '', '--appendonly', 'no', '--dir', dir, '--pidfile', pidfile, '--logfile', join(dir, 'redis.log')]);
  for (let i = 0; i < 250 && !existsSync(pidfile); i++) await new Promise((r) => setTimeout(r, 20));
  const pid = Number(readFileSync(pidfile, 'utf8').trim());
  let stopped = false;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid,
    stop() {
      if (stopped) return;
      stopped = true;
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      for (let i = 0; i < 100; i++) {
        try { process.kill(pid, 0); } catch { break; }
        spawnSync('sleep', ['0.02']);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
