/**
 * The rows every producer writes (a turn, a failed attempt before it, a keep-alive ping), field by
 * field: the literals below are what the code wrote before the row sink existed (captured from
 * turn.ts toLedgerRow, send-with-retries.ts recordAttempt and keep-alive.ts's ping row), so the sink
 * must write the same. The retry and ping rows are taken from their producers (sendWithRetries,
 * KeepAlive.tick) through a recording ledger, as they are written in production.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRegistry, type Prices } from '../route/registry.ts';
import type { Route } from '../route/resolve-route.ts';
import { anthropic } from '../upstream/providers.ts';
import { createUpstreamAgent } from '../upstream/send-upstream.ts';
import { sendWithRetries } from '../upstream/send-with-retries.ts';
import { Spliced } from '../json/splice.ts';
import { DEFAULT_KEEPALIVE, KeepAlive } from '../keepalive/keep-alive.ts';
import type { Deps } from '../deps.ts';
import type { KeyRecord } from './keys.ts';
import type { OpenRow, OpenTurn, Progress, TurnRow } from './ledger.ts';
import type { LedgerApi } from './store.ts';
import type { Metrics } from '../meter/metrics.ts';
import { newTurn, type Turn } from '../turn.ts';
import { turnRow } from './rows.ts';
import { RowSink } from './row-sink.ts';

const registry = createRegistry();
const route: Route = {
  providerName: 'anthropic', provider: { spec: anthropic, baseUrl: 'https://api.anthropic.com', apiKeys: ['sk'] },
  entry: registry.resolve('claude-sonnet-4-6')!, upstreamModel: 'claude-sonnet-4-6', apiKey: 'sk', wire: 'anthropic',
};
const key = { id: 'key_0123abcd', mode: 'coding', revokedAt: null } as KeyRecord;
const TS = Date.UTC(2026, 11, 4, 9, 0, 0);

/** A ledger that keeps what it is given: open rows, finished rows and the open row each replaces. */
class RecordingLedger implements LedgerApi {
  readonly instance = 'test';
  readonly opened: Array<{ row: OpenRow; progress?: () => Progress }> = [];
  readonly recorded: Array<{ row: TurnRow; open: OpenTurn | undefined }> = [];
  pending = 0; running = 0; failures = 0; dropped = 0; rejected = 0;
  open(row: OpenRow, progress?: () => Progress): Promise<OpenTurn> {
    this.opened.push({ row: { ...row }, ...(progress ? { progress } : {}) });
    return Promise.resolve({ seq: this.opened.length });
  }
  record(row: TurnRow, open?: OpenTurn): void { this.recorded.push({ row, open }); }
  flush(): void {}
  close(): void {}
}

/** Metrics and limits by what they were told. */
function observers() {
  const observed: Array<{ row: TurnRow; answered: unknown }> = [];
  const spent: Array<[string, number, number | null]> = [];
  const metrics = { observeTurn: (row: TurnRow, answered?: unknown) => observed.push({ row, answered }) } as unknown as Metrics;
  const limits = { spend: (k: string, ts: number, usd: number | null) => spent.push([k, ts, usd]), overBudget: () => false, admit: () => () => {} };
  return { observed, spent, metrics, limits };
}

/** Latency is a duration measured while the test runs: its presence is checked, not its value. */
function withoutLatency(row: TurnRow): Omit<TurnRow, 'latencyMs'> {
  assert.equal(typeof row.latencyMs, 'number');
  const { latencyMs: _, ...rest } = row;
  return rest;
}

function answeredTurn(): Turn & { key: KeyRecord } {
  const turn = newTurn('req_sr_1', 'anthropic', 'messages', TS);
  Object.assign(turn, {
    key, sessionId: 'ses-1', requestedModel: 'claude-sonnet-4-6', responseModel: 'claude-sonnet-4-6', route, streamed: true, status: 200,
    usage: { input: 10, cacheRead: 0, cacheWrite5m: 1_200, cacheWrite1h: 0, output: 300 }, ttfbMs: 95.456,
    clientOnlyUsage: { input: 1_210, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 300 },
    shadowUsage: { input: 10, cacheRead: 1_000, cacheWrite5m: 200, cacheWrite1h: 0, output: 300 },
    changes: [{ kind: 'breakpoint', detail: 'rolling 5m' }], expectedMiss: 'new_session',
  });
  return turn as Turn & { key: KeyRecord };
}

