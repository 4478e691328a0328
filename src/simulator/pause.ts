// Waiting inside a simulated response (x-sim-delta-ms, latency) without outliving the client.
import { setTimeout as sleep } from 'node:timers/promises';

/** Waits `ms` unless the signal fires first; false if it did. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
