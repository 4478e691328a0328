/**
 * The overhead benchmark's last phase (issue 25): what the access log and the traces cost on the
 * request path. Three fresh Synrouters on the same mock upstream and conversation, measured in
 * alternating rounds as the main targets are:
 *
 *   off     SYNROUTER_LOG_LEVEL=silent, no OTLP endpoint: neither pino nor OpenTelemetry is loaded
 *   log     the defaults: one JSON access-log line per request on stdout (a pipe this process drains)
 *   traces  the defaults plus OTEL_EXPORTER_OTLP_ENDPOINT (OTLP/HTTP protobuf) to a sink in this process
 *
 * log - off is the access log's cost per line, traces - log the traces' per turn. bench/observe-cost.ts
 * measures the same in process, without the transport's noise (which is ~0.1 ms/request here).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runWrk, startSynrouter, type SynrouterProc } from './processes.ts';
import { CpuWatch, cpuMs } from './proc.ts';

type Variant = 'off' | 'log' | 'traces';
const VARIANTS: Variant[] = ['off', 'log', 'traces'];
const LABEL: Record<Variant, string> = { off: 'log and traces off (nothing loaded)', log: 'access log on (default: JSON lines to stdout)', traces: 'access log + traces (OTLP/HTTP protobuf)' };

export interface ObservePhase {
  upstreamUrl: string; dir: string; configFile: string;
  bodyFiles: { json: string[]; sse: string[] };
  /** The benchmark's request headers (the x-api-key is replaced per instance). */
  headers: Record<string, string>;
  warmSeconds: number; rounds: number; c1Seconds: number; c20Seconds: number;
  /** The benchmark's other processes, so that their CPU is not counted as foreign. */
  otherPids: () => number[];
  foreignLimit: number;
  log: (s: string) => void;
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
const f = (x: number, d = 3) => x.toFixed(d);
const signed = (x: number, d = 3) => (x >= 0 ? '+' : '') + f(x, d);

