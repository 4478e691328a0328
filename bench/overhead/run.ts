/**
 * Synrouter's overhead benchmark (issue 8, "Performance"). One command, one run, one report:
 *
 *   direct     wrk -> mock upstream
 *   nginx      wrk -> nginx (1 worker, proxy_buffering off, upstream keepalive) -> mock upstream
 *   node floor wrk -> node:http + undici pass-through, body buffered, no work (reference) -> mock upstream
 *   synrouter  wrk -> Synrouter (child process, own SQLite file, coding key, cache engine on) -> mock upstream
 *   litellm    wrk -> LiteLLM's proxy (bench/litellm/proxy.ts: pinned venv, 1 process, no database, default
 *              config: a model entry for the mock, as users run it) /v1/messages -> mock upstream
 *   synrouter on PostgreSQL
 *              wrk -> Synrouter with its store on the benchmark's own throwaway PostgreSQL (postgres-cluster.ts)
 *              -> mock upstream; the same load again from SESSIONS sessions ("one instance"), and
 *   two instances
 *              wrk -> nginx (consistent hash on the session header, nginx-cluster.ts) -> 2 Synrouters on one
 *              PostgreSQL database -> mock upstream, SESSIONS sessions: throughput against one instance
 *   portkey    wrk -> Portkey's gateway (bench/portkey/gateway.ts, npm-pinned) /v1/messages -> mock upstream,
 *              JSON only (its streaming is broken on Node)
 *
 * for the turns of a ~200 KB agent-shaped Anthropic conversation (claude-sonnet-4-6), JSON and SSE answers. Per target
 * and format, in rounds that alternate the targets (median round reported): wrk c=1 (unloaded
 * latency p50/p99) and c=20 (throughput), the proxy's CPU per request
 * from /proc/<pid>/stat (utime+stime, all threads), added latency vs direct, foreign CPU during each
 * run (runs above 20% of a core are marked *), added time to first byte for SSE (sequential node
 * client, median), and Synrouter's RSS with 1,000 concurrent slow streams.
 *
 * Needs wrk and nginx on PATH (bench/run-overhead.sh installs them from Debian).
 * Options: --profile (afterwards, profile Synrouter under c=20 load with --cpu-prof and summarise),
 *          --quick (short runs, for trying the harness).
 * Then (BENCH_OBSERVE=0 skips it) the access log's and the traces' cost: observe-phase.ts.
 * Environment: BENCH_ROUNDS (3), BENCH_C1_SECONDS (2), BENCH_C20_SECONDS (3) per round, BENCH_WARM_SECONDS (36, the Node targets'), BENCH_TTFB_N (40),
 *              BENCH_STREAMS (1000), BENCH_UPSTREAM_CONNECTIONS (1200, so that every stream gets an
 *              upstream connection; "default" = Synrouter's own default of 128), BENCH_KEEP_TMP=1,
 *              BENCH_LITELLM=0 (leave LiteLLM out), BENCH_LITELLM_WARM_SECONDS (10), BENCH_POSTGRES=0 (leave
 *              the PostgreSQL targets out), BENCH_PORTKEY=0 (leave Portkey out), BENCH_SESSIONS (20: the sessions
 *              of the one-vs-two-instances load).
 */
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import { agentBody, agentConversation, countMarkers, describeBody } from './body.ts';
import { startUpstream, startNginx, startFloor, startSynrouter, runWrk, type WrkResult, type Proc } from './processes.ts';
import { startBase } from './base-checkout.ts';
import { CpuWatch, cpuMs, rssKiB } from './proc.ts';
import { post, ttfb, manyStreams } from './clients.ts';
import { summarizeProfile } from './profile-summary.ts';
import { MASTER_KEY as LITELLM_KEY, startLiteLLM } from '../litellm/proxy.ts';
import { observePhase } from './observe-phase.ts';
import { startBenchPostgres, pgLedger, type BenchPostgres } from './postgres-cluster.ts';
import { startNginxCluster } from './nginx-cluster.ts';
import { startPortkey, portkeyHeaders } from '../portkey/gateway.ts';

const argv = new Set(process.argv.slice(2));
const QUICK = argv.has('--quick');
const PROFILE = argv.has('--profile');
const num = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);
const C1_S = num('BENCH_C1_SECONDS', QUICK ? 1 : 2);
const C20_S = num('BENCH_C20_SECONDS', QUICK ? 2 : 3);
const ROUNDS = num('BENCH_ROUNDS', QUICK ? 1 : 3);
// A Node process keeps compiling under this load for 25-40 s (V8 tiers functions up by how much
// they have run; --trace-opt in 2 s windows of c=20 SSE load on a fresh Synrouter: 638, 154, 163 ...
// compilations, under 15 per window only from 26-34 s), and its CPU per request falls with it (main
// thread 3.6 -> 1.7 ms at 6 s -> 1.2 at 20 s -> 0.72-0.84 from 26-40 s). A proxy runs for days, so
// the steady state is what is measured: both Node targets (floor and Synrouter) get the same long
// warm-up, direct and nginx (no JIT) a short one.
const WARM_S = num('BENCH_WARM_SECONDS', QUICK ? 1 : 36);
const WARM_NATIVE_S = QUICK ? 1 : 4;
// LiteLLM (CPython 3.11, no JIT): long enough for its lazy imports and first-call caches.
const WARM_LITELLM_S = num('BENCH_LITELLM_WARM_SECONDS', QUICK ? 2 : 10);
// The one-instance multi-session load runs on the PostgreSQL Synrouter warmed just before it (the same
// process), so it gets the short warm-up; the two fresh instances get the Node one (each sees half the load).
const NODE_TARGETS = new Set<Target>(['floor', 'synrouter', 'synrouter-base', 'synrouter-pg', 'pg-two', 'portkey']);
const warmSeconds = (t: Target) => (NODE_TARGETS.has(t) ? WARM_S : t === 'litellm' ? WARM_LITELLM_S : WARM_NATIVE_S);
const TTFB_N = num('BENCH_TTFB_N', QUICK ? 15 : 40);
const STREAMS = num('BENCH_STREAMS', QUICK ? 200 : 1000);
const STREAM_EVENTS = 40, STREAM_SPACING_MS = 50, SSE_EVENTS = 20;
const FOREIGN_LIMIT = 20; // % of one core
const MODEL = 'claude-sonnet-4-6';
/** The replayed conversation: TURNS requests, the last about LAST_BYTES, about 200 KB on average. */
const TURNS = 10, LAST_BYTES = 218_000;

type Target = 'direct' | 'nginx' | 'floor' | 'synrouter' | 'synrouter-base' | 'litellm' | 'synrouter-pg' | 'pg-one' | 'pg-two' | 'portkey';
type Format = 'json' | 'sse';
const WITH_LITELLM = process.env.BENCH_LITELLM !== '0';
const WITH_POSTGRES = process.env.BENCH_POSTGRES !== '0';
const WITH_PORTKEY = process.env.BENCH_PORTKEY !== '0';
/**
 * Sessions of the one-vs-two-instances load: nginx hashes the session header, so one session would
 * all go to one instance. Each wrk connection's next request is the next session's next turn.
 */
