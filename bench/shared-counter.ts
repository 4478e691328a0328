/**
 * bench:counter — what a shared admission check costs per turn (issue 20): a requests-per-minute
 * sliding window plus an in-flight count for one key, held where every instance sees it, checked
 * before each turn (admit) and given back after it (release). Two ways, in one run:
 *
 * - PostgreSQL 15: a plpgsql function admit(key, instance, now_ms, rpm, conc) that takes
 *   pg_advisory_xact_lock(hashtext(key)), drops and counts the key's rate_log rows of the last 60 s,
 *   sums the key's inflight rows (one per instance), inserts; one round trip (a prepared
 *   `SELECT admit(...)`), and a release UPDATE. Measured with the default synchronous_commit and with
 *   `synchronous_commit = off` on the connection.
 * - Redis 7: one Lua script (EVALSHA through ioredis' defineCommand) over a sorted set per key for the
 *   window and a sorted set of in-flight request ids scored by their expiry (a crashed instance
 *   leaks no slot); release is a ZREM.
 *
 * For each: sequential latency of admit and of admit+release (p50, p99), throughput at concurrency
 * 1, 8 and 32 from this one Node process (a pg pool of that many connections; one ioredis connection,
 * which pipelines), Node CPU per admit+release (process.cpuUsage: what the proxy pays), and the
 * server's CPU per admit+release (from /proc, 10 ms ticks). The limits are set so that every admit
 * succeeds (the expensive path); the clock is simulated (100 ms per admit) so the window holds 600
 * entries, as a key at its limit of 600-1000 RPM would.
 *
 * Starts its own throwaway PostgreSQL cluster and Redis server on free ports (over TCP on 127.0.0.1,
 * like a server on another host, minus the network) and removes them at the end.
 *
 *   npm run bench:counter            # SECONDS=3 per measurement by default
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, readdirSync, existsSync, chownSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Redis } from 'ioredis';
import { startRedis as startTestRedis } from '../src/testing/redis.ts';

const SECONDS = Number(process.env.SECONDS ?? 3);
const KEY = 'key_0123456789abcdef';
const WINDOW_MS = 60_000;
const STEP_MS = 100; // simulated time per admit: 600 entries in the window
const RPM = 1_000_000; // never refused: measure the admitting path
const CONC = 1_000;
const INFLIGHT_TTL_MS = 600_000;
const CONCURRENCY = [1, 8, 32];

const log = (s: string) => process.stderr.write(`[bench:counter] ${s}\n`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

// ---------------------------------------------------------------- servers

interface PgServer { port: number; dir: string; stop(): void; pids(): number[] }

function asPostgres(cmd: string[]): string[] {
  if (process.getuid?.() !== 0) return cmd;
  return ['su', 'postgres', '-c', cmd.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ')];
}

async function startPostgres(): Promise<PgServer> {
  const bin = ['/usr/lib/postgresql/15/bin', '/usr/local/bin', '/usr/bin'].find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
  if (!bin) throw new Error('PostgreSQL (initdb, pg_ctl) not found: apt-get install -y postgresql-15');
  const dir = mkdtempSync(join(tmpdir(), 'synrouter-bench-pg-'));
  chmodSync(dir, 0o755);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  let t = performance.now();
  const run = (cmd: string[]) => {
    const [c, ...args] = asPostgres(cmd);
    const r = spawnSync(c!, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stdout}${r.stderr}`);
  };
  run([join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  log(`postgres: initdb ${dir} (${Math.round(performance.now() - t)} ms)`);
  t = performance.now();
  run([join(bin, 'pg_ctl'), '-D', data, '-l', join(dir, 'log.txt'), '-w', '-o', `-h 127.0.0.1 -p ${port} -k ${dir}`, 'start']);
  const version = execFileSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
  log(`postgres: ${version} on 127.0.0.1:${port} (started in ${Math.round(performance.now() - t)} ms)`);
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    port,
    dir,
    pids: () => [postmaster, ...childrenOf(postmaster)],
    stop() {
      try { run([join(bin, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop']); } catch (e) { log(`postgres: stop failed: ${(e as Error).message}`); }
      rmSync(dir, { recursive: true, force: true });
      log(`postgres: stopped, ${dir} removed`);
    },
  };
}

interface RedisServer { port: number; stop(): void; pids(): number[] }

/** The tests' throwaway redis-server (src/testing/redis.ts), with its pid for the CPU figures. */
async function startRedis(): Promise<RedisServer> {
  const server = await startTestRedis();
  const version = execFileSync('/usr/bin/redis-server', ['--version'], { encoding: 'utf8' }).trim().split(' ').find((w) => w.startsWith('v='));
  log(`redis: ${version} on 127.0.0.1:${server.port}, pid ${server.pid}`);
  return {
    port: server.port,
    pids: () => [server.pid],
    stop() {
      server.stop();
      log('redis: stopped');
    },
  };
}

function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push(Number(d));
    } catch { /* exited */ }
  }
  return out;
}

/** utime+stime of these processes, in microseconds (the kernel counts 10 ms ticks). */
function cpuOf(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch { /* exited */ }
  }
  return ticks * 10_000;
}