const TURN_ROW = {
  ts: TS, requestId: 'req_sr_1', kind: 'turn', keyId: 'key_0123abcd', sessionId: 'ses-1', clientProtocol: 'anthropic', endpoint: 'messages',
  requestedModel: 'claude-sonnet-4-6', responseModel: 'claude-sonnet-4-6', provider: 'anthropic', status: 200, errorCode: null, streamed: true, aborted: false,
  inputTokens: 10, cacheReadTokens: 0, cacheWrite5mTokens: 1_200, cacheWrite1hTokens: 0, outputTokens: 300,
  costUsd: 0.00903, costDirectUsd: 0.00813, costClientUsd: 0.00813, costShadowUsd: 0.00558, missReason: 'new_session',
  engine: '[{"kind":"breakpoint","detail":"rolling 5m"}]', ttfbMs: 95.46,
} as const;

test('a turn row carries the fields the old toLedgerRow wrote (the shadow bill: 10 x 3 + 1,000 x 0.3 + 200 x 3.75 + 300 x 15 per million)', () => {
  const row = turnRow(answeredTurn(), registry);
  assert.deepEqual(withoutLatency(row), TURN_ROW);
});

const RETRY_ROW = {
  ts: TS, requestId: 'req_sr_2', kind: 'retry', keyId: 'key_0123abcd', sessionId: 'ses-2', clientProtocol: 'anthropic', endpoint: 'messages',
  requestedModel: 'claude-sonnet-4-6', responseModel: null, provider: 'anthropic', status: 529, errorCode: 'UPSTREAM_ERROR', streamed: true, aborted: false,
  inputTokens: 0, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0,
  costUsd: 0, costDirectUsd: 0, costClientUsd: 0, missReason: null, engine: null, ttfbMs: null,
} as const;

test('a failed attempt is a retry row with the fields the old recordAttempt wrote, replacing its open row', async () => {
  const ledger = new RecordingLedger();
  const { observed, metrics, limits } = observers();
  const turn = newTurn('req_sr_2', 'anthropic', 'messages', TS);
  Object.assign(turn, { key, sessionId: 'ses-2', requestedModel: 'claude-sonnet-4-6', streamed: true });
  const deps = { config: { retry: { retries: 1, baseDelayMs: 0, maxDelayMs: 10_000 } }, rows: new RowSink({ ledger, metrics, limits }), registry } as unknown as Deps;
  const statuses = [529, 200];
  await sendWithRetries({
    routes: [route], deps, turn, signal: new AbortController().signal,
    attempt: async (r) => {
      turn.open = await ledger.open({ ts: TS, requestId: turn.requestId, kind: 'turn', keyId: key.id, sessionId: turn.sessionId, clientProtocol: 'anthropic', endpoint: 'messages', requestedModel: turn.requestedModel, provider: r.providerName, streamed: true });
      return { route: r, upstream: { status: statuses.shift()!, headers: {}, body: { dump: async () => {} } as never } };
    },
  });
  assert.equal(ledger.recorded.length, 1);
  assert.deepEqual(withoutLatency(ledger.recorded[0]!.row), RETRY_ROW);
  assert.deepEqual(ledger.recorded[0]!.open, { seq: 1 }, 'it replaces the first attempt\'s open row');
  assert.deepEqual(turn.open, { seq: 2 }, 'the second attempt keeps its own');
  assert.equal(observed.length, 1);
  assert.equal(observed[0]!.row, ledger.recorded[0]!.row);
  assert.equal(observed[0]!.answered, route.entry);
});

