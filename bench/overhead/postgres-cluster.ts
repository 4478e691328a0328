/**
 * The overhead benchmark's own PostgreSQL: a throwaway cluster (src/testing/postgres.ts: initdb in a
 * temp dir, a free port, fsync off, removed on stop), one database per Synrouter target, the
 * cluster's CPU from /proc (the store's work per turn happens partly in PostgreSQL's processes, so a
 * per-turn figure without it would flatter the PostgreSQL store), and the ledger read after a run.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { startCluster } from '../../src/testing/postgres.ts';
import { childPids, cpuMs, CLK_TCK } from './proc.ts';

export interface BenchPostgres {
  version: string;
  /** A new, empty database; its URL. */
  database(name: string): Promise<string>;
  /** The postmaster and its current children (backends, walwriter, checkpointer...). */
  pids(): number[];
  /** CPU of the whole cluster so far, in ms: live processes plus the backends it already reaped. */
  cpuMs(): number;
  /** Whether the postmaster is still running (checked before the report trusts the PostgreSQL rows). */
  alive(): boolean;
  stop(): void;
}

/** The postmaster listening on `port`: a `postgres` process with `-p PORT` on its command line. */
function postmasterPid(port: number): number {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let argv: string[];
    try { argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0'); } catch { continue; }
    const i = argv.indexOf('-p');
    if (argv[0]?.endsWith('postgres') && i > 0 && argv[i + 1] === String(port)) return Number(d);
  }
  throw new Error(`no postgres process listening on ${port}`);
}

/** cutime + cstime of a process: the CPU of its children it has waited for (pg Pool closes idle backends). */
function reapedMs(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) * (1000 / CLK_TCK);
  } catch {
    return 0;
  }
}

export async function startBenchPostgres(): Promise<BenchPostgres> {
  const cluster = await startCluster();
  const base = new URL(cluster.url);
  const postmaster = postmasterPid(Number(base.port));
  // A connection per statement, closed at once: an idle client held for the whole run would be an
  // 'error' event (and the end of the benchmark) if its backend went away.
  const admin = async <T>(sql: string): Promise<T[]> => {
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    try { return (await c.query(sql)).rows as T[]; } finally { await c.end(); }
  };
  const version = (await admin<{ server_version: string }>('SHOW server_version'))[0]!.server_version;
  const pids = () => [postmaster, ...childPids(postmaster)];
  return {
    version,
    async database(name) {
      await admin(`CREATE DATABASE ${name}`);
      const u = new URL(cluster.url);
      u.pathname = `/${name}`;
      return u.toString();
    },
    pids,
    cpuMs: () => pids().reduce((sum, p) => sum + cpuMs(p), 0) + reapedMs(postmaster),
    alive: () => cpuMs(postmaster) > 0 || existsSync(`/proc/${postmaster}`),
    stop: () => cluster.stop(),
  };
}

export interface PgLedgerSummary {
  rows: number; engine: number; metered: number; streamed: number; sessions: number;
  /** Rows per instance that wrote them (row_uid is instance:seq), most first. */
  byInstance: number[];
  byStatus: Array<{ status: number; code: string; aborted: number; n: number }>;
}

/** The turns table of one database, after its instances flushed on SIGTERM. */
export async function pgLedger(url: string): Promise<PgLedgerSummary> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const t = (await c.query(`SELECT count(*)::int AS rows, count(engine)::int AS engine,
      coalesce(sum((cache_read_tokens > 0 AND output_tokens > 0)::int), 0)::int AS metered, coalesce(sum(streamed), 0)::int AS streamed,
      count(DISTINCT session_id)::int AS sessions FROM turns`)).rows[0] as Omit<PgLedgerSummary, 'byInstance' | 'byStatus'>;
    const byInstance = (await c.query(`SELECT count(*)::int AS n FROM turns GROUP BY split_part(row_uid, ':', 1) ORDER BY 1 DESC`)).rows.map((r: { n: number }) => r.n);
    const byStatus = (await c.query(`SELECT status, coalesce(error_code, '') AS code, aborted, count(*)::int AS n FROM turns GROUP BY 1, 2, 3 ORDER BY 4 DESC`)).rows as PgLedgerSummary['byStatus'];
    return { ...t, byInstance, byStatus };
  } finally {
    await c.end();
  }
}
