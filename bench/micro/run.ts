/**
 * Micro-benchmarks of the hand-written parsers against what each replaces, so that each keeps
 * proving its worth on Node upgrades: sse-parser against eventsource-parser, scan-json and rescan
 * against JSON.parse, upstream-body against undici's request(). Progress goes to stderr, the
 * Markdown tables to stdout (bench/README.md, "Micro-benchmarks", has the latest).
 *
 * Usage: node --expose-gc bench/micro/run.ts [file ...]   (npm run bench:micro; files: sse-parser,
 * scan-json, rescan, upstream-body; all by default). MICRO_ROUNDS (default 11), MICRO_ROUND_MS
 * (default 100) and MICRO_WARMUP_MS (default 500, per side) change the method.
 */
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { cpuTable, runCase, table, type Case, type CaseResult, type Settings } from './measure.ts';

interface BenchFile { cases(): Case[] | Promise<Case[]>; close?(): Promise<void>; checksum?(): number }

const FILES: Record<string, () => Promise<BenchFile>> = {
  'sse-parser': () => import('./sse-parser.bench.ts'),
  'scan-json': () => import('./scan-json.bench.ts'),
  rescan: () => import('./rescan.bench.ts'),
  'upstream-body': () => import('./upstream-body.bench.ts'),
};

const picked = process.argv.slice(2);
for (const p of picked) if (!FILES[p]) throw new Error(`unknown file ${p}; one of ${Object.keys(FILES).join(', ')}`);
const settings: Settings = {
  rounds: Number(process.env.MICRO_ROUNDS ?? 11),
  roundMs: Number(process.env.MICRO_ROUND_MS ?? 100),
  warmupMs: Number(process.env.MICRO_WARMUP_MS ?? 500),
};
if (!(globalThis as { gc?: unknown }).gc) process.stderr.write('[micro] without --expose-gc the heap figures include garbage from before each measurement (npm run bench:micro passes it)\n');

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const loadBefore = loadavg();
const started = new Date();
const results: CaseResult[] = [];
let checksum = 0;
for (const name of picked.length ? picked : Object.keys(FILES)) {
  const file = await FILES[name]!();
  try {
    for (const c of await file.cases()) results.push(await runCase(c, settings));
  } finally {
    await file.close?.();
  }
  checksum += file.checksum?.() ?? 0;
}

const sync = results.filter((r) => !r.concurrency), async = results.filter((r) => r.concurrency);
console.log(`Micro-benchmarks, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; `
  + `load average ${loadBefore} before, ${loadavg()} after; ${settings.rounds} rounds of ~${settings.roundMs} ms per side after ${settings.warmupMs} ms of warm-up per side.`);
console.log('Per operation: median over the rounds (min–max); ratios of medians, below 1 means ours is faster. Heap: V8 heap allocated per operation (GC-corrected), Buffer memory not counted.\n');
if (sync.length) console.log(`${table(sync)}\n`);
if (async.length) console.log(`${table(async)}\n\nClient CPU per request (this process, all threads; the server runs in a child):\n\n${cpuTable(async)}\n`);
if (checksum < 0) console.log(checksum); // keeps the readers' work observable
