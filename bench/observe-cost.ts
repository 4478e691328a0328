/**
 * What the access log and the traces cost (issue 25), in process, without the transport's noise:
 *
 * - per request with both off (log level "silent", no OTLP endpoint): Observer.turnEnded;
 * - per access-log line: building it (accessLine) and pino writing it, asynchronously, to a file;
 * - per traced turn (a SERVER span and one CLIENT span): making the spans, batching and exporting them
 *   over OTLP/HTTP (protobuf, then JSON) to a sink in another process;
 * - at start-up: importing and opening each, in a fresh process (wall time and RSS).
 *
 * CPU is process.cpuUsage (every thread: pino's writes and the exporter's run on libuv's pool and
 * the main thread), after a warm-up, divided by the count. Usage: node bench/observe-cost.ts [lines]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createRegistry } from '../src/route/registry.ts';
import type { Route } from '../src/route/resolve-route.ts';
import type { KeyRecord } from '../src/store/keys.ts';
import { newTurn, type Turn } from '../src/turn.ts';
import { turnRow } from '../src/store/rows.ts';
import { anthropic } from '../src/upstream/providers.ts';
import { accessLine } from '../src/observe/access-line.ts';
import { openAccessLog } from '../src/observe/access-log.ts';
import { Observer } from '../src/observe/observer.ts';
import { startTracer } from '../src/observe/otel-tracer.ts';

const N = Number(process.argv[2] ?? 100_000);
const registry = createRegistry();
const route: Route = {
  providerName: 'anthropic', provider: { spec: anthropic, baseUrl: 'https://api.anthropic.com', apiKeys: ['k'] },
  entry: registry.resolve('claude-sonnet-4-6')!, upstreamModel: 'claude-sonnet-4-6', apiKey: 'k', wire: 'anthropic',
};
const key = { id: 'key_0123abcd4567', mode: 'coding' } as KeyRecord;

/** A turn as the overhead benchmark's are: Claude Code headers, streamed, cache read, one attempt. */
function turn(i: number): Turn {
  const t = newTurn(`req_sr_${i.toString(16).padStart(32, '0')}`, 'anthropic', 'messages', Date.now());
  const start = performance.now();
  Object.assign(t, {
    key, sessionId: '5e55104d-bench-4000-8000-000000000001', requestedModel: 'claude-sonnet-4-6', responseModel: 'claude-sonnet-4-6', route, streamed: true, status: 200, ttfbMs: 1.2,
    usage: { input: 12, cacheRead: 52_000, cacheWrite5m: 1_800, cacheWrite1h: 0, output: 420 }, clientOnlyUsage: { input: 53_812, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 420 },
    changes: [{ kind: 'breakpoint', detail: 'rolling 5m at messages[108].content[1]' }], attempts: [{ route, startPerf: start, endPerf: start + 0.4, status: 200 }],
  });
  return t;
}

const cpuUs = () => { const c = process.cpuUsage(); return c.user + c.system; };
async function perOp(label: string, count: number, run: (i: number) => void, settle: () => Promise<void> = async () => {}): Promise<number> {
  for (let i = 0; i < Math.min(20_000, count); i++) run(i); // warm-up: V8 compiles the path
  await settle();
  const c0 = cpuUs();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) run(i);
  await settle();
  const us = (cpuUs() - c0) / count;
  console.log(`| ${label} | ${count.toLocaleString('en-US')} | ${us.toFixed(2)} | ${(((performance.now() - t0) * 1000) / count).toFixed(2)} |`);
  return us;
}

