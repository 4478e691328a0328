import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { Dispatcher } from 'undici';
import { UpstreamBody } from '../upstream/upstream-body.ts';
import type { WireProtocol } from '../upstream/providers.ts';
import { PAIRS } from '../translate/pairs.ts';
import { newTurn, type Turn } from '../turn.ts';
import { AnthropicMeter } from '../meter/anthropic-usage.ts';
import { ChatMeter } from '../meter/openai-usage.ts';
import { ResponseHead } from './response-head.ts';
import { streamBack } from './stream-back.ts';

const controller = { paused: false, pause() {}, resume() {}, abort() {} } as unknown as Dispatcher.DispatchController;

/** An upstream body that has `chunks` waiting and then ends (or stalls, with `end: false`). */
function bodyOf(chunks: string[], end = true): UpstreamBody {
  const body = new UpstreamBody(controller, () => {});
  for (const c of chunks) body.push(Buffer.from(c));
  if (end) body.end();
  return body;
}

/** The raw bytes a client reads first from a server whose handler is `handle`. */
async function firstRead(handle: (res: ServerResponse) => void): Promise<string> {
  const server = createServer((_req, res) => handle(res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  try {
    socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    // Bounded, so that a head that never comes fails the test instead of hanging it.
    const [chunk] = await once(socket, 'data', { signal: AbortSignal.timeout(3000) }) as [Buffer];
    return chunk.toString('latin1');
  } finally {
    socket.destroy();
    server.closeAllConnections();
    server.close();
  }
}

/** One answer streamed back through a real HTTP response: what the client read, and the turn. */
async function answer(o: { from: WireProtocol; to: WireProtocol; chunks: string[]; status?: number; contentType?: string; hideUsageChunk?: boolean }): Promise<{ status: number; text: string; turn: Turn }> {
  const turn = newTurn('req_test', o.to === 'anthropic' ? 'anthropic' : 'openai', 'messages', Date.now());
  const pair = o.from === o.to ? undefined : PAIRS[`${o.to}->${o.from}`]!;
  const translation = pair ? { pair, context: { clientModel: 'client-model', includeUsage: false, createdAt: 0, idBase: 'abc' } } : undefined;
  let done!: Promise<void>;
  const server = createServer((_req, res) => {
    done = streamBack({
      from: o.from, to: o.to, res, turn, signal: new AbortController().signal, hideUsageChunk: o.hideUsageChunk ?? false, translation,
      upstream: { status: o.status ?? 200, headers: { 'content-type': o.contentType ?? 'text/event-stream' }, body: bodyOf(o.chunks) },
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const r = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const text = await r.text();
    await done;
    return { status: r.status, text, turn };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

const ANTHROPIC_STREAM = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"claude-opus-4-8","usage":{"input_tokens":12,"cache_read_input_tokens":2048,"output_tokens":1}}}\n\n',
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}\n\n',
  'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":7}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
];

const chatChunk = (delta: object, finish: string | null = null, usage: object | null = null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'deepseek/deepseek-v4-flash', choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`;
const CHAT_STREAM = [
  chatChunk({ role: 'assistant', content: 'Hel' }), chatChunk({ content: 'lo' }), chatChunk({}, 'stop'),
  chatChunk({}, null, { prompt_tokens: 1000, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 768 }, cost: 0.00042 }),
  'data: [DONE]\n\n',
];

test('ResponseHead: with no body bytes waiting the head goes out at once (a stalled upstream still shows its status)', { timeout: 5000 }, async () => {
  const first = await firstRead((res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    new ResponseHead(res, bodyOf([], false));
  });
  assert.match(first, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n$/);
});

test('ResponseHead: with body bytes waiting the head travels with the first write', { timeout: 5000 }, async () => {
  const first = await firstRead((res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    new ResponseHead(res, bodyOf(['12345'], false));
    setTimeout(() => res.write('event: ping\ndata: {}\n\n'), 20);
  });
  assert.match(first, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n[0-9a-f]+\r\nevent: ping\n/);
});

test('when the waiting first bytes write nothing (a partial frame held back), the head still goes out at once', { timeout: 5000 }, async () => {
  const body = bodyOf(['data: {"id":"c1","choi'], false); // then the upstream stalls
  const first = await firstRead((res) => {
    void streamBack({
      from: 'openai-chat', to: 'openai-chat', res, turn: newTurn('r', 'openai', 'chat', 0), signal: new AbortController().signal, hideUsageChunk: true, translation: undefined,
      upstream: { status: 200, headers: { 'content-type': 'text/event-stream' }, body },
    }).catch(() => {});
  });
  assert.match(first, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n$/);
  body.fail(new Error('test over'));
});

test('same protocol: the client reads the upstream bytes exactly, split anywhere, and the meter reads the usage', async () => {
  const whole = ANTHROPIC_STREAM.join('');
  for (const at of [1, 17, 200, whole.length - 3]) {
    const { text, turn } = await answer({ from: 'anthropic', to: 'anthropic', chunks: [whole.slice(0, at), whole.slice(at)] });
    assert.equal(text, whole);
    assert.deepEqual(turn.usage, { input: 12, cacheRead: 2048, cacheWrite5m: 0, cacheWrite1h: 0, output: 7 });
    assert.equal(turn.responseModel, 'claude-opus-4-8');
    assert.equal(turn.errorCode, null);
  }
});

test('the chat usage chunk Synrouter asked for is held back from the client, and still metered with its cost', async () => {
  const { text, turn } = await answer({ from: 'openai-chat', to: 'openai-chat', chunks: CHAT_STREAM, hideUsageChunk: true });
  assert.equal(text, [CHAT_STREAM[0], CHAT_STREAM[1], CHAT_STREAM[2], CHAT_STREAM[4]].join(''));
  assert.deepEqual(turn.usage, { input: 232, cacheRead: 768, cacheWrite5m: 0, cacheWrite1h: 0, output: 5 });
  assert.equal(turn.providerCostUsd, 0.00042);
});

test('a translated stream is parsed once per frame: the meter reads the events the translator parsed', async (t) => {
  // Were the meter to parse the frames itself, its parse would throw here and meter nothing.
  t.mock.method(ChatMeter.prototype, 'parse', () => { throw new Error('the meter parsed a frame a second time'); });
  const { text, turn } = await answer({ from: 'openai-chat', to: 'anthropic', chunks: CHAT_STREAM });
  assert.match(text, /event: message_start[\s\S]*"text":"Hel"[\s\S]*event: message_stop/);
  assert.deepEqual(turn.usage, { input: 232, cacheRead: 768, cacheWrite5m: 0, cacheWrite1h: 0, output: 5 });
  assert.equal(turn.providerCostUsd, 0.00042, "OpenRouter's usage.cost is the billed cost on translated turns too");
});

test('a meter that throws never fails the answer: same protocol and translated, streamed and JSON', async (t) => {
  t.mock.method(AnthropicMeter.prototype, 'event', () => { throw new Error('meter broke (test)'); });
  t.mock.method(ChatMeter.prototype, 'event', () => { throw new Error('meter broke (test)'); });
  t.mock.method(ChatMeter.prototype, 'body', () => { throw new Error('meter broke (test)'); });
  t.mock.method(console, 'error', () => {});
  const same = await answer({ from: 'anthropic', to: 'anthropic', chunks: ANTHROPIC_STREAM });
  assert.equal(same.text, ANTHROPIC_STREAM.join(''));
  const translatedStream = await answer({ from: 'openai-chat', to: 'anthropic', chunks: CHAT_STREAM });
  assert.match(translatedStream.text, /event: message_stop/);
  assert.equal(translatedStream.turn.status, 200);
  const json = JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } });
  const translatedJson = await answer({ from: 'openai-chat', to: 'anthropic', chunks: [json], contentType: 'application/json' });
  assert.equal(translatedJson.status, 200);
  assert.equal(JSON.parse(translatedJson.text).content[0].text, 'Hi');
});

test('a stream that ends before its final event ends with the protocol error frame, recorded as UPSTREAM_ERROR', async () => {
  const cut = ANTHROPIC_STREAM.slice(0, 3);
  const same = await answer({ from: 'anthropic', to: 'anthropic', chunks: cut });
  assert.ok(same.text.startsWith(cut.join('')));
  assert.match(same.text.slice(cut.join('').length), /^event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"Upstream stream failed: the upstream closed the stream before its final event"/);
  assert.equal(same.turn.errorCode, 'UPSTREAM_ERROR');
  const chat = await answer({ from: 'openai-chat', to: 'openai-chat', chunks: CHAT_STREAM.slice(0, 2) });
  assert.match(chat.text, /data: \{"error":\{"message":"Upstream stream failed/);
  const translated = await answer({ from: 'openai-chat', to: 'anthropic', chunks: CHAT_STREAM.slice(0, 2) });
  assert.match(translated.text, /event: error/);
});

test('an error answer reaches the client in its own protocol with the upstream status', async () => {
  const raw = JSON.stringify({ error: { message: 'Rate limited', code: 429 } });
  const same = await answer({ from: 'openai-chat', to: 'openai-chat', chunks: [raw], status: 429, contentType: 'application/json' });
  assert.equal(same.status, 429);
  assert.equal(same.text, raw);
  const translated = await answer({ from: 'openai-chat', to: 'anthropic', chunks: [raw], status: 429, contentType: 'application/json' });
  assert.equal(translated.status, 429);
  assert.equal(JSON.parse(translated.text).type, 'error');
  assert.equal(translated.turn.errorCode, 'UPSTREAM_ERROR');
});
