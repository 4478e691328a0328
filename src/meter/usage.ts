/** Token usage of one turn in Synrouter's own terms, whatever the protocol reported. */
export interface Usage {
  /** Input tokens neither read from nor written to the cache. */
  input: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  output: number;
}

export const ZERO_USAGE: Usage = Object.freeze({ input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0 });

/** All input tokens, cached or not (the hit-rate denominator). */
export function totalInput(u: Usage): number {
  return u.input + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h;
}
