/**
 * A fast local stand-in for Anthropic's Messages API (node:http), run as its own process so that its
 * CPU is not the proxy's. POST /v1/messages reads the whole body (as the real API does), then answers
 *   - JSON: a ~2 KB message with realistic usage (cache read + 5m write + output), or
 *   - SSE when the body has "stream":true: message_start (input-side usage), content_block_start, N
 *     content_block_delta, content_block_stop, message_delta (cumulative usage), message_stop.
 * Per request, headers may override the defaults: x-bench-events (N), x-bench-spacing-ms (gap
 * between events; 0 writes the whole stream at once) and x-bench-first-delta-ms (time to the first
 * token after message_start, as a model's thinking time; default: the spacing), and x-bench-barrier
 * (N): after message_start the stream waits until N such streams are open (or 20 s passed), so that
 * N streams are provably in flight at once. The body is never concatenated or parsed:
 * `"stream":true` is looked for in its first 512 and last 256 bytes (Claude Code puts it last, and
 * a proxy that splices edits leaves it there). A body written as Python's json.dumps writes it
 * (`{"messages": …`, as LiteLLM sends it, with `"stream": true` anywhere in the middle) is searched
 * whole for `"stream": true`. Only while scanning is on
 * (POST /__scan?on=1) is every chunk searched for `"cache_control"`, to confirm a proxy added markers
 * (a full search costs ~0.1 ms per 200 KB, too much for the direct baseline).
 *
 * Control: GET /__stats, POST /__reset, POST /__scan?on=0|1. Prints {"port":N,...} on stdout when listening.
 * Usage: node bench/overhead/upstream.ts [--port N] [--events N] [--spacing-ms N]
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, events: { type: 'string', default: '20' }, 'spacing-ms': { type: 'string', default: '0' } } });
const DEFAULT_EVENTS = Number(values.events);
const DEFAULT_SPACING = Number(values['spacing-ms']);
const MODEL = 'claude-sonnet-4-6';
const STREAM_TRUE = Buffer.from('"stream":true');
/** A body that opens like this is in json.dumps's form (a space after each colon). */
const SPACED_OPENING = /^\{"[A-Za-z_]+": /;
/** Bytes at the end of a body searched for STREAM_TRUE. */
const TAIL = 256;

/** Realistic usage for a 200 KB agent turn: mostly cache reads, a small 5m write, a short answer. */
const usageIn = { input_tokens: 14, cache_creation_input_tokens: 1_212, cache_read_input_tokens: 49_880,
  cache_creation: { ephemeral_5m_input_tokens: 1_212, ephemeral_1h_input_tokens: 0 }, output_tokens: 1, service_tier: 'standard' };

const TEXT = 'I read the ledger module — rows are queued and flushed every 200 ms in one transaction. '
  + 'The batch size is configurable; I’ll add a test for the flush on close, then run the suite. ✓ ';
const jsonBody = Buffer.from(JSON.stringify({
  id: 'msg_01BenchXXXXXXXXXXXXXXXXXX', type: 'message', role: 'assistant', model: MODEL,
  content: [
    { type: 'text', text: TEXT.repeat(8) },
    { type: 'tool_use', id: 'toolu_01BenchYYYYYYYYYYYYYYYY', name: 'Edit', input: { file_path: '/work/project/src/store/ledger.ts', old_string: 'flushMs: 200', new_string: 'flushMs: 200, batchSize: 200' } },
  ],
  stop_reason: 'tool_use', stop_sequence: null,
  usage: { ...usageIn, output_tokens: 412 },
}));

const sse = (event: string, data: unknown) => Buffer.from(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
const delta = sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'rows are flushed in one transaction — every 200 ms ✓ ' } });
const headEvents = [
  sse('message_start', { type: 'message_start', message: { id: 'msg_01BenchSSEXXXXXXXXXXXXXX', type: 'message', role: 'assistant', model: MODEL, content: [], stop_reason: null, stop_sequence: null, usage: usageIn } }),
  sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  sse('ping', { type: 'ping' }),
];
const tailEvents = (n: number) => [
  sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
  sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { ...usageIn, output_tokens: 12 * n } }),
  sse('message_stop', { type: 'message_stop' }),
];