const SESSIONS = num('BENCH_SESSIONS', 20);
/**
 * The same Synrouter on SQLite at an earlier commit, in the same run: whether a change made the
 * single-instance path slower (issue 20 asks it of the PostgreSQL store: eb28431 is main before it).
 * BENCH_BASE=<rev> picks another, BENCH_BASE=0 leaves it out. It runs from a git worktree of that
 * commit in the benchmark's temp dir, on this checkout's node_modules.
 */
const BASE = process.env.BENCH_BASE === '0' ? undefined : (process.env.BENCH_BASE ?? 'eb28431');
const TARGETS: Target[] = ['direct', 'nginx', 'floor', 'synrouter', ...(BASE ? ['synrouter-base' as const] : []), ...(WITH_LITELLM ? ['litellm' as const] : []),
  ...(WITH_POSTGRES ? ['synrouter-pg' as const, 'pg-one' as const, 'pg-two' as const] : []), ...(WITH_PORTKEY ? ['portkey' as const] : [])];
/** Portkey answers JSON only (runtime.md §7: its streams fail on Node with "TypeError: immutable"). */
const targetsFor = (format: Format) => (format === 'sse' ? TARGETS.filter((t) => t !== 'portkey') : TARGETS);
/** The multi-session load on the PostgreSQL Synrouter is its own row only for the two-instance comparison. */
const TTFB_TARGETS = targetsFor('sse').filter((t) => t !== 'pg-one');
const sessionsFor = (t: Target) => (t === 'pg-one' || t === 'pg-two' ? SESSIONS : 1);
const LABEL: Record<Target, string> = {
  direct: 'direct', nginx: 'nginx', floor: 'node floor (ref.)', synrouter: '**synrouter**', 'synrouter-base': `synrouter @${BASE ?? ''} (before)`, litellm: 'litellm',
  'synrouter-pg': 'synrouter, PostgreSQL', 'pg-one': `synrouter, PostgreSQL, ${SESSIONS} sessions`, 'pg-two': `nginx + 2 synrouters, PostgreSQL, ${SESSIONS} sessions`, portkey: 'portkey',
};
const FORMATS: Format[] = ['json', 'sse'];
const PG_TARGETS = new Set<Target>(['synrouter-pg', 'pg-one', 'pg-two']);

/**
 * `dbCpuPerReq`: the PostgreSQL cluster's CPU per request (PostgreSQL targets; null otherwise);
 * `parts`: CPU per request of each of the target's processes (proxyPids order).
 */
interface Measured { wrk: WrkResult; proxyCpuPerReq: number | null; dbCpuPerReq: number | null; parts: number[]; upstreamCpuPerReq: number; foreignPct: number; stealPct: number; synRssKiB: number }
interface Row { target: Target; format: Format; c1: Measured; c20: Measured; rounds: Array<{ c1: Measured; c20: Measured }> }

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
/**
 * The median of each figure over the rounds (so one slow round moves none of them); errors and
 * requests are summed (a failed response in any round invalidates the row), foreign CPU is the
 * worst round's (a contaminated round is marked even when the medians are clean).
 */
function medianRound(ms: Measured[]): Measured {
  const m = (pick: (x: Measured) => number) => median(ms.map(pick));
  const sum = (pick: (x: Measured) => number) => ms.reduce((a, x) => a + pick(x), 0);
  return {
    wrk: {
      requests: sum((x) => x.wrk.requests), duration_us: sum((x) => x.wrk.duration_us), bytes: sum((x) => x.wrk.bytes),
      p50_us: m((x) => x.wrk.p50_us), p90_us: m((x) => x.wrk.p90_us), p99_us: m((x) => x.wrk.p99_us), mean_us: m((x) => x.wrk.mean_us), max_us: Math.max(...ms.map((x) => x.wrk.max_us)),
      err_connect: sum((x) => x.wrk.err_connect), err_read: sum((x) => x.wrk.err_read), err_write: sum((x) => x.wrk.err_write), err_status: sum((x) => x.wrk.err_status), err_timeout: sum((x) => x.wrk.err_timeout),
      rps: m((x) => x.wrk.rps),
    },
    proxyCpuPerReq: ms[0]!.proxyCpuPerReq === null ? null : m((x) => x.proxyCpuPerReq!),
    dbCpuPerReq: ms[0]!.dbCpuPerReq === null ? null : m((x) => x.dbCpuPerReq!),
    parts: ms[0]!.parts.map((_, i) => m((x) => x.parts[i]!)),
    upstreamCpuPerReq: m((x) => x.upstreamCpuPerReq),
    foreignPct: Math.max(...ms.map((x) => x.foreignPct)),
    stealPct: Math.max(...ms.map((x) => x.stealPct)),
    synRssKiB: ms.at(-1)!.synRssKiB,
  };
}

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d));
/** Signed: +0.12 / -0.05. */
const sg = (x: number, d = 2) => (x >= 0 ? '+' : '') + f(x, d);
const ms = (us: number) => us / 1000;
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
const n0 = (x: number) => x.toLocaleString('en-US');

