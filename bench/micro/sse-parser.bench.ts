/**
 * src/sse/sse-parser.ts against eventsource-parser, the parser it stands in for. Ours reads bytes
 * (line ends found with Buffer#indexOf, lines decoded only once complete) and can pass over the
 * frames the meter drops without decoding them; eventsource-parser reads strings, so its side
 * decodes each chunk with a streaming TextDecoder first, as a proxy holding bytes would have to.
 * One operation: a whole stream, chunk by chunk, every frame handed to the reader.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { SseParser, type SkippedFrame } from '../../src/sse/sse-parser.ts';
import { claudeCodeTurnEvents, cut, fixtureEvents } from './inputs.ts';
import type { Case } from './measure.ts';

interface Frame { event: string; data: string; id?: string | undefined }

/** Frames by our parser; `sink` sees each. */
function ours(chunks: readonly Buffer[], sink: (f: Frame) => void, skip?: readonly SkippedFrame[]): void {
  const parser = new SseParser(skip ? { skip } : {});
  for (const chunk of chunks) for (const f of parser.push(chunk)) sink(f);
  for (const f of parser.end()) sink(f);
}

/** Frames by eventsource-parser, from bytes decoded as they come. */
function theirs(chunks: readonly Buffer[], sink: (f: Frame) => void): void {
  const decoder = new TextDecoder();
  const parser = createParser({ onEvent: (e: EventSourceMessage) => sink({ event: e.event ?? 'message', data: e.data, id: e.id }) });
  for (const chunk of chunks) parser.feed(decoder.decode(chunk, { stream: true }));
  parser.feed(decoder.decode());
  parser.reset({ consume: true });
}

/** The meter's list (src/meter/anthropic-usage.ts, SKIPPED): frames with nothing metered in them. */
const METER_SKIP: SkippedFrame[] = ['content_block_delta', 'content_block_start', 'content_block_stop', 'ping'].map((event) => ({ event, dataPrefix: `{"type":"${event}"` }));
const metered = (f: Frame) => !METER_SKIP.some((s) => s.event === f.event && f.data.startsWith(s.dataPrefix));

/** What a reader does with a frame here: looks at it (the sum keeps the work from being optimised away). */
let seen = 0;
const look = (f: Frame) => { seen += f.data.length + f.event.length; };

function collect(run: (sink: (f: Frame) => void) => void): Frame[] {
  const out: Frame[] = [];
  run((f) => out.push({ event: f.event, data: f.data, ...(f.id !== undefined ? { id: f.id } : {}) }));
  return out;
}

function same(a: Frame[], b: Frame[], what: string): void {
  if (a.length === 0 || JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`sse-parser bench: the two parsers disagree on ${what} (${a.length} vs ${b.length} frames)`);
}

function plainCase(input: string, chunks: Buffer[]): Case {
  return {
    group: 'sse-parser',
    input,
    ours: { label: 'SseParser', op: () => ours(chunks, look) },
    theirs: { label: 'TextDecoder + eventsource-parser', op: () => theirs(chunks, look) },
    check: () => same(collect((s) => ours(chunks, s)), collect((s) => theirs(chunks, s)), input),
  };
}

export function cases(): Case[] {
  const turn = claudeCodeTurnEvents();
  const bytes = turn.reduce((n, c) => n + c.length, 0);
  const describe = `Claude Code turn (${turn.length} events, ${(bytes / 1024).toFixed(1)} KB)`;
  const fixture = fixtureEvents();
  return [
    plainCase(`${describe}, one chunk per event`, turn),
    plainCase(`${describe}, 1,400-byte chunks cut anywhere`, cut(turn, 1400)),
    plainCase(`${describe}, whole stream in one chunk`, cut(turn, bytes)),
    plainCase(`fixture anthropic-thinking-text-tools.sse (${fixture.length} events, ${(fixture.reduce((n, c) => n + c.length, 0) / 1024).toFixed(1)} KB), one chunk per event`, fixture),
    {
      group: 'sse-parser',
      input: `${describe}, one chunk per event, the meter's frames only`,
      ours: { label: 'SseParser with the meter\'s skip list', op: () => ours(turn, look, METER_SKIP) },
      theirs: { label: 'TextDecoder + eventsource-parser, same frames filtered', op: () => theirs(turn, (f) => { if (metered(f)) look(f); }) },
      check: () => same(collect((s) => ours(turn, s, METER_SKIP)), collect((s) => theirs(turn, (f) => { if (metered(f)) s(f); })), 'the metered frames'),
    },
  ];
}

/** Read by the runner after the rounds, so that `seen` is live. */
export const checksum = () => seen;