/** Counts occurrences of `pattern` across a chunked stream (matches may straddle chunks). */
class Finder {
  readonly #p: Buffer;
  #tail = Buffer.alloc(0);
  found = 0;
  constructor(p: string) { this.#p = Buffer.from(p); }
  push(chunk: Buffer): void {
    if (this.#tail.length) {
      const joint = Buffer.concat([this.#tail, chunk.subarray(0, this.#p.length - 1)]);
      if (joint.indexOf(this.#p) >= 0) this.found++;
    }
    for (let i = chunk.indexOf(this.#p); i >= 0; i = chunk.indexOf(this.#p, i + 1)) this.found++;
    this.#tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - this.#p.length + 1)));
  }
}

let scanning = false;
/** Streams waiting at the barrier; released together when `n` are open or after 20 s. */
let waiting: Array<() => void> = [];
let barrierTimer: NodeJS.Timeout | undefined;
function releaseBarrier(): void {
  clearTimeout(barrierTimer);
  const w = waiting;
  waiting = [];
  stats.lastBarrier = w.length;
  for (const go of w) go();
}
function atBarrier(n: number, go: () => void): void {
  waiting.push(go);
  if (waiting.length === 1) barrierTimer = setTimeout(releaseBarrier, 20_000);
  if (waiting.length >= n) releaseBarrier();
}
const stats = { requests: 0, json: 0, sse: 0, withCacheControl: 0, cacheControlMarkers: 0, bytesIn: 0, openStreams: 0, maxOpenStreams: 0, lastBarrier: 0 };

function writeStream(res: ServerResponse, events: number, spacing: number, firstDelta: number, barrier: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': 'req_bench' });
  stats.openStreams++;
  stats.maxOpenStreams = Math.max(stats.maxOpenStreams, stats.openStreams);
  const done = () => { stats.openStreams--; };
  if (spacing <= 0) {
    res.cork();
    for (const e of headEvents) res.write(e);
    for (let i = 0; i < events; i++) res.write(delta);
    for (const e of tailEvents(events)) res.write(e);
    res.uncork();
    res.end(done);
    return;
  }
  const queue = [...Array.from({ length: events }, () => delta), ...tailEvents(events)];
  for (const e of headEvents) res.write(e);
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (res.destroyed) { clearInterval(timer); done(); return; }
    res.write(queue[i++]!);
    // message_delta and message_stop go together, as Anthropic sends them.
    if (i === queue.length - 1) res.write(queue[i++]!);
    if (i >= queue.length) { clearInterval(timer); res.end(done); }
  };
  const start = () => setTimeout(() => { tick(); if (i < queue.length) timer = setInterval(tick, spacing); }, firstDelta);
  if (barrier > 0) atBarrier(barrier, start); else start();
}

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  if (req.url === '/__stats') { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats)); return; }
  if (req.url?.startsWith('/__scan')) { scanning = req.url.endsWith('on=1'); res.writeHead(204).end(); return; }
  if (req.url === '/__reset') {
    Object.assign(stats, { requests: 0, json: 0, sse: 0, withCacheControl: 0, cacheControlMarkers: 0, bytesIn: 0, maxOpenStreams: stats.openStreams, lastBarrier: 0 });
    res.writeHead(204).end();
    return;
  }
  const cc = scanning ? new Finder('"cache_control"') : undefined;
  let bytes = 0;
  let stream = false;
  let tail: Buffer = Buffer.alloc(0);
  let spaced: Finder | undefined;
  req.on('data', (c: Buffer) => {
    if (bytes === 0) {
      stream = c.subarray(0, 512).indexOf(STREAM_TRUE) >= 0;
      if (SPACED_OPENING.test(c.toString('latin1', 0, 40))) spaced = new Finder('"stream": true');
    }
    spaced?.push(c);
    bytes += c.length;
    tail = c.length >= TAIL ? c.subarray(c.length - TAIL) : Buffer.concat([tail, c]).subarray(-TAIL);
    cc?.push(c);
  });
  req.on('end', () => {
    stream ||= tail.indexOf(STREAM_TRUE) >= 0 || (spaced?.found ?? 0) > 0;
    stats.requests++;
    stats.bytesIn += bytes;
    if (cc && cc.found > 0) stats.withCacheControl++;
    stats.cacheControlMarkers += cc?.found ?? 0;
    if (stream) {
      stats.sse++;
      const events = Number(req.headers['x-bench-events'] ?? DEFAULT_EVENTS);
      const spacing = Number(req.headers['x-bench-spacing-ms'] ?? DEFAULT_SPACING);
      const firstDelta = Number(req.headers['x-bench-first-delta-ms'] ?? spacing);
      writeStream(res, events, spacing, firstDelta, Number(req.headers['x-bench-barrier'] ?? 0));
    } else {
      stats.json++;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(jsonBody.length), 'request-id': 'req_bench' });
      res.end(jsonBody);
    }
  });
});
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port, jsonBytes: jsonBody.length }) + '\n');
});
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
