/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: Debian's server binaries, initdb into a
 * temp directory, a free loopback port, removed on stop (runtime.md §4). Test files share one cluster
 * per run when SYNROUTER_TEST_PG_URL is set (scripts/with-postgres.ts starts it for `npm test`);
 * otherwise the first caller starts one for its own process. Every caller gets a database of its own.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';

export interface Cluster {
  /** postgres://… of the cluster's `postgres` database. */
  url: string;
  stop(): void;
}

/** Where Debian puts the server binaries (initdb, pg_ctl are not on PATH there). */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts a fresh cluster. As root, the server runs as the `postgres` user (it refuses to run as root). */
export async function startCluster(): Promise<Cluster> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install -y postgresql)');
  const dir = mkdtempSync('/tmp/synrouter-pg-');
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const r = asRoot
      ? spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', [cmd, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')], { encoding: 'utf8' })
      : spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  // fsync off: a test cluster is thrown away; durability is PostgreSQL's business, not the tests'.
  run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  run(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log.txt'), '-w', '-o', `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`, 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    url,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch { /* already gone */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let shared: Promise<Cluster> | undefined;

/** A new, empty database on the run's cluster; its URL. */
export async function testDatabaseUrl(): Promise<string> {
  let base = process.env.SYNROUTER_TEST_PG_URL;
  if (!base) {
    shared ??= startCluster().then((c) => {
      process.once('exit', () => c.stop());
      return c;
    });
    base = (await shared).url;
  }
  const name = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Whether the tests can have a PostgreSQL (binaries installed, or a cluster given). */
export function postgresAvailable(): boolean {
  if (process.env.SYNROUTER_TEST_PG_URL) return true;
  if (!postgresBin()) return false;
  if (process.getuid?.() === 0) {
    try {
      execFileSync('id', ['postgres'], { stdio: 'ignore' });
    } catch {
      return false;
    }
  }
  return true;
}
