/**
 * The micro-benchmarks' harness: a case is one input and two ways of handling it, ours and what it
 * replaces. Both sides are checked to give the same answer, warmed up together, then timed in
 * alternating rounds (ours, theirs, ours, ...) so that a change in the machine's load during the run
 * falls on both. Per round: wall time and process CPU (all threads: the collector's helpers included)
 * divided by the round's operations. After the rounds, heap allocated per operation is measured over
 * one more round with v8.GCProfiler: used heap after minus before, plus what each collection in
 * between freed (Buffer memory outside the V8 heap is not counted).
 */
import { GCProfiler } from 'node:v8';

export interface Side {
  /** What runs, e.g. "SseParser" or "JSON.parse(buf.toString())". */
  label: string;
  /** One operation; a promise is awaited (`concurrency` of them in flight). */
  op: () => unknown;
}

export interface Case {
  /** The file under test, e.g. "sse-parser". */
  group: string;
  /** The input, e.g. "Claude Code turn, one chunk per event". */
  input: string;
  ours: Side;
  theirs: Side;
  /** Throws when the two sides disagree on the input (run once before timing). */
  check?: () => void | Promise<void>;
  /** Async cases: operations in flight at once. */
  concurrency?: number;
}

export interface SideResult { label: string; msPerOp: number[]; cpuMsPerOp: number[]; heapBytesPerOp: number; ops: number }
export interface CaseResult { group: string; input: string; ours: SideResult; theirs: SideResult; concurrency?: number }

export interface Settings {
  /** Warm-up per side, ms (alternating in short slices). */
  warmupMs: number;
  /** Timed rounds per side. */
  rounds: number;
  /** Target length of one round, ms. */
  roundMs: number;
}

const progress = (line: string) => process.stderr.write(`[micro] ${line}\n`);

/** Runs `n` operations of a side and returns when all are done. */
async function runOps(side: Side, n: number, concurrency: number | undefined): Promise<void> {
  if (!concurrency) {
    let last: unknown;
    for (let i = 0; i < n; i++) last = side.op();
    if (last instanceof Promise) throw new Error(`${side.label}: an async operation in a case without concurrency`);
    return;
  }
  let started = 0;
  const worker = async () => { while (started < n) { started++; await side.op(); } };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

async function timed(side: Side, n: number, concurrency: number | undefined): Promise<{ ms: number; cpuMs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await runOps(side, n, concurrency);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Heap bytes allocated per operation over `n` operations, collections in between accounted for. */
async function heapPerOp(side: Side, n: number, concurrency: number | undefined): Promise<number> {
  (globalThis as { gc?: () => void }).gc?.();
  const profiler = new GCProfiler();
  profiler.start();
  const before = process.memoryUsage().heapUsed;
  await runOps(side, n, concurrency);
  const after = process.memoryUsage().heapUsed;
  const stats = profiler.stop()?.statistics ?? [];
  const freed = stats.reduce((sum, s) => sum + s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize, 0);
  return (after - before + freed) / n;
}

export async function runCase(c: Case, s: Settings): Promise<CaseResult> {
  const name = `${c.group}: ${c.input}`;
  await c.check?.();
  // Warm-up, alternating slices, also calibrating how many operations fill a round.
  const sides = [c.ours, c.theirs] as const;
  const opsDone = [0, 0], msSpent = [0, 0];
  const sliceMs = Math.max(20, s.warmupMs / 10);
  const warmEnd = performance.now() + 2 * s.warmupMs;
  let batch = [1, 1];
  while (performance.now() < warmEnd) {
    for (let k = 0; k < 2; k++) {
      const { ms } = await timed(sides[k]!, batch[k]!, c.concurrency);
      opsDone[k]! += batch[k]!;
      msSpent[k]! += ms;
      batch[k] = Math.max(1, Math.min(batch[k]! * 2, Math.round(sliceMs / Math.max(1e-6, msSpent[k]! / opsDone[k]!))));
    }
  }
  const perRound = sides.map((_, k) => Math.max(c.concurrency ?? 1, Math.round(s.roundMs / (msSpent[k]! / opsDone[k]!))));
  progress(`${name}: warmed up (${opsDone[0]} / ${opsDone[1]} ops), ${s.rounds} rounds of ${perRound[0]} / ${perRound[1]} ops`);
  const results: SideResult[] = sides.map((side, k) => ({ label: side.label, msPerOp: [], cpuMsPerOp: [], heapBytesPerOp: 0, ops: perRound[k]! }));
  for (let r = 0; r < s.rounds; r++) {
    for (let k = 0; k < 2; k++) {
      const { ms, cpuMs } = await timed(sides[k]!, perRound[k]!, c.concurrency);
      results[k]!.msPerOp.push(ms / perRound[k]!);
      results[k]!.cpuMsPerOp.push(cpuMs / perRound[k]!);
    }
  }
  for (let k = 0; k < 2; k++) results[k]!.heapBytesPerOp = await heapPerOp(sides[k]!, perRound[k]!, c.concurrency);
  const [ours, theirs] = results as [SideResult, SideResult];
  progress(`${name}: ours ${fmtMs(median(ours.msPerOp))}, theirs ${fmtMs(median(theirs.msPerOp))} per op (ratio ${(median(ours.msPerOp) / median(theirs.msPerOp)).toFixed(2)})`);
  return { group: c.group, input: c.input, ours, theirs, ...(c.concurrency ? { concurrency: c.concurrency } : {}) };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Milliseconds with 3 significant digits, as µs below 1 ms. */
export function fmtMs(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toPrecision(3)} µs`;
  return `${ms.toPrecision(3)} ms`;
}

const spread = (xs: readonly number[]) => `${fmtMs(median(xs))} (${fmtMs(Math.min(...xs))}–${fmtMs(Math.max(...xs))})`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(bytes < 10_240 ? 1 : 0)} KB`;

/** The results as a Markdown table: per operation, median over rounds (min–max), and ours / theirs. */
export function table(results: readonly CaseResult[]): string {
  const rows = [
    '| file | input | ours | theirs | ours, per op | theirs, per op | time ours/theirs | CPU ours/theirs | heap alloc per op, ours / theirs |',
    '|---|---|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const ratio = median(r.ours.msPerOp) / median(r.theirs.msPerOp);
    const cpuRatio = median(r.ours.cpuMsPerOp) / median(r.theirs.cpuMsPerOp);
    const input = r.concurrency ? `${r.input} (c=${r.concurrency})` : r.input;
    rows.push(`| ${r.group} | ${input} | ${r.ours.label} | ${r.theirs.label} | ${spread(r.ours.msPerOp)} | ${spread(r.theirs.msPerOp)} | ${ratio.toFixed(2)} | ${cpuRatio.toFixed(2)} | ${kb(r.ours.heapBytesPerOp)} / ${kb(r.theirs.heapBytesPerOp)} |`);
  }
  return rows.join('\n');
}

/** For async cases the client's CPU is what the reader costs: a second table with it. */
export function cpuTable(results: readonly CaseResult[]): string {
  const rows = ['| file | input | ours, CPU per op | theirs, CPU per op | CPU ours/theirs |', '|---|---|---:|---:|---:|'];
  for (const r of results) {
    const input = r.concurrency ? `${r.input} (c=${r.concurrency})` : r.input;
    rows.push(`| ${r.group} | ${input} | ${spread(r.ours.cpuMsPerOp)} | ${spread(r.theirs.cpuMsPerOp)} | ${(median(r.ours.cpuMsPerOp) / median(r.theirs.cpuMsPerOp)).toFixed(2)} |`);
  }
  return rows.join('\n');
}
