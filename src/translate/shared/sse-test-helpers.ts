/**
 * Test helpers for the stream translators (style.md §7 Tests: every-byte split through the real
 * SSE parser, fixture in -> frames out). Not a test file itself.
 */
import { readFileSync } from 'node:fs';
import { SseParser, type SseFrame } from '../../sse/sse-parser.ts';

export interface Reducer<S, E> {
  initial: S;
  reduce: (state: S, event: E) => { state: S; out: string[] };
  finish: (state: S) => string[];
  /** Frame data -> event (JSON.parse, or the [DONE] sentinel). */
  parse: (data: string) => E;
}

export function fixture(url: URL): Buffer {
  return readFileSync(url);
}

/**
 * Bytes, cut into `chunks`, through SseParser and the reducer, then finish(): every frame written, in
 * order. As a caller must, a frame whose data does not parse (a stream cut inside a frame) ends the
 * stream there: the reducer's finish() decides what the client gets.
 */
export function run<S, E>(chunks: readonly Uint8Array[], r: Reducer<S, E>): string[] {
  const parser = new SseParser();
  let state = r.initial;
  let broken = false;
  const out: string[] = [];
  const onFrames = (frames: SseFrame[]): void => {
    for (const f of frames) {
      if (broken) return;
      let event: E;
      try {
        event = r.parse(f.data);
      } catch {
        broken = true;
        return;
      }
      const step = r.reduce(state, event);
      state = step.state;
      out.push(...step.out);
    }
  };
  for (const c of chunks) onFrames(parser.push(c));
  onFrames(parser.end());
  out.push(...r.finish(state));
  return out;
}

/** Every way the brief asks to cut the bytes: whole, two chunks at each offset, one byte per chunk. */
export function* cuts(bytes: Buffer): Generator<{ label: string; chunks: Uint8Array[] }> {
  yield { label: 'whole', chunks: [bytes] };
  for (let i = 0; i <= bytes.length; i++) yield { label: `split at ${i}`, chunks: [bytes.subarray(0, i), bytes.subarray(i)] };
  yield { label: 'one byte per chunk', chunks: [...bytes].map((b) => Uint8Array.of(b)) };
}

/** Output frames parsed back with the same SSE parser a client would use: [event, JSON data or raw string]. */
export function parseOutput(out: readonly string[]): Array<{ event: string; data: unknown }> {
  const p = new SseParser();
  const frames = [...p.push(Buffer.from(out.join(''))), ...p.end()];
  return frames.map((f) => ({ event: f.event, data: f.data === '[DONE]' ? '[DONE]' : JSON.parse(f.data) }));
}
