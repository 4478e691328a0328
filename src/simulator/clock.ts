// Time source for the simulator. Cache lifetimes (protocols.md 2.7) are measured from the start of a
// request, so tests drive time with ManualClock instead of sleeping for minutes.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to. Default start: 2026-01-01T00:00:00Z. */
export class ManualClock implements Clock {
  #ms: number;

  constructor(startMs: number = Date.UTC(2026, 0, 1)) {
    this.#ms = startMs;
  }

  now(): number {
    return this.#ms;
  }

  advance(ms: number): void {
    this.#ms += ms;
  }

  set(ms: number): void {
    this.#ms = ms;
  }
}
