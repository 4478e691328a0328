/** A meter fed a whole stream's bytes, frame by frame as sse/stream-back.ts feeds it: for the meters' tests. */
import type { AnswerMeter } from '../meter/answer-meter.ts';
import { SseParser } from '../sse/sse-parser.ts';

export function meterStream<M extends AnswerMeter<any>>(meter: M, ...chunks: Uint8Array[]): M {
  const parser = new SseParser({ skip: meter.unread });
  const feed = (frames: ReturnType<SseParser['end']>) => {
    for (const f of frames) {
      if (!meter.reads(f)) continue;
      let ev: unknown;
      try { ev = meter.parse(f.data); } catch { continue; }
      meter.event(ev);
    }
  };
  for (const c of chunks) feed(parser.push(c));
  feed(parser.end());
  return meter;
}
