/**
 * Long per-request work (rendering a prompt of tens of thousands of blocks: issue 21 measured up to
 * 0.6 s on a session's first turn) written as a generator that yields between pieces, so that it
 * can run in slices and let every other request on the event loop through in between. The same
 * generator also runs straight through where waiting is not an option (tests, the simulator).
 */

/** Pieces of work: `yield` wherever a pause is safe; the return value is the result. */
export type Steps<T> = Generator<void, T, void>;

export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Longest the event loop is held by one slice. Small requests finish in their first slice. */
export const SLICE_MS = 10;

const nextTurnOfLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs `steps`, giving the event loop back (to I/O and other requests) every SLICE_MS. */
export async function runInSlices<T>(steps: Steps<T>, sliceMs = SLICE_MS): Promise<T> {
  let until = performance.now() + sliceMs;
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() > until) {
      await nextTurnOfLoop();
      until = performance.now() + sliceMs;
    }
  }
}