// ---------------------------------------------------------------- the two counters

interface Counter {
  name: string;
  admit(requestId: string, nowMs: number): Promise<number>;
  release(requestId: string): Promise<void>;
  serverPids(): number[];
  close(): Promise<void>;
}

const SCHEMA = `
CREATE TABLE rate_log (key text NOT NULL, at_ms bigint NOT NULL, instance text NOT NULL);
CREATE INDEX rate_log_key_at ON rate_log (key, at_ms);
CREATE TABLE inflight (key text NOT NULL, instance text NOT NULL, n integer NOT NULL, PRIMARY KEY (key, instance));
-- 0 admitted, 1 over the requests-per-minute limit, 2 over the in-flight limit.
CREATE FUNCTION admit(p_key text, p_instance text, p_now_ms bigint, p_rpm integer, p_conc integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  recent integer;
  busy integer;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(p_key));
  DELETE FROM rate_log WHERE key = p_key AND at_ms <= p_now_ms - 60000;
  SELECT count(*) INTO recent FROM rate_log WHERE key = p_key AND at_ms > p_now_ms - 60000;
  IF recent >= p_rpm THEN RETURN 1; END IF;
  SELECT coalesce(sum(n), 0) INTO busy FROM inflight WHERE key = p_key;
  IF busy >= p_conc THEN RETURN 2; END IF;
  INSERT INTO rate_log (key, at_ms, instance) VALUES (p_key, p_now_ms, p_instance);
  INSERT INTO inflight (key, instance, n) VALUES (p_key, p_instance, 1)
    ON CONFLICT (key, instance) DO UPDATE SET n = inflight.n + 1;
  RETURN 0;
END $$;
`;

function pgCounter(server: PgServer, poolSize: number, syncCommitOff: boolean): Counter {
  const pool = new pg.Pool({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres', max: poolSize, ...(syncCommitOff ? { options: '-c synchronous_commit=off' } : {}) });
  return {
    name: syncCommitOff ? 'PostgreSQL, synchronous_commit=off' : 'PostgreSQL',
    async admit(_id, nowMs) {
      const r = await pool.query<{ admit: number }>({ name: 'admit', text: 'SELECT admit($1, $2, $3, $4, $5)', values: [KEY, 'instance-a', nowMs, RPM, CONC] });
      return r.rows[0]!.admit;
    },
    async release() {
      await pool.query({ name: 'release', text: 'UPDATE inflight SET n = n - 1 WHERE key = $1 AND instance = $2', values: [KEY, 'instance-a'] });
    },
    serverPids: () => server.pids(),
    close: () => pool.end(),
  };
}

const ADMIT_LUA = `
-- KEYS[1] the key's window (members: request ids, scores: admit times), KEYS[2] its in-flight set
-- (scores: expiry). ARGV: now_ms, rpm, conc, request id, in-flight ttl ms.
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60000)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 1 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 2 end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], 60000)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[5]))
return 0
`;

type AdmitRedis = Redis & { admit(w: string, f: string, now: number, rpm: number, conc: number, id: string, ttl: number): Promise<number> };

function redisCounter(server: RedisServer): Counter {
  const redis = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: false, enableAutoPipelining: false }) as AdmitRedis;
  redis.defineCommand('admit', { numberOfKeys: 2, lua: ADMIT_LUA });
  const w = `rl:{${KEY}}:window`;
  const f = `rl:{${KEY}}:inflight`;
  return {
    name: 'Redis (Lua, EVALSHA)',
    admit: (id, nowMs) => redis.admit(w, f, nowMs, RPM, CONC, id, INFLIGHT_TTL_MS),
    async release(id) { await redis.zrem(f, id); },
    serverPids: () => server.pids(),
    async close() { await redis.quit(); },
  };
}

// ---------------------------------------------------------------- measurement

let seq = 0;
const clock0 = Date.UTC(2026, 11, 4, 0, 0, 0);
const nextTurn = () => { seq += 1; return { id: `req_${seq.toString(36).padStart(10, '0')}`, now: clock0 + seq * STEP_MS }; };

async function pair(c: Counter): Promise<void> {
  const t = nextTurn();
  const verdict = await c.admit(t.id, t.now);
  if (verdict !== 0) throw new Error(`${c.name}: admit refused (${verdict}): the bench's limits should admit everything`);
  await c.release(t.id);
}

function pct(sorted: number[], p: number): number { return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!; }

interface SeqResult { n: number; admitP50: number; admitP99: number; pairP50: number; pairP99: number; nodeCpuUs: number; serverCpuUs: number }
interface ConcResult { c: number; perSec: number; nodeCpuUs: number; serverCpuUs: number }