async function main(): Promise<void> {
  const t0 = performance.now();
  const tmp = mkdtempSync(join(tmpdir(), 'synrouter-overhead-'));
  const procs: Array<Pick<Proc, 'stop'>> = [];
  const out: string[] = [];
  try {
    // ---- inputs ----------------------------------------------------------------------------
    // One conversation replayed turn after turn (each body the one before plus a tool round, the
    // client's marker moving), as agents send it: Synrouter reuses what a session already sent, so a
    // fixed body sent again and again would flatter it. The single-body checks use the last turn.
    const conversations = { json: agentConversation({ stream: false, targetBytes: LAST_BYTES, turns: TURNS, model: MODEL }), sse: agentConversation({ stream: true, targetBytes: LAST_BYTES, turns: TURNS, model: MODEL }) };
    const bodies = { json: conversations.json.at(-1)!, sse: conversations.sse.at(-1)! };
    const bodyFiles = { json: [] as string[], sse: [] as string[] };
    for (const format of FORMATS) {
      conversations[format].forEach((b, i) => { const file = join(tmp, `body-${format}-${i}.json`); writeFileSync(file, b); bodyFiles[format].push(file); });
    }
    const meanBytes = Math.round(conversations.json.reduce((sum, b) => sum + b.length, 0) / TURNS);
    const streamBody = agentBody({ stream: true, targetBytes: 8_000, messages: 5, tools: 3, model: MODEL });

    // ---- processes -------------------------------------------------------------------------
    const upstream = await startUpstream();
    procs.push(upstream);
    const nginx = await startNginx(join(tmp, 'nginx'), Number(new URL(upstream.url).port));
    procs.push(nginx);
    let floor = await startFloor(upstream.url);
    procs.push(floor);
    // Synrouter's undici pool allows config upstream.connections (default 128) connections per origin;
    // the streams test needs one per stream, so the benchmark raises it unless told otherwise.
    // Per-key limits (default 600 requests/minute, 32 in flight) would refuse a load generator with
    // one key: the request-rate limit is off, and the concurrency limit is set high so that its
    // bookkeeping still runs on every request.
    const envConn = process.env.BENCH_UPSTREAM_CONNECTIONS ?? String(Math.max(1200, STREAMS + 100));
    const connections = envConn === 'default' ? undefined : envConn;
    const synConfig = { ...(connections ? { upstream: { connections: Number(connections) } } : {}), limits: { requestsPerMinute: 0, concurrentRequests: 100_000 } };
    const configFile = join(tmp, 'synrouter.json');
    writeFileSync(configFile, JSON.stringify(synConfig));
    let syn = await startSynrouter({ dir: join(tmp, 'synrouter'), upstreamUrl: upstream.url, configFile });
    procs.push(syn);
    const base = BASE ? await startBase(BASE, tmp, { upstreamUrl: upstream.url, configFile }) : undefined;
    if (base) procs.push(base);
    // LiteLLM as users run it: one model entry for the upstream (no injection points), one process.
    const litellm = WITH_LITELLM
      ? await startLiteLLM({ dir: join(tmp, 'litellm'), models: [{ name: MODEL, model: `anthropic/${MODEL}`, apiBase: upstream.url, apiKey: 'sk-ant-bench-upstream-key' }] })
      : undefined;
    if (litellm) procs.push(litellm);
    // PostgreSQL: one cluster, a database for the single instance and one that two instances share
    // (the same config file as the SQLite Synrouter: the limits' bookkeeping, shared through
    // PostgreSQL here, runs on every request). The second instance uses the key the first made.
    let pgb: BenchPostgres | undefined;
    let pg: { one: Awaited<ReturnType<typeof startSynrouter>>; a: Awaited<ReturnType<typeof startSynrouter>>; b: Awaited<ReturnType<typeof startSynrouter>>; lb: Awaited<ReturnType<typeof startNginxCluster>>; lbWorker: number; urls: { one: string; two: string } } | undefined;
    if (WITH_POSTGRES) {
      log('starting a throwaway PostgreSQL cluster and three Synrouters on it');
      pgb = await startBenchPostgres();
      const cluster = pgb;
      procs.push({ stop: async () => cluster.stop() });
      const dbOne = await pgb.database('bench_one'), dbTwo = await pgb.database('bench_two');
      const one = await startSynrouter({ dir: join(tmp, 'synrouter-pg'), upstreamUrl: upstream.url, configFile, env: { SYNROUTER_DATABASE_URL: dbOne } });
      procs.push(one);
      const a = await startSynrouter({ dir: join(tmp, 'synrouter-pg-a'), upstreamUrl: upstream.url, configFile, env: { SYNROUTER_DATABASE_URL: dbTwo } });
      procs.push(a);
      const b = await startSynrouter({ dir: join(tmp, 'synrouter-pg-b'), upstreamUrl: upstream.url, configFile, env: { SYNROUTER_DATABASE_URL: dbTwo }, key: a.key });
      procs.push(b);
      const lb = await startNginxCluster(join(tmp, 'nginx-cluster'), [a, b].map((x) => Number(new URL(x.url).port)));
      procs.push(lb);
      const lbWorker = lb.workerPid();
      if (!lbWorker) throw new Error('nginx (cluster) worker not found');
      pg = { one, a, b, lb, lbWorker, urls: { one: dbOne, two: dbTwo } };
    }
    const portkey = WITH_PORTKEY ? await startPortkey(log) : undefined;
    if (portkey) procs.push(portkey);
    const nginxWorker = nginx.workerPid();
    if (!nginxWorker) throw new Error('nginx worker not found');
    const pgProcs = () => (pg ? [pg.one.pid, pg.a.pid, pg.b.pid, pg.lb.pid, pg.lbWorker] : []);
    // The cluster's CPU as one monotonic figure (its backends exit when a pool closes idle clients).
    const watch = new CpuWatch(() => [upstream.pid, nginx.pid, nginxWorker, floor.pid, syn.pid, ...(base ? [base.pid] : []), ...(litellm ? [litellm.pid] : []), ...pgProcs(), ...(portkey ? [portkey.pid] : [])], () => pgb?.cpuMs() ?? 0);
    const proxyPids: Record<Target, number[]> = {
      direct: [], nginx: [nginx.pid, nginxWorker], floor: [floor.pid], synrouter: [syn.pid], 'synrouter-base': base ? [base.pid] : [], litellm: litellm ? [litellm.pid] : [],
      'synrouter-pg': pg ? [pg.one.pid] : [], 'pg-one': pg ? [pg.one.pid] : [], 'pg-two': pg ? [pg.a.pid, pg.b.pid, pg.lb.pid, pg.lbWorker] : [],
      portkey: portkey ? [portkey.pid] : [],
    };
    const urls: Record<Target, string> = {
      direct: `${upstream.url}/v1/messages`,
      nginx: `${nginx.url}/v1/messages`,
      floor: `${floor.url}/v1/messages`,
      synrouter: `${syn.url}/api/anthropic/v1/messages`,
      'synrouter-base': base ? `${base.url}/api/anthropic/v1/messages` : '',
      litellm: litellm ? `${litellm.url}/v1/messages` : '',
      'synrouter-pg': pg ? `${pg.one.url}/api/anthropic/v1/messages` : '',
      'pg-one': pg ? `${pg.one.url}/api/anthropic/v1/messages` : '',
      'pg-two': pg ? `${pg.lb.url}/api/anthropic/v1/messages` : '',
      portkey: portkey ? `${portkey.url}/v1/messages` : '',
    };
    // What Claude Code sends, plus the mock's knobs (forwarded like any other header).
    const headers: Record<string, string> = {
      'x-api-key': syn.key, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14',
      'x-claude-code-session-id': '5e55104d-bench-4000-8000-000000000001', 'user-agent': 'claude-cli/2.1.0 (external, cli)',
      'x-bench-events': String(SSE_EVENTS), 'x-bench-spacing-ms': '0',
    };
    // LiteLLM takes its master key, each Synrouter store its own key, Portkey the provider and upstream
    // in headers (the others ignore the key).
    const headersFor = (t: Target): Record<string, string> => {
      if (t === 'litellm') return { ...headers, 'x-api-key': LITELLM_KEY };
      if (t === 'synrouter-base') return { ...headers, 'x-api-key': base!.key };
      if (t === 'synrouter-pg' || t === 'pg-one') return { ...headers, 'x-api-key': pg!.one.key };
      if (t === 'pg-two') return { ...headers, 'x-api-key': pg!.a.key };
      if (t === 'portkey') return { ...headers, ...portkeyHeaders(upstream.url) };
      return headers;
    };
    const stats = async () => (await (await fetch(`${upstream.url}/__stats`)).json()) as { requests: number; withCacheControl: number; cacheControlMarkers: number; bytesIn: number; maxOpenStreams: number; openStreams: number; lastBarrier: number };
    const control = async (path: string) => { await fetch(`${upstream.url}${path}`, { method: 'POST' }); };

    // ---- correctness checks: every target answers; Synrouter's cache engine really ran ------
    const checks: string[] = [];
    await control('/__scan?on=1');
    for (const format of FORMATS) {
      for (const target of targetsFor(format)) {
        const before = await stats();
        const r = await post(urls[target], bodies[format], headersFor(target));
        const after = await stats();
        const ok = r.status === 200 && (format === 'json' ? r.body.includes('"usage"') : r.body.includes('event: message_stop'));
        if (!ok) throw new Error(`${target} ${format}: status ${r.status}: ${r.body.toString('utf8', 0, 500)}`);
        const markers = after.cacheControlMarkers - before.cacheControlMarkers;
        const sent = after.bytesIn - before.bytesIn;
        const own = countMarkers(bodies[format]);
        if (target === 'synrouter' || target === 'synrouter-base' || PG_TARGETS.has(target)) {
          if (markers <= own) throw new Error(`${target}: added no cache_control (${format}: ${markers} upstream, ${own} from the client): the cache engine did not run`);
          checks.push(`${target} ${format}: the upstream received ${n0(sent)} bytes with ${markers} cache_control markers (the client sent ${n0(bodies[format].length)} bytes with ${own}): the cache engine added ${markers - own}`);
        } else if (target === 'portkey') {
          if (markers !== own) throw new Error(`portkey ${format}: ${markers} cache_control markers upstream, the client sent ${own}`);
          checks.push(`portkey ${format}: the upstream received ${n0(sent)} bytes with ${markers} cache_control markers (the client sent ${n0(bodies[format].length)} bytes with ${own}): ${sent === bodies[format].length ? 'the same length' : 'rewritten'}, no marker added`);
        } else if (target === 'litellm') {
          // LiteLLM parses the body and writes it again: other bytes, the same markers.
          if (markers !== own) throw new Error(`litellm ${format}: ${markers} cache_control markers upstream, the client sent ${own}`);
          checks.push(`litellm ${format}: the upstream received ${n0(sent)} bytes with ${markers} cache_control markers (the client sent ${n0(bodies[format].length)} bytes with ${own}): LiteLLM writes the body anew and adds no marker`);
        } else if (markers !== own || sent !== bodies[format].length) throw new Error(`${target} ${format}: body altered on the way (${sent} bytes, ${markers} markers)`);
      }
    }
    if (portkey) {
      // Left out of the SSE rows; recorded, so that a Portkey release that fixes it shows here.
      const r = await post(urls.portkey, bodies.sse, headersFor('portkey'));
      checks.push(`portkey SSE (left out of the SSE rows): HTTP ${r.status}${r.status === 200 ? '' : `, ${r.body.toString('utf8', 0, 120)}`}`);
    }
    await control('/__scan?on=0');

    const waitQuiet = async (): Promise<void> => {
      const start = performance.now();
      while (performance.now() - start < 2000) {
        const a = watch.snapshot();
        await sleep(400);
        if (CpuWatch.foreign(a, watch.snapshot()).foreignPct < FOREIGN_LIMIT) return;
      }
    };

    // ---- memory: many concurrent slow streams through a fresh Synrouter (and the node floor) --
    const memTest = async (target: 'synrouter' | 'floor', pid: number) => {
      log(`memory: ${STREAMS} concurrent streams through ${target}, held until all are open, then ${STREAM_EVENTS} events ${STREAM_SPACING_MS} ms apart`);
      await waitQuiet();
      await control('/__reset');
      const before = rssKiB(pid);
      let peak = before;
      const cpu0 = cpuMs(pid);
      const r = await manyStreams({
        url: urls[target], body: streamBody, count: STREAMS, rampMs: 500,
        headers: { ...headers, 'x-bench-events': String(STREAM_EVENTS), 'x-bench-spacing-ms': String(STREAM_SPACING_MS), 'x-bench-barrier': String(STREAMS) },
        onTick: () => { peak = Math.max(peak, rssKiB(pid)); },
      });
      const cpu = cpuMs(pid) - cpu0;
      const st = await stats();
      const upstreamPeak = st.maxOpenStreams;
      const together = st.lastBarrier;
      const end = rssKiB(pid);
      await sleep(2000);
      return { ...r, before, peak, end, after: rssKiB(pid), cpuPerStream: cpu / STREAMS, upstreamPeak, together };
    };
    const mem = { synrouter: await memTest('synrouter', syn.pid), floor: await memTest('floor', floor.pid) };

    // Fresh processes for the load runs. After the burst both Node proxies are slower per request
    // for tens of seconds (measured with Synrouter: c=1 p50 2.7-3.7 ms right after 1,000 streams,
    // 1.4 ms 40 s later; the node floor likewise), so whichever target ran first after it paid for
    // the burst. The load runs measure the steady state; the same SQLite file carries on.
    log('restarting the node floor and Synrouter after the memory test');
    const burstStderr = syn.stderr();
    await floor.stop();
    floor = await startFloor(upstream.url);
    procs.push(floor);
    await syn.stop();
    syn = await startSynrouter({ dir: join(tmp, 'synrouter'), upstreamUrl: upstream.url, configFile });
    procs.push(syn);
    proxyPids.floor = [floor.pid];
    proxyPids.synrouter = [syn.pid];
    urls.floor = `${floor.url}/v1/messages`;
    urls.synrouter = `${syn.url}/api/anthropic/v1/messages`;
    headers['x-api-key'] = syn.key;

    // ---- load runs -------------------------------------------------------------------------
    const measure = async (target: Target, format: Format, c: number, seconds: number): Promise<Measured> => {
      await waitQuiet();
      const a = watch.snapshot();
      const db0 = pgb?.cpuMs() ?? 0;
      const wrk = await runWrk({ url: urls[target], connections: c, seconds, bodyFiles: bodyFiles[format], headers: headersFor(target), sessions: sessionsFor(target) });
      const db1 = pgb?.cpuMs() ?? 0;
      const b = watch.snapshot();
      const cpuOf = (pids: number[]) => pids.reduce((s, p) => s + (b.perPid.get(p) ?? 0) - (a.perPid.get(p) ?? 0), 0);
      const { foreignPct, stealPct } = CpuWatch.foreign(a, b);
      const errors = wrk.err_connect + wrk.err_read + wrk.err_write + wrk.err_status + wrk.err_timeout;
      if (errors) log(`  ${target} ${format} c=${c}: wrk errors ${JSON.stringify({ connect: wrk.err_connect, read: wrk.err_read, write: wrk.err_write, status: wrk.err_status, timeout: wrk.err_timeout })}`);
      return {
        wrk, foreignPct, stealPct,
        proxyCpuPerReq: target === 'direct' ? null : cpuOf(proxyPids[target]) / wrk.requests,
        dbCpuPerReq: PG_TARGETS.has(target) ? (db1 - db0) / wrk.requests : null,
        parts: proxyPids[target].map((p) => cpuOf([p]) / wrk.requests),
        upstreamCpuPerReq: cpuOf([upstream.pid]) / wrk.requests,
        synRssKiB: rssKiB(syn.pid),
      };
    };
    // Rounds, not one long run per target: the machine's speed drifts over minutes (other guests on
    // the host), so targets measured one after the other each get a different machine. Each round
    // measures every target once, starting from a different one, and the report takes the median
    // round per target and metric (and prints the spread).
    const rows: Row[] = [];
    for (const format of FORMATS) {
      const ts = targetsFor(format);
      for (const target of ts) {
        log(`${format} ${target}: warm-up ${warmSeconds(target)}s at c=20`);
        await runWrk({ url: urls[target], connections: 20, seconds: warmSeconds(target), bodyFiles: bodyFiles[format], headers: headersFor(target), sessions: sessionsFor(target) });
      }
      const rounds = new Map<Target, Array<{ c1: Measured; c20: Measured }>>(ts.map((t) => [t, []]));
      for (let r = 0; r < ROUNDS; r++) {
        for (let k = 0; k < ts.length; k++) {
          const target = ts[(r + k) % ts.length]!;
          // A second of load first: the target sat idle while the others ran (V8's memory reducer may
          // have shrunk its heap meanwhile).
          await runWrk({ url: urls[target], connections: 20, seconds: 1, bodyFiles: bodyFiles[format], headers: headersFor(target), sessions: sessionsFor(target) });
          const c1 = await measure(target, format, 1, C1_S);
          const c20 = await measure(target, format, 20, C20_S);
          rounds.get(target)!.push({ c1, c20 });
          log(`  round ${r + 1}/${ROUNDS} ${format} ${target}: c=1 p50 ${f(ms(c1.wrk.p50_us), 3)} ms, c=20 ${f(c20.wrk.rps, 0)} req/s, proxy CPU ${f(c20.proxyCpuPerReq, 3)} ms/req${c20.dbCpuPerReq === null ? '' : ` + PostgreSQL ${f(c20.dbCpuPerReq, 3)}`}, foreign ${f(c1.foreignPct, 0)}% / ${f(c20.foreignPct, 0)}%`);
        }
      }
      for (const target of ts) {
        const rs = rounds.get(target)!;
        rows.push({ target, format, c1: medianRound(rs.map((x) => x.c1)), c20: medianRound(rs.map((x) => x.c20)), rounds: rs });
      }
    }

    // ---- time to first byte (SSE), sequential ---------------------------------------------
    const ttfbs = {} as Record<Target, Awaited<ReturnType<typeof ttfb>>>;
    for (const target of TTFB_TARGETS) {
      log(`time to first byte: ${target}`);
      await waitQuiet();
      ttfbs[target] = await ttfb(urls[target], bodies.sse, headersFor(target), TTFB_N, 5);
    }

    // ---- ledger: one row per turn, usage metered ------------------------------------------
    await syn.stop(); // SIGTERM: finishes in-flight requests, flushes the ledger
    const db = new DatabaseSync(syn.dbPath, { readOnly: true });
    const ledger = db.prepare(`SELECT count(*) AS rows, sum(engine IS NOT NULL) AS engine, sum(cache_read_tokens > 0 AND output_tokens > 0) AS metered,
      sum(streamed) AS streamed, count(DISTINCT session_id) AS sessions FROM turns`).get() as Record<string, number>;
    const byStatus = db.prepare(`SELECT status, coalesce(error_code, '') AS code, aborted, count(*) AS n FROM turns GROUP BY 1, 2, 3 ORDER BY 4 DESC`).all() as Array<{ status: number; code: string; aborted: number; n: number }>;
    db.close();
    const internalErrors = ((burstStderr + syn.stderr()).match(/internal error/g) ?? []).length;
    // The PostgreSQL Synrouters flush their ledgers on SIGTERM too; nginx, Portkey and the cluster
    // stop here so that the observe phase has the machine to itself.
    let pgLedgers: { one: Awaited<ReturnType<typeof pgLedger>>; two: Awaited<ReturnType<typeof pgLedger>>; internalErrors: number } | undefined;
    if (pg && pgb) {
      if (!pgb.alive()) throw new Error('the PostgreSQL cluster is gone (stopped from outside the benchmark?): its rows are not valid');
      await Promise.all([pg.one.stop(), pg.a.stop(), pg.b.stop()]);
      pgLedgers = { one: await pgLedger(pg.urls.one), two: await pgLedger(pg.urls.two), internalErrors: ((pg.one.stderr() + pg.a.stderr() + pg.b.stderr()).match(/internal error/g) ?? []).length };
      await pg.lb.stop();
      pgb.stop();
    }
    await portkey?.stop();

    // ---- the report ------------------------------------------------------------------------
    const wrkV = (spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout || '').split('\n')[0]!.replace(/ \[.*$/, '').replace(/^wrk /, '').trim();
    const get = (format: Format, t: Target) => rows.find((r) => r.format === format && r.target === t)!;
    /** Synrouter on PostgreSQL against SQLite, two instances against one, Portkey against Synrouter. */
    const scaleOutTables = (): string[] => {
      const t: string[] = [];
      const addP = (format: Format, r: Row, k: 'p50_us' | 'p99_us') => ms(r.c1.wrk[k] - get(format, 'direct').c1.wrk[k]);
      const both = (r: Row) => r.c20.proxyCpuPerReq! + (r.c20.dbCpuPerReq ?? 0);
      if (base) {
        t.push('', `| format | Synrouter on SQLite CPU/req c=20, now / @${base.commit} | ratio | added p50 c=1, now / before | added p99 c=1, now / before | req/s c=20, now / before |`, '|---|---:|---:|---:|---:|---:|');
        for (const format of FORMATS) {
          const s = get(format, 'synrouter'), b = get(format, 'synrouter-base');
          t.push(`| ${format.toUpperCase()} | ${f(s.c20.proxyCpuPerReq, 3)} / ${f(b.c20.proxyCpuPerReq, 3)} ms | ${f(s.c20.proxyCpuPerReq! / b.c20.proxyCpuPerReq!, 2)}x `
            + `| ${sg(addP(format, s, 'p50_us'), 2)} / ${sg(addP(format, b, 'p50_us'), 2)} ms | ${sg(addP(format, s, 'p99_us'), 2)} / ${sg(addP(format, b, 'p99_us'), 2)} ms | ${f(s.c20.wrk.rps, 0)} / ${f(b.c20.wrk.rps, 0)} |`);
        }
      }
      if (pg) {
        t.push('', '| format | Synrouter CPU/req c=20, SQLite / PostgreSQL | ratio | + PostgreSQL server CPU/req | Synrouter + server vs SQLite | added p50 c=1, SQLite / PostgreSQL | added p99 c=1 | req/s c=20, SQLite / PostgreSQL | added TTFB p50, SQLite / PostgreSQL |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
        for (const format of FORMATS) {
          const s = get(format, 'synrouter'), p = get(format, 'synrouter-pg');
          const tf = (x: Target) => ttfbs[x].firstByteP50 - ttfbs.direct.firstByteP50;
          t.push(`| ${format.toUpperCase()} | ${f(s.c20.proxyCpuPerReq, 3)} / ${f(p.c20.proxyCpuPerReq, 3)} ms | ${f(p.c20.proxyCpuPerReq! / s.c20.proxyCpuPerReq!, 2)}x | ${f(p.c20.dbCpuPerReq, 3)} ms | ${f(both(p) / s.c20.proxyCpuPerReq!, 2)}x `
            + `| ${sg(addP(format, s, 'p50_us'), 2)} / ${sg(addP(format, p, 'p50_us'), 2)} ms | ${sg(addP(format, s, 'p99_us'), 2)} / ${sg(addP(format, p, 'p99_us'), 2)} ms | ${f(s.c20.wrk.rps, 0)} / ${f(p.c20.wrk.rps, 0)} | ${format === 'sse' ? `${sg(tf('synrouter'), 2)} / ${sg(tf('synrouter-pg'), 2)} ms` : '—'} |`);
        }
        t.push('', `| format (${SESSIONS} sessions) | req/s c=20, one instance / nginx + two | ratio | CPU/req c=20, one / two (instances + nginx) | PostgreSQL CPU/req, one / two | the two instances' CPU split | p50 c=20, one / two | p50 c=1, one / two |`, '|---|---:|---:|---:|---:|---:|---:|---:|');
        for (const format of FORMATS) {
          const o = get(format, 'pg-one'), w = get(format, 'pg-two');
          const [a, b] = w.c20.parts;
          t.push(`| ${format.toUpperCase()} | ${f(o.c20.wrk.rps, 0)} / ${f(w.c20.wrk.rps, 0)} | ${f(w.c20.wrk.rps / o.c20.wrk.rps, 2)}x | ${f(o.c20.proxyCpuPerReq, 3)} / ${f(w.c20.proxyCpuPerReq, 3)} ms | ${f(o.c20.dbCpuPerReq, 3)} / ${f(w.c20.dbCpuPerReq, 3)} ms `
            + `| ${f((100 * a!) / (a! + b!), 0)}% / ${f((100 * b!) / (a! + b!), 0)}% | ${f(ms(o.c20.wrk.p50_us))} / ${f(ms(w.c20.wrk.p50_us))} ms | ${f(ms(o.c1.wrk.p50_us), 3)} / ${f(ms(w.c1.wrk.p50_us), 3)} ms |`);
        }
      }
      if (portkey) {
        const s = get('json', 'synrouter'), k = get('json', 'portkey'), n = get('json', 'nginx');
        t.push('', `| format | Portkey ${portkey.version} CPU/req c=20 | vs Synrouter | vs nginx | req/s c=20, Portkey / Synrouter | Synrouter's req/s vs Portkey's | added p50 c=1, Portkey / Synrouter | added p99 c=1, Portkey / Synrouter |`, '|---|---:|---:|---:|---:|---:|---:|---:|');
        t.push(`| JSON | ${f(k.c20.proxyCpuPerReq, 2)} ms | ${f(k.c20.proxyCpuPerReq! / s.c20.proxyCpuPerReq!, 1)}x | ${f(k.c20.proxyCpuPerReq! / n.c20.proxyCpuPerReq!, 1)}x | ${f(k.c20.wrk.rps, 0)} / ${f(s.c20.wrk.rps, 0)} | ${f(s.c20.wrk.rps / k.c20.wrk.rps, 2)}x `
          + `| ${sg(addP('json', k, 'p50_us'), 2)} / ${sg(addP('json', s, 'p50_us'), 2)} ms | ${sg(addP('json', k, 'p99_us'), 2)} / ${sg(addP('json', s, 'p99_us'), 2)} ms |`);
      }
      return t;
    };
    out.push(`## Synrouter overhead benchmark (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`, '');
    out.push(`- Node ${process.version} (Synrouter, node floor, upstream${portkey ? `, Portkey's gateway ${portkey.version}` : ''}), nginx ${nginx.version}, ${litellm ? `LiteLLM ${litellm.version} (one process, default config, no database), ` : ''}${pgb ? `PostgreSQL ${pgb.version} (throwaway cluster, fsync off, as the tests run it), ` : ''}wrk ${wrkV}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? '?'}); everything shares the same cores.`);
    out.push(`- Requests: the last ${TURNS} turns of one Claude Code-shaped conversation, sent in turn (${n0(conversations.json[0]!.length)} to ${n0(bodies.json.length)} bytes, mean ${n0(meanBytes)}; each turn adds a tool round and moves the client's marker). Last turn: ${describeBody(bodies.json)}; model ${MODEL}; Claude Code headers (one session id); coding key; cache engine on.`);
    out.push(`- Upstream (node:http, own process): JSON answer ${n0(upstream.jsonBytes)} bytes with usage; SSE ${SSE_EVENTS} content_block_delta events, no spacing. nginx: 1 worker, proxy_buffering off, keepalive 128. node floor: node:http + undici, body buffered, no JSON or other work (what any Node proxy pays).`);
    if (pg) out.push(`- PostgreSQL targets: Synrouter with SYNROUTER_DATABASE_URL on the benchmark's own cluster (its CPU, all its processes, is the "PostgreSQL" column), the same config file as the SQLite Synrouter (so the per-key concurrency bookkeeping runs, through PostgreSQL here). "${SESSIONS} sessions": the same conversation replayed by ${SESSIONS} sessions (each its own x-claude-code-session-id, each sending its turns in order), on that Synrouter ("one instance") and through nginx (1 worker, deploy/nginx.conf's consistent hash on the session header) to two Synrouters sharing one database and one key ("two"); "instances + nginx" CPU counts both Synrouters and nginx.`);
    if (portkey) out.push(`- Portkey's gateway ${portkey.version} (npm, bench/portkey/): \`gateway --port=N --headless\` on this Node, provider and upstream in headers (x-portkey-provider: anthropic, x-portkey-custom-host); JSON only, its streams fail on Node (checked below).`);
    out.push(`- wrk -t1: warm-up at c=20 per target (${WARM_S} s for the Node targets, until V8 has stopped compiling${pg ? `; ${WARM_NATIVE_S} s for the ${SESSIONS}-session load on the PostgreSQL Synrouter, warmed just before` : ''}; ${WARM_NATIVE_S} s for direct and nginx), then ${ROUNDS} rounds; each round runs every target in turn (a different one first each round): 1 s of c=20 load, c=1 for ${C1_S} s (unloaded latency) and c=20 for ${C20_S} s (throughput). Each figure is the median over the rounds (per-round CPU and p50 below the ratios). CPU = utime+stime of the proxy's processes (/proc) / requests. Added = target minus direct, at c=1. The memory test runs first; the node floor and Synrouter are restarted after it, so the load runs measure fresh processes (the burst leaves a Node proxy slower for tens of seconds).`);
    out.push('');
    for (const format of FORMATS) {
      out.push(`### ${format === 'json' ? 'JSON' : 'SSE'} (~200 KB requests)`, '');
      out.push('| target | req/s c=20 | p50 c=20 ms | p99 c=20 ms | p50 c=1 ms | p99 c=1 ms | added p50 / p99 ms | proxy CPU ms/req c=20 / c=1 | upstream CPU ms/req | foreign CPU % c=1 / c=20 |');
      out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
      const direct = get(format, 'direct');
      for (const r of rows.filter((x) => x.format === format)) {
        const mark = (m: Measured) => `${f(m.foreignPct, 0)}${m.foreignPct > FOREIGN_LIMIT ? '*' : ''}`;
        const added = r.target === 'direct' ? '—' : `${sg(ms(r.c1.wrk.p50_us - direct.c1.wrk.p50_us), 3)} / ${sg(ms(r.c1.wrk.p99_us - direct.c1.wrk.p99_us), 2)}`;
        const bad = (m: Measured) => m.wrk.err_status + m.wrk.err_connect + m.wrk.err_read + m.wrk.err_timeout;
        const badNote = bad(r.c1) + bad(r.c20) > 0 ? ` (**INVALID: ${bad(r.c1) + bad(r.c20)} failed responses**)` : '';
        out.push(`| ${LABEL[r.target]}${badNote} | ${f(r.c20.wrk.rps, 0)} | ${f(ms(r.c20.wrk.p50_us))} | ${f(ms(r.c20.wrk.p99_us))} | ${f(ms(r.c1.wrk.p50_us), 3)} | ${f(ms(r.c1.wrk.p99_us), 2)} | ${added} | ${r.target === 'direct' ? '—' : `${f(r.c20.proxyCpuPerReq, 3)} / ${f(r.c1.proxyCpuPerReq, 3)}`} | ${f(r.c20.upstreamCpuPerReq, 3)} | ${mark(r.c1)} / ${mark(r.c20)} |`);
      }
      out.push('');
    }
    out.push(`### SSE time to first byte (sequential node:http client, one keep-alive connection, 200 KB request (the last turn); median of ${TTFB_N} after 5 warm-up)`, '');
    out.push(`| target | headers p50 ms | first event p50 ms | first event p90 ms | whole stream p50 ms | added first event p50 ms | failures |`, '|---|---:|---:|---:|---:|---:|---:|');
    for (const t of TTFB_TARGETS) {
      const x = ttfbs[t];
      out.push(`| ${LABEL[t]} | ${f(x.headersP50, 3)} | ${f(x.firstByteP50, 3)} | ${f(x.firstByteP90, 3)} | ${f(x.totalP50, 3)} | ${t === 'direct' ? '—' : sg(x.firstByteP50 - ttfbs.direct.firstByteP50, 3)} | ${x.failures} |`);
    }
    out.push('');

    out.push('### Ratios and goals (issue 8, on Node 24: added p50 < 1 ms; CPU per 200 KB turn < 3x nginx)', '');
    out.push('| format | Synrouter req/s vs direct / nginx | CPU/req vs nginx | CPU/req vs node floor | added p50 (nginx, floor) | added p99 (nginx, floor) | added TTFB p50 (nginx, floor) | goal p50 < 1 ms | goal CPU < 3x nginx |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---|---|');
    for (const format of FORMATS) {
      const d = get(format, 'direct'), n = get(format, 'nginx'), fl = get(format, 'floor'), s = get(format, 'synrouter');
      const cpuRatio = s.c20.proxyCpuPerReq! / n.c20.proxyCpuPerReq!;
      const add = (r: Row, k: 'p50_us' | 'p99_us') => ms(r.c1.wrk[k] - d.c1.wrk[k]);
      const tf = (t: Target) => ttfbs[t].firstByteP50 - ttfbs.direct.firstByteP50;
      out.push(`| ${format.toUpperCase()} | ${f(s.c20.wrk.rps / d.c20.wrk.rps, 3)}x / ${f(s.c20.wrk.rps / n.c20.wrk.rps, 3)}x | ${f(cpuRatio, 1)}x (${f(s.c20.proxyCpuPerReq, 2)} vs ${f(n.c20.proxyCpuPerReq, 3)} ms) | ${f(s.c20.proxyCpuPerReq! / fl.c20.proxyCpuPerReq!, 1)}x (+${f(s.c20.proxyCpuPerReq! - fl.c20.proxyCpuPerReq!, 2)} ms of Synrouter's own work) `
        + `| ${sg(add(s, 'p50_us'), 2)} ms (${sg(add(n, 'p50_us'), 3)}, ${sg(add(fl, 'p50_us'), 3)}) | ${sg(add(s, 'p99_us'), 2)} ms (${sg(add(n, 'p99_us'), 2)}, ${sg(add(fl, 'p99_us'), 2)}) `
        + `| ${format === 'sse' ? `${sg(tf('synrouter'), 2)} ms (${sg(tf('nginx'), 2)}, ${sg(tf('floor'), 2)})` : '—'} | ${add(s, 'p50_us') < 1 ? 'met' : `**not met** (${f(add(s, 'p50_us'), 1)} ms)`} | ${cpuRatio < 3 ? 'met' : `**not met** (${f(cpuRatio, 0)}x)`} |`);
    }
    if (litellm) {
      out.push('', '| format | LiteLLM CPU/req c=20 | vs nginx | vs Synrouter | LiteLLM req/s c=20 (Synrouter) | added p50 c=1 (Synrouter) | added p99 c=1 (Synrouter) | added TTFB p50 (Synrouter) |', '|---|---:|---:|---:|---:|---:|---:|---:|');
      for (const format of FORMATS) {
        const d = get(format, 'direct'), n = get(format, 'nginx'), s = get(format, 'synrouter'), l = get(format, 'litellm');
        const add = (r: Row, k: 'p50_us' | 'p99_us') => ms(r.c1.wrk[k] - d.c1.wrk[k]);
        const tf = (t: Target) => ttfbs[t].firstByteP50 - ttfbs.direct.firstByteP50;
        out.push(`| ${format.toUpperCase()} | ${f(l.c20.proxyCpuPerReq, 2)} ms | ${f(l.c20.proxyCpuPerReq! / n.c20.proxyCpuPerReq!, 1)}x | ${f(l.c20.proxyCpuPerReq! / s.c20.proxyCpuPerReq!, 1)}x | ${f(l.c20.wrk.rps, 0)} (${f(s.c20.wrk.rps, 0)}) | ${sg(add(l, 'p50_us'), 2)} ms (${sg(add(s, 'p50_us'), 2)}) | ${sg(add(l, 'p99_us'), 2)} ms (${sg(add(s, 'p99_us'), 2)}) | ${format === 'sse' ? `${sg(tf('litellm'), 2)} ms (${sg(tf('synrouter'), 2)})` : '—'} |`);
      }
    }
    out.push(...scaleOutTables());
    out.push('', `Node floor vs nginx CPU/req: JSON ${f(get('json', 'floor').c20.proxyCpuPerReq! / get('json', 'nginx').c20.proxyCpuPerReq!, 1)}x, SSE ${f(get('sse', 'floor').c20.proxyCpuPerReq! / get('sse', 'nginx').c20.proxyCpuPerReq!, 1)}x (the transport alone, before any Synrouter work).`, '');
    out.push('Per round (the medians above are taken over these; c=20 proxy CPU ms/req, c=1 p50 ms):', '');
    for (const format of FORMATS) {
      for (const t of targetsFor(format)) {
        const rs = get(format, t).rounds;
        out.push(`- ${format.toUpperCase()} ${LABEL[t]}: CPU ${t === 'direct' ? '—' : rs.map((x) => f(x.c20.proxyCpuPerReq, 3)).join(', ')}${PG_TARGETS.has(t) ? ` (+ PostgreSQL ${rs.map((x) => f(x.c20.dbCpuPerReq, 3)).join(', ')})` : ''}; p50 ${rs.map((x) => f(ms(x.c1.wrk.p50_us), 3)).join(', ')}; req/s c=20 ${rs.map((x) => f(x.c20.wrk.rps, 0)).join(', ')}`);
      }
    }
    out.push('');

    out.push(`### Memory: ${STREAMS} concurrent slow SSE streams through freshly started proxies (${n0(streamBody.length)}-byte agent request, one session each; the upstream sends message_start, holds every stream until all ${STREAMS} are open, then ${STREAM_EVENTS} deltas ${STREAM_SPACING_MS} ms apart)`, '');
    out.push('| proxy | streams completed | failed | open together at upstream | wall s | RSS before | peak during | at end | 2 s after | CPU ms/stream |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const t of ['synrouter', 'floor'] as const) {
      const m = mem[t];
      out.push(`| ${LABEL[t]} | ${m.completed} of ${STREAMS} | ${m.failed} | ${m.together} (peak ${m.upstreamPeak}) | ${f(m.wallMs / 1000, 1)} | ${mib(m.before)} | ${mib(m.peak)} (${sg((m.peak - m.before) / 1024, 0)} MiB, ${f((m.peak - m.before) / STREAMS, 0)} KiB/stream) | ${mib(m.end)} | ${mib(m.after)} | ${f(m.cpuPerStream, 2)} |`);
      if (m.errors.length) out.push('', `${t} stream errors (first ${m.errors.length}): ${m.errors.join(' | ')}`, '');
    }
    out.push('', `Synrouter RSS after the 200 KB load runs: ${rows.filter((r) => r.target === 'synrouter').map((r) => `${mib(r.c20.synRssKiB)} (after ${r.format.toUpperCase()})`).join(', ')}.`);
    out.push(`Synrouter's upstream pool: ${connections ? `upstream.connections = ${connections} from the config file. With Synrouter's default (128 per origin) the 129th concurrent stream waits for a connection (BENCH_UPSTREAM_CONNECTIONS=default to measure that)` : "Synrouter's default upstream.connections (128 per origin)"}.`);
    out.push('');

    out.push('### Checks', '');
    for (const c of checks) out.push(`- ${c}`);
    out.push(`- ledger after SIGTERM: ${ledger.rows} rows; engine ran on ${ledger.engine}; usage metered (cache read and output > 0) on ${ledger.metered}; streamed ${ledger.streamed}; sessions ${ledger.sessions}`);
    out.push(`- ledger rows by outcome: ${byStatus.map((r) => `${r.status}${r.code ? ' ' + r.code : ''}${r.aborted ? ' (aborted)' : ''}: ${r.n}`).join(', ')}; "internal error" lines in Synrouter's log: ${internalErrors}${internalErrors ? ' (wrk closes its connections mid-request when a run ends)' : ''}`);
    const all = rows.flatMap((r) => [[r, r.c1, 'c=1'], [r, r.c20, 'c=20']] as const);
    const contaminated = all.filter(([, m]) => m.foreignPct > FOREIGN_LIMIT);
    out.push(`- foreign CPU (machine user+nice+system minus this benchmark's processes, % of one core): ${contaminated.length ? `${contaminated.length} of ${all.length} runs over ${FOREIGN_LIMIT}%, marked * (contaminated): ${contaminated.map(([r, m, c]) => `${r.format} ${r.target} ${c} ${f(m.foreignPct, 0)}%`).join(', ')}` : `every run under ${FOREIGN_LIMIT}%`}; max steal ${f(Math.max(...all.map(([, m]) => m.stealPct)), 1)}%`);
    const wrkErr = all.filter(([, m]) => m.wrk.err_status + m.wrk.err_connect + m.wrk.err_read + m.wrk.err_timeout > 0);
    out.push(`- wrk errors: ${wrkErr.length ? `**${wrkErr.map(([r, m, c]) => `${r.format} ${r.target} ${c}: ${m.wrk.err_status} non-2xx, ${m.wrk.err_connect + m.wrk.err_read + m.wrk.err_timeout} socket errors`).join('; ')}** (those rows are invalid)` : 'none (all 2xx)'}`);
    if (pgLedgers) {
      const l = pgLedgers;
      const line = (x: typeof l.one) => `${x.rows} rows; engine ran on ${x.engine}; usage metered on ${x.metered}; streamed ${x.streamed}; sessions ${x.sessions}; by outcome: ${x.byStatus.map((r) => `${r.status}${r.code ? ' ' + r.code : ''}${r.aborted ? ' (aborted)' : ''}: ${r.n}`).join(', ')}`;
      out.push(`- ledger of the PostgreSQL Synrouter after SIGTERM: ${line(l.one)}`);
      out.push(`- ledger of the two instances (one database) after SIGTERM: ${line(l.two)}; rows written per instance (the hash's split of the sessions, warm-ups included): ${l.two.byInstance.join(' / ')}; "internal error" lines in the three PostgreSQL Synrouters' logs: ${l.internalErrors}`);
    }
    out.push(`- Synrouter config for the run: ${JSON.stringify(synConfig)}`);
    out.push(`- wall time: ${f((performance.now() - t0) / 1000, 0)} s`);
    console.log(out.join('\n'));

    // ---- the access log's and the traces' cost (BENCH_OBSERVE=0 skips it) --------------------
    if (process.env.BENCH_OBSERVE !== '0') {
      const phase = await observePhase({
        upstreamUrl: upstream.url, dir: tmp, configFile, bodyFiles, headers, warmSeconds: WARM_S, rounds: ROUNDS, c1Seconds: C1_S, c20Seconds: C20_S,
        otherPids: () => [upstream.pid, nginx.pid, nginxWorker, floor.pid], foreignLimit: FOREIGN_LIMIT, log,
      });
      console.log('\n' + phase.join('\n'));
    }

    // ---- optional: where Synrouter's CPU goes ----------------------------------------------
    if (PROFILE) {
      for (const format of FORMATS) {
        const dir = join(tmp, `profile-${format}`);
        log(`profile (${format}): Synrouter with --cpu-prof under wrk c=20 for ${C20_S} s`);
        const p = await startSynrouter({ dir, upstreamUrl: upstream.url, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir], configFile });
        const h = { ...headers, 'x-api-key': p.key };
        const cpu0 = cpuMs(p.pid);
        const w1 = await runWrk({ url: `${p.url}/api/anthropic/v1/messages`, connections: 20, seconds: WARM_S, bodyFiles: bodyFiles[format], headers: h });
        const w2 = await runWrk({ url: `${p.url}/api/anthropic/v1/messages`, connections: 20, seconds: C20_S, bodyFiles: bodyFiles[format], headers: h });
        const cpu = cpuMs(p.pid) - cpu0;
        await p.stop();
        const file = readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
        const n = w1.requests + w2.requests;
        console.log(`\n### Profile: ${format.toUpperCase()}, wrk c=20, ${n} requests, ${f(w2.rps, 0)} req/s under the profiler; process CPU (all threads) ${f(cpu / n, 2)} ms/req\n`);
        console.log(file ? summarizeProfile(join(dir, file), n) : `(no .cpuprofile written in ${dir})`);
        if (file && process.env.BENCH_KEEP_TMP) console.log(`\nprofile: ${join(dir, file)}`);
      }
    }
  } finally {
    for (const p of procs.reverse()) await p.stop().catch(() => {});
    if (process.env.BENCH_KEEP_TMP) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