export async function observePhase(o: ObservePhase): Promise<string[]> {
  // The OTLP sink: reads and discards (its CPU is this process's, not Synrouter's).
  let exports = 0, exportBytes = 0;
  const sink = createServer((req, res) => {
    req.on('data', (c: Buffer) => { exportBytes += c.length; });
    req.on('end', () => { exports++; res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(); });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const env: Record<Variant, Record<string, string>> = {
    off: { SYNROUTER_LOG_LEVEL: 'silent' },
    log: {},
    traces: { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl },
  };
  const procs = {} as Record<Variant, SynrouterProc>;
  let logBytes = 0, logLines = 0;
  try {
    for (const v of VARIANTS) {
      procs[v] = await startSynrouter({ dir: join(o.dir, `observe-${v}`), upstreamUrl: o.upstreamUrl, configFile: o.configFile, env: env[v] });
      // startSynrouter drains stdout already; count the access log's bytes and lines too.
      procs[v].child.stdout!.on('data', (c: Buffer) => { logBytes += c.length; for (const b of c) if (b === 10) logLines++; });
    }
    const watch = new CpuWatch(() => [...o.otherPids(), ...VARIANTS.map((v) => procs[v].pid)]);
    const hdr = (v: Variant) => ({ ...o.headers, 'x-api-key': procs[v].key });
    const url = (v: Variant) => `${procs[v].url}/api/anthropic/v1/messages`;
    const waitQuiet = async () => {
      const start = performance.now();
      while (performance.now() - start < 2000) {
        const a = watch.snapshot();
        await new Promise((r) => setTimeout(r, 400));
        if (CpuWatch.foreign(a, watch.snapshot()).foreignPct < o.foreignLimit) return;
      }
    };
    const out: string[] = [];
    out.push('### Access log and traces: cost on the request path (three fresh Synrouters, same run)', '');
    out.push(`${LABEL.off}; ${LABEL.log}; ${LABEL.traces}. Each gets ${o.warmSeconds} s of c=20 warm-up per format, then ${o.rounds} rounds in turn (a different one first each round): 1 s of c=20, c=1 for ${o.c1Seconds} s, c=20 for ${o.c20Seconds} s. Medians over the rounds.`, '');
    out.push('| format | variant | CPU ms/req c=20 | vs off, us/req | p50 c=1 ms | vs off, ms | per round CPU | foreign CPU % (max) |', '|---|---|---:|---:|---:|---:|---|---:|');
    for (const format of ['json', 'sse'] as const) {
      for (const v of VARIANTS) {
        o.log(`observe ${format} ${v}: warm-up ${o.warmSeconds}s at c=20`);
        await runWrk({ url: url(v), connections: 20, seconds: o.warmSeconds, bodyFiles: o.bodyFiles[format], headers: hdr(v) });
      }
      const res = new Map<Variant, Array<{ cpu: number; p50: number; foreign: number }>>(VARIANTS.map((v) => [v, []]));
      for (let r = 0; r < o.rounds; r++) {
        for (let k = 0; k < VARIANTS.length; k++) {
          const v = VARIANTS[(r + k) % VARIANTS.length]!;
          await runWrk({ url: url(v), connections: 20, seconds: 1, bodyFiles: o.bodyFiles[format], headers: hdr(v) });
          await waitQuiet();
          const a1 = watch.snapshot();
          const c1 = await runWrk({ url: url(v), connections: 1, seconds: o.c1Seconds, bodyFiles: o.bodyFiles[format], headers: hdr(v) });
          const f1 = CpuWatch.foreign(a1, watch.snapshot()).foreignPct;
          await waitQuiet();
          const a = watch.snapshot();
          const cpu0 = cpuMs(procs[v].pid);
          const c20 = await runWrk({ url: url(v), connections: 20, seconds: o.c20Seconds, bodyFiles: o.bodyFiles[format], headers: hdr(v) });
          const cpu = (cpuMs(procs[v].pid) - cpu0) / c20.requests;
          const f20 = CpuWatch.foreign(a, watch.snapshot()).foreignPct;
          const bad = c1.err_status + c1.err_connect + c1.err_read + c1.err_timeout + c20.err_status + c20.err_connect + c20.err_read + c20.err_timeout;
          if (bad) o.log(`  observe ${format} ${v}: ${bad} failed responses`);
          res.get(v)!.push({ cpu, p50: c1.p50_us / 1000, foreign: Math.max(f1, f20) });
          o.log(`  observe round ${r + 1}/${o.rounds} ${format} ${v}: CPU ${f(cpu)} ms/req, c=1 p50 ${f(c1.p50_us / 1000)} ms`);
        }
      }
      const off = res.get('off')!;
      for (const v of VARIANTS) {
        const rs = res.get(v)!;
        const cpu = median(rs.map((x) => x.cpu)), p50 = median(rs.map((x) => x.p50));
        const foreign = Math.max(...rs.map((x) => x.foreign));
        const dCpu = (cpu - median(off.map((x) => x.cpu))) * 1000, dP50 = p50 - median(off.map((x) => x.p50));
        out.push(`| ${format.toUpperCase()} | ${LABEL[v]} | ${f(cpu)} | ${v === 'off' ? '—' : signed(dCpu, 0)} | ${f(p50)} | ${v === 'off' ? '—' : signed(dP50)} | ${rs.map((x) => f(x.cpu)).join(', ')} | ${f(foreign, 0)}${foreign > o.foreignLimit ? '*' : ''} |`);
      }
    }
    out.push('', `Access log written by the "log" and "traces" instances: ${logLines.toLocaleString('en-US')} lines, ${logLines ? Math.round(logBytes / logLines) : 0} bytes per line on average. OTLP exports received from "traces": ${exports.toLocaleString('en-US')} (${(exportBytes / 1048576).toFixed(1)} MiB).`, '');
    return out;
  } finally {
    for (const v of VARIANTS) await procs[v]?.stop().catch(() => {});
    await new Promise<void>((r) => sink.close(() => r()));
  }
}

/**
 * On its own (`node bench/overhead/observe-phase.ts`): only this phase, with the main run's mock
 * upstream, conversation, headers and config, for when the whole benchmark is more than is needed.
 */
if (import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { agentConversation } = await import('./body.ts');
  const { startUpstream } = await import('./processes.ts');
  const num = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);
  const tmp = mkdtempSync(join(tmpdir(), 'synrouter-observe-'));
  const upstream = await startUpstream();
  try {
    const bodyFiles = { json: [] as string[], sse: [] as string[] };
    for (const format of ['json', 'sse'] as const) {
      agentConversation({ stream: format === 'sse', targetBytes: 218_000, turns: 10, model: 'claude-sonnet-4-6' }).forEach((b, i) => {
        const file = join(tmp, `body-${format}-${i}.json`);
        writeFileSync(file, b);
        bodyFiles[format].push(file);
      });
    }
    const configFile = join(tmp, 'synrouter.json');
    writeFileSync(configFile, JSON.stringify({ limits: { requestsPerMinute: 0, concurrentRequests: 100_000 } }));
    const headers = {
      'anthropic-version': '2023-06-01', 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14',
      'x-claude-code-session-id': '5e55104d-bench-4000-8000-000000000001', 'user-agent': 'claude-cli/2.1.0 (external, cli)', 'x-bench-events': '20', 'x-bench-spacing-ms': '0',
    };
    const out = await observePhase({
      upstreamUrl: upstream.url, dir: tmp, configFile, bodyFiles, headers,
      warmSeconds: num('BENCH_WARM_SECONDS', 36), rounds: num('BENCH_ROUNDS', 3), c1Seconds: num('BENCH_C1_SECONDS', 2), c20Seconds: num('BENCH_C20_SECONDS', 3),
      otherPids: () => [upstream.pid], foreignLimit: 20, log: (s) => process.stderr.write(`[bench] ${s}\n`),
    });
    console.log(`## Synrouter's access log and traces on the request path (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version})\n\n${out.join('\n')}`);
  } finally {
    await upstream.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
