/**
 * Garbage-collector settings for the long-running proxy (`synrouter serve`), applied at start-up.
 *
 * A proxy's live heap is small (~17 MB of modules and session state) while every 200 KB turn
 * allocates ~400 KB of short-lived Buffers (the HTTP parser's copy of each body chunk, then the
 * joined body; measured with process.memoryUsage().arrayBuffers under load). Buffers are "external"
 * memory to V8, and V8 schedules a full mark-compact from how much the heap plus external memory
 * grew since the last one, as a multiple of what survived it. With ~20 MB surviving, that limit is
 * reached every ~150 turns by Buffers that are already garbage and that the next young-generation
 * collection would have freed for nothing. Each of those mark-compacts marks the whole heap on the
 * main thread and the helper threads (--trace-gc: 3-5 ms pause plus ~10 ms of incremental steps).
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/*
 * Without this flag V8 starts a mark-compact whenever external memory has grown by a fixed 64 MB,
 * however small that is next to the heap; with it, external memory counts toward the heap's own
 * growing limit instead (86 -> 31 mark-compacts over one benchmark run). It is read when a limit is
 * computed, so setting it after start-up works.
 */
const FLAGS = '--external-memory-accounted-in-global-limit';

/*
 * An untouched allocation that counts as external memory that survived, so the limit above is a
 * multiple of ~50-80 MB instead of ~20 MB. Its pages are never written, so it costs address space,
 * not RSS (checked: RSS unchanged after allocating it). Measured with --trace-gc over 10 s of the
 * overhead benchmark's load: mark-compacts at c=1 2 instead of 3-69 (the count without it depends
 * on V8's speed estimates, so on the machine's load), at c=20 10 instead of 25. Young-generation
 * collections still free the Buffers as before. The price is memory: dead Buffers wait longer for a
 * full collection, so RSS under sustained load is higher: after ~70 s of c=20 load RSS was 440 MB
 * with none, 523 MB with 32 MB and 591 MB with 64 MB; 32 MB left 22 mark-compacts at c=1 (none: 47,
 * 64 MB: 2), hence 64 by default, and the setting for hosts where memory matters more. Kept at
 * 1/16 of the heap limit at most, so a small --max-old-space-size is not crowded by it.
 */
let headroom: Buffer | undefined;

/** `headroomMb`: the reservation (config `gcHeadroomMb`, default 64; 0 for none). */
export function tuneV8(headroomMb: number): void {
  setFlagsFromString(FLAGS);
  const bytes = Math.min(headroomMb * 1024 * 1024, Math.floor(getHeapStatistics().heap_size_limit / 16));
  if (bytes > 0) headroom ??= Buffer.allocUnsafeSlow(bytes);
}