async function sequential(c: Counter): Promise<SeqResult> {
  const admits: number[] = [];
  const pairs: number[] = [];
  const cpu0 = process.cpuUsage();
  const srv0 = cpuOf(c.serverPids());
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const t = nextTurn();
    const t0 = performance.now();
    const verdict = await c.admit(t.id, t.now);
    const t1 = performance.now();
    if (verdict !== 0) throw new Error(`${c.name}: refused`);
    await c.release(t.id);
    const t2 = performance.now();
    admits.push(t1 - t0);
    pairs.push(t2 - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  const srv = cpuOf(c.serverPids()) - srv0;
  admits.sort((x, y) => x - y);
  pairs.sort((x, y) => x - y);
  const n = pairs.length;
  return { n, admitP50: pct(admits, 0.5), admitP99: pct(admits, 0.99), pairP50: pct(pairs, 0.5), pairP99: pct(pairs, 0.99), nodeCpuUs: (cpu.user + cpu.system) / n, serverCpuUs: srv / n };
}

async function concurrent(c: Counter, workers: number): Promise<ConcResult> {
  let done = 0;
  const cpu0 = process.cpuUsage();
  const srv0 = cpuOf(c.serverPids());
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (performance.now() < end) { await pair(c); done += 1; }
  }));
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const srv = cpuOf(c.serverPids()) - srv0;
  return { c: workers, perSec: done / secs, nodeCpuUs: (cpu.user + cpu.system) / done, serverCpuUs: srv / done };
}

async function measure(make: (poolSize: number) => Counter): Promise<{ name: string; seq: SeqResult; conc: ConcResult[] }> {
  const warm = make(1);
  log(`${warm.name}: warm-up`);
  for (let i = 0; i < 500; i++) await pair(warm);
  log(`${warm.name}: sequential, ${SECONDS} s`);
  const s = await sequential(warm);
  await warm.close();
  const conc: ConcResult[] = [];
  for (const w of CONCURRENCY) {
    const c = make(w);
    for (let i = 0; i < 50; i++) await pair(c); // connect the pool, prepare the statements
    log(`${c.name}: concurrency ${w}, ${SECONDS} s`);
    conc.push(await concurrent(c, w));
    await c.close();
  }
  return { name: warm.name, seq: s, conc };
}

const f1 = (x: number) => x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0);

async function main(): Promise<void> {
  const started = new Date();
  const load = readFileSync('/proc/loadavg', 'utf8').trim();
  log(`start ${started.toISOString()}, loadavg ${load}, ${SECONDS} s per measurement`);
  const cleanups: (() => void)[] = [];
  const onSignal = () => { for (const c of cleanups.reverse()) c(); process.exit(130); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const results: Awaited<ReturnType<typeof measure>>[] = [];
  try {
    const pgs = await startPostgres();
    cleanups.push(() => pgs.stop());
    const setup = new pg.Client({ host: '127.0.0.1', port: pgs.port, user: 'postgres', database: 'postgres' });
    await setup.connect();
    await setup.query(SCHEMA);
    await setup.end();
    const redis = await startRedis();
    cleanups.push(() => redis.stop());

    results.push(await measure((n) => pgCounter(pgs, n, false)));
    results.push(await measure((n) => pgCounter(pgs, n, true)));
    results.push(await measure(() => redisCounter(redis)));
  } finally {
    for (const c of cleanups.reverse()) c();
    cleanups.length = 0;
  }

  const out: string[] = [];
  out.push(`Run ${started.toISOString()}, /proc/loadavg at start: ${load}; end: ${readFileSync('/proc/loadavg', 'utf8').trim()}. Node ${process.version}, ${SECONDS} s per measurement, one key, every admit succeeds, 600 entries in the window.`);
  out.push('');
  out.push('Sequential (one connection, one admit+release at a time):');
  out.push('');
  out.push('| store | pairs | admit p50 ms | admit p99 ms | admit+release p50 ms | admit+release p99 ms | Node CPU µs per admit+release | server CPU µs per admit+release |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) out.push(`| ${r.name} | ${r.seq.n} | ${r.seq.admitP50.toFixed(3)} | ${r.seq.admitP99.toFixed(3)} | ${r.seq.pairP50.toFixed(3)} | ${r.seq.pairP99.toFixed(3)} | ${f1(r.seq.nodeCpuUs)} | ${f1(r.seq.serverCpuUs)} |`);
  out.push('');
  out.push('Throughput from one Node process (admit+release pairs per second; CPU per pair):');
  out.push('');
  out.push(`| store | ${CONCURRENCY.map((c) => `c=${c} pairs/s`).join(' | ')} | ${CONCURRENCY.map((c) => `c=${c} Node µs`).join(' | ')} | ${CONCURRENCY.map((c) => `c=${c} server µs`).join(' | ')} |`);
  out.push(`|---|${CONCURRENCY.map(() => '---:').join('|')}|${CONCURRENCY.map(() => '---:').join('|')}|${CONCURRENCY.map(() => '---:').join('|')}|`);
  for (const r of results) out.push(`| ${r.name} | ${r.conc.map((c) => Math.round(c.perSec)).join(' | ')} | ${r.conc.map((c) => f1(c.nodeCpuUs)).join(' | ')} | ${r.conc.map((c) => f1(c.serverCpuUs)).join(' | ')} |`);
  process.stdout.write(out.join('\n') + '\n');
}

await main();
