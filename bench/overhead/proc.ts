/** /proc readers: a process's CPU time and RSS, the machine's CPU counters, a process's children. */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export const CLK_TCK = (() => {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; }
})();
const MS_PER_TICK = 1000 / CLK_TCK;

function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": index 0 is field 3 (state); utime is field 14, so index 11.
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of a process (all its threads), in ms; 0 when it is gone. */
export function cpuMs(pid: number): number {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) * MS_PER_TICK : 0;
}

/** CPU of this process's waited-for children (cutime + cstime), in ms: how wrk's CPU is read after it exits. */
export function reapedChildrenCpuMs(): number {
  const f = statFields('self');
  return f ? (Number(f[13]) + Number(f[14])) * MS_PER_TICK : 0;
}

/** Resident set size in KiB (VmRSS), 0 when the process is gone. */
export function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export interface SystemCpu { busyMs: number; stealMs: number; at: number }

/** Machine-wide CPU time spent in user+nice+system (all cores), and steal, in ms. */
export function systemCpu(): SystemCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const [, user, nice, system, , , , , steal] = line.trim().split(/\s+/).map(Number);
  return { busyMs: (user! + nice! + system!) * MS_PER_TICK, stealMs: (steal ?? 0) * MS_PER_TICK, at: performance.now() };
}

export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Tracks the CPU used by "our" processes (listed pids, this process, and its reaped children such as
 * wrk) against the machine's total, to tell how much CPU something else used during a measurement.
 */
export class CpuWatch {
  readonly #pids: () => number[];
  readonly #extraMs: () => number;
  /**
   * `extraMs`: CPU of further own processes, in ms, that must stay monotonic when some of them exit
   * (a database's backends come and go; counted as pids, an exited one would take its whole CPU out
   * of `own` and show up as foreign load).
   */
  constructor(pids: () => number[], extraMs: () => number = () => 0) { this.#pids = pids; this.#extraMs = extraMs; }

  snapshot(): { sys: SystemCpu; own: number; perPid: Map<number, number> } {
    const perPid = new Map<number, number>();
    let own = this.#extraMs();
    for (const p of this.#pids()) { const c = cpuMs(p); perPid.set(p, c); own += c; }
    const self = process.cpuUsage();
    own += (self.user + self.system) / 1000 + reapedChildrenCpuMs();
    return { sys: systemCpu(), own, perPid };
  }

  /** Foreign CPU between two snapshots, as % of one core over the wall time; and steal, same unit. */
  static foreign(a: ReturnType<CpuWatch['snapshot']>, b: ReturnType<CpuWatch['snapshot']>): { foreignPct: number; stealPct: number; wallMs: number } {
    const wallMs = b.sys.at - a.sys.at;
    const foreign = Math.max(0, (b.sys.busyMs - a.sys.busyMs) - (b.own - a.own));
    return { foreignPct: (100 * foreign) / wallMs, stealPct: (100 * (b.sys.stealMs - a.sys.stealMs)) / wallMs, wallMs };
  }
}