/** An OTLP/HTTP sink in its own process (its CPU is not this process's): answers 200 to everything. */
async function startSink(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['-e', `
    const s = require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => r.writeHead(200, { 'content-type': q.headers['content-type'] }).end()); });
    s.listen(0, '127.0.0.1', () => console.log(s.address().port));`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [port] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${String(port).trim()}`, stop: () => child.kill() };
}

/** Start-up: a fresh process imports the observer and opens what the configuration asks for. */
function startup(kind: 'off' | 'log' | 'traces', dir: string): { ms: number; rssMiB: number } {
  const script = `
    const t0 = performance.now(); const r0 = process.memoryUsage().rss;
    const { createObserver } = await import(${JSON.stringify(new URL('../src/observe/observer.ts', import.meta.url).href)});
    const o = await createObserver({ log: { level: ${JSON.stringify(kind === 'off' ? 'silent' : 'info')}, destination: ${JSON.stringify(join(dir, 'startup.log'))}, format: 'json' }${kind === 'traces' ? ", tracing: { url: 'http://127.0.0.1:9/v1/traces', protocol: 'http/protobuf', sampler: { root: 'always_on', ratio: 1, parentBased: true }, batch: {} }" : ''} });
    const ms = performance.now() - t0; const rss = process.memoryUsage().rss - r0;
    console.log(JSON.stringify({ ms, rssMiB: rss / 1048576 }));
    process.exit(0);`;
  const runs = Array.from({ length: 5 }, () => JSON.parse(spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).stdout) as { ms: number; rssMiB: number });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
  return { ms: median(runs.map((r) => r.ms)), rssMiB: median(runs.map((r) => r.rssMiB)) };
}

const dir = mkdtempSync(join(tmpdir(), 'synrouter-observe-cost-'));
try {
  console.log(`## Access log and traces: cost per request (Node ${process.version}, in process, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)\n`);
  console.log('| what | requests | CPU us/request (all threads) | wall us/request |');
  console.log('|---|---:|---:|---:|');
  const turns = Array.from({ length: 1000 }, (_, i) => turn(i));
  const rows = turns.map((t) => turnRow({ ...t, key }, registry));
  const off = new Observer(undefined, undefined);
  await perOp('both off: Observer.turnEnded (level silent, no endpoint)', N * 10, (i) => off.turnEnded(turns[i % 1000]!, rows[i % 1000], 200));
  await perOp('accessLine() alone (building the line)', N, (i) => void accessLine(turns[i % 1000]!, rows[i % 1000], performance.now()));
  const lineOf = (i: number) => accessLine(turns[i % 1000]!, rows[i % 1000], performance.now());
  await perOp('JSON.stringify of the line (for scale)', N, (i) => void JSON.stringify(lineOf(i)));

  const file = join(dir, 'access.log');
  const log = (await openAccessLog({ level: 'info', destination: file, format: 'json' }, { stdout: false, stderr: false }))!;
  // Paced (a yield to the event loop every 20 lines, as requests arrive): a tight loop of 100,000
  // lines would fill the 16 MB queue and have lines dropped, which costs less than writing them.
  const writeLines = async (from: number, count: number) => {
    for (let i = from; i < from + count; i += 20) {
      for (let j = i; j < i + 20; j++) log.write(accessLine(turns[j % 1000]!, rows[j % 1000], performance.now()), 'info');
      await new Promise((r) => setImmediate(r));
    }
  };
  await writeLines(0, 20_000);
  await new Promise((r) => setTimeout(r, 300));
  const l0 = cpuUs();
  const lt = performance.now();
  await writeLines(20_000, N);
  await log.close();
  console.log(`| access log line: built and written by pino to a file (async, 4 KB writes) | ${N.toLocaleString('en-US')} | ${((cpuUs() - l0) / N).toFixed(2)} | ${(((performance.now() - lt) * 1000) / N).toFixed(2)} |`);
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').length - 1;
  const bytes = text.length;
  if (lines !== N + 20_000) console.log(`(only ${lines} of ${N + 20_000} lines were written: the queue overflowed)`);

  const sink = await startSink();
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    const tracer = await startTracer({ url: `${sink.url}/v1/traces`, protocol, sampler: { root: 'always_on', ratio: 1, parentBased: true }, batch: { scheduledDelayMillis: 200 } });
    // In batches of 200 every 50 ms (4,000 turns/s, as requests arrive): a burst would overflow the SDK's 2,048-span queue and be dropped.
    const count = Math.min(N, 50_000);
    const settle = () => new Promise<void>((r) => setTimeout(r, 400));
    const warm = 20_000;
    const paced = async (count: number) => {
      for (let i = 0; i < count; i += 200) { for (let j = 0; j < 200; j++) tracer.record(turns[(i + j) % 1000]!, rows[(i + j) % 1000], performance.now()); await new Promise((r) => setTimeout(r, 50)); }
    };
    await paced(warm);
    await settle();
    const c0 = cpuUs();
    await paced(count);
    await tracer.shutdown(10_000);
    const us = (cpuUs() - c0) / count;
    console.log(`| traced turn (2 spans), batched and exported, OTLP ${protocol} | ${count.toLocaleString('en-US')} | ${us.toFixed(2)} | (paced) |`);
  }
  sink.stop();
  console.log(`\nAccess log: ${(bytes / lines).toFixed(0)} bytes per line.\n`);

  console.log('| start-up (fresh process, median of 5) | wall ms | RSS MiB |');
  console.log('|---|---:|---:|');
  for (const kind of ['off', 'log', 'traces'] as const) {
    const s = startup(kind, dir);
    console.log(`| ${kind === 'off' ? 'both off (nothing loaded)' : kind === 'log' ? 'access log (pino)' : 'access log + traces (OpenTelemetry SDK, protobuf exporter)'} | ${s.ms.toFixed(1)} | +${s.rssMiB.toFixed(1)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