const SONNET: Prices = { input: 3, output: 15, cacheRead: 0.3, cacheWrite5m: 3.75, cacheWrite1h: 6 };
let upstream: Server;
let upstreamUrl: string;
before(async () => {
  // A ping's answer: the Anthropic Messages JSON of a max_tokens 0 request that read its prefix.
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ model: 'claude-sonnet-4-6-20260101', usage: { input_tokens: 3, cache_read_input_tokens: 9_000, cache_creation_input_tokens: 0, output_tokens: 0 } }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
after(() => upstream.close());

const PING_OPEN = {
  ts: 0, requestId: '', kind: 'keepalive', keyId: 'key_0123abcd', sessionId: 'ses-3', clientProtocol: 'anthropic', endpoint: 'keepalive',
  requestedModel: 'claude-sonnet-4-6', provider: 'anthropic', streamed: false,
} as const;
const PING_ROW = {
  ...PING_OPEN, responseModel: 'claude-sonnet-4-6-20260101', status: 200, errorCode: null, aborted: false,
  inputTokens: 3, cacheReadTokens: 9_000, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0,
  costUsd: 0.002709, costDirectUsd: 0, costClientUsd: 0, missReason: null, engine: null, ttfbMs: null,
} as const;

test('a keep-alive ping opens and records the rows the old keep-alive.ts built by hand; its cost is spend, its estimate taken back', async () => {
  const ledger = new RecordingLedger();
  const { observed, spent, metrics, limits } = observers();
  const agent = createUpstreamAgent({ headersTimeoutMs: 10_000, bodyIdleTimeoutMs: 10_000, connections: 1 });
  const ka = new KeepAlive({
    agent, rows: new RowSink({ ledger, metrics, limits }), limits: limits as never, config: { ...DEFAULT_KEEPALIVE, minPrefixTokens: 0 },
    keys: { get: () => key } as never, queries: { totals: () => ({ keepaliveCostUsd: 0 }) } as never,
  });
  const body = Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 512, stream: true, messages: [{ role: 'user', content: 'hi' }] }));
  const at = TS;
  ka.track({
    keyId: key.id, mode: 'coding', sessionId: 'ses-3', clientProtocol: 'anthropic', requestedModel: 'claude-sonnet-4-6', upstreamModel: 'claude-sonnet-4-6',
    providerName: 'anthropic', baseUrl: upstreamUrl, path: '/v1/messages', headers: { 'content-type': 'application/json' }, ttl: '5m',
    body: new Spliced([body]), prices: SONNET, prefixTokens: 9_003, lastRefreshAt: at, lastTurnAt: at,
  });
  const now = at + 5 * 60_000 - 30_000; // 30 s before the 5m entry expires: due (PING_LEAD_MS)
  await ka.tick(now);
  await agent.close();
  const requestId = `ka_${now}_ses-3`;
  assert.equal(ledger.opened.length, 1);
  const opened = ledger.opened[0]!.row as unknown as Record<string, unknown>;
  // The open row is the ping's row before it went out (the ledger reads only its OpenRow fields).
  assert.deepEqual(Object.fromEntries(Object.keys(PING_OPEN).map((f) => [f, opened[f]])), { ...PING_OPEN, ts: now, requestId });
  assert.equal(ledger.recorded.length, 1);
  assert.deepEqual(withoutLatency(ledger.recorded[0]!.row), { ...PING_ROW, ts: now, requestId });
  assert.deepEqual(ledger.recorded[0]!.open, { seq: 1 });
  assert.deepEqual(observed.map((o) => [o.row, o.answered]), [[ledger.recorded[0]!.row, undefined]]);
  const estimate = (9_003 * 0.3) / 1e6;
  assert.equal(spent.length, 2);
  assert.deepEqual(spent[0], [key.id, now, estimate], 'the estimate is spent before the ping goes out');
  assert.equal(spent[1]![0], key.id);
  assert.ok(Math.abs(spent[1]![2]! - (PING_ROW.costUsd - estimate)) < 1e-12, 'then what it cost beyond it');
});

test('the sink sends a row to the ledger (replacing its open row), to /metrics and to the spend, less what was reserved for it', () => {
  const ledger = new RecordingLedger();
  const { observed, spent, metrics, limits } = observers();
  const rows = new RowSink({ ledger, metrics, limits });
  rows.reserve(key.id, TS, 0.25);
  const row = { ...TURN_ROW, kind: 'keepalive', costUsd: 1, latencyMs: 1 } as TurnRow;
  rows.write(row, { open: { seq: 7 }, answered: route.entry, reserved: 0.25 });
  assert.deepEqual(ledger.recorded, [{ row, open: { seq: 7 } }]);
  assert.deepEqual(observed, [{ row, answered: route.entry }]);
  assert.deepEqual(spent, [[key.id, TS, 0.25], [key.id, TS, 0.75]]);
});
