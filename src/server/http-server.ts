/**
 * The node:http server: wires the stores and the upstream agent into handleRequest, and shuts
 * down gracefully (stop accepting, let in-flight requests finish up to a timeout, flush the ledger,
 * the access log and the spans).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { ProxyError, renderAnthropicError, renderOpenAIError } from '../errors.ts';
import { malformedBodies } from './read-body.ts';
import { protocolOfPath } from './endpoints.ts';
import type { Config } from '../config.ts';
import { handleRequest } from '../handle-request.ts';
import type { Deps } from '../deps.ts';
import { createRegistry } from '../route/registry.ts';
import { openStore } from '../store/open-store.ts';
import { RowSink } from '../store/row-sink.ts';
import { Metrics } from '../meter/metrics.ts';
import { ProviderCacheModel } from '../meter/provider-cache-model.ts';
import { Inflight } from './inflight.ts';
import { LoadShedder } from './load-shedder.ts';
import { KeepAlive } from '../keepalive/keep-alive.ts';
import { createUpstreamAgent } from '../upstream/send-upstream.ts';
import { createObserver } from '../observe/observer.ts';
import type { LimitsApi, Store } from '../store/store.ts';

export interface Synrouter {
  server: Server;
  deps: Deps;
  /** Base URL, e.g. http://127.0.0.1:8787 */
  url: string;
  close(opts?: { graceMs?: number }): Promise<void>;
}

export async function startSynrouter(config: Config, opts: { clock?: { now(): number } } = {}): Promise<Synrouter> {
  const clock = opts.clock ?? Date;
  const store = await openStore(config, { clock });
  const { keys, sessions, ledger } = store;
  const agent = createUpstreamAgent(config.upstream);
  const registry = createRegistry(config.models);
  const metrics = new Metrics(registry);
  const limits = store.limits(config.limits);
  watchStore(metrics, store, limits);
  const observer = await createObserver(config);
  const rows = new RowSink({ ledger, metrics, limits });
  const deps: Deps = {
    config,
    store,
    keys,
    ledger,
    rows,
    sessions,
    engine: config.engine,
    clock,
    metrics,
    clientOnly: new ProviderCacheModel(),
    shadowModel: new ProviderCacheModel(),
    inflight: new Inflight(),
    limits,
    shedder: new LoadShedder(config.shedding),
    observer,
    registry,
    agent,
    keepalive: new KeepAlive({
      agent, keys, rows, config: config.keepalive, limits, queries: store.queries,
      claim: (keyId, sessionId, lastTurnAt, dueAt) => sessions.claimPing(keyId, sessionId, lastTurnAt, dueAt),
      // The engine's TTL check (miss reasons) must know the entries were refreshed.
      onRefresh: async (keyId, sessionId, at) => {
        const state = await sessions.get(keyId, sessionId);
        if (state) await sessions.set(keyId, sessionId, { ...state, refreshedAt: at });
      },
    }),
  };
  // Pings go out when due, by the deps' clock (tests on the simulator's manual clock call tick themselves).
  const keepaliveTimer = setInterval(() => void deps.keepalive.tick(deps.clock.now()).catch((err) => console.error('[synrouter] keep-alive:', err)), 1000);
  keepaliveTimer.unref();
  const sessionFlush = setInterval(() => void deps.sessions.flush(), config.ledger.flushMs);
  sessionFlush.unref();
  const server = createServer({ requestTimeout: 300_000, headersTimeout: 60_000, keepAliveTimeout: 65_000 }, (req, res) => {
    const started = performance.now();
    res.once('finish', () => deps.metrics.observeHttp(endpointLabel(req.url), res.statusCode, performance.now() - started));
    handleRequest(req, res, deps).catch((err) => {
      console.error('[synrouter] unhandled error:', err);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.on('clientError', answerClientError);

  /** What startSynrouter opened besides the server: the timers, the upstream pool and the store. */
  const release = async () => {
    clearInterval(sessionFlush);
    clearInterval(keepaliveTimer);
    deps.shedder.close();
    await deps.sessions.flush();
    // The last access-log lines and spans (bounded: a collector that is down does not hold the exit).
    await deps.observer.close();
    await deps.agent.close();
    // Last: it flushes the ledger (rows of the requests drained above) before it closes.
    await store.close();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    // The address is taken (EADDRINUSE) or not ours to use: nothing may stay open, so that the caller
    // can say so and the process can end (serve.ts).
    await release();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  let closing: Promise<void> | undefined;
  const close = ({ graceMs = 30_000 } = {}) => (closing ??= (async () => {
    const done = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive connections that go idle while draining are closed as soon as they do.
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    server.closeIdleConnections();
    // Streams still running at the end of the grace period get an in-band error event first.
    const timer = setTimeout(() => {
      void deps.inflight.abortAll('Synrouter is shutting down; the stream was ended before the upstream finished.').then(() => server.closeAllConnections());
    }, graceMs);
    await done;
    clearTimeout(timer);
    clearInterval(idle);
    // Handlers whose clients are gone may still be recording their turns.
    await deps.inflight.drained(5_000);
    await release();
  })());

  return { server, deps, url: `http://${host}:${port}`, close };
}

/** The store's state in /metrics: which store, whether limits hold across instances, the ledger's queue. */
function watchStore(metrics: Metrics, store: Store, limits: LimitsApi): void {
  metrics.watch('synrouter_store_postgres', 'gauge', 'Whether the store is PostgreSQL (1) or the SQLite file (0).', () => (store.kind === 'postgres' ? 1 : 0));
  metrics.watch('synrouter_limits_shared', 'gauge', 'Whether per-key limits hold across instances now (1), or count this instance only (0: SQLite, or the shared counters unreachable).', () => (limits.scope === 'shared' ? 1 : 0));
  metrics.watch('synrouter_ledger_pending_rows', 'gauge', 'Ledger rows queued in memory, not yet committed to the store.', () => store.ledger.pending);
  metrics.watch('synrouter_ledger_write_failures_total', 'counter', 'Ledger writes that failed (their rows stay queued and are retried).', () => store.ledger.failures);
  metrics.watch('synrouter_ledger_dropped_rows_total', 'counter', 'Ledger rows dropped because the queue overflowed while the store could not be written.', () => store.ledger.dropped);
  metrics.watch('synrouter_ledger_rejected_rows_total', 'counter', 'Ledger rows the store refused for their values, logged whole and set aside instead of retried.', () => store.ledger.rejected);
}

/** A bounded label for metrics: the path without its query, or 'other' for paths Synrouter does not serve. */
function endpointLabel(rawUrl: string | undefined): string {
  const path = (rawUrl ?? '/').split('?')[0]!;
  return /^\/(api\/anthropic\/v1\/(messages(\/count_tokens)?|models)|api\/v1\/(chat\/completions|responses|messages(\/count_tokens)?|models)|health|ready|metrics|dashboard|admin\/api\/[a-z]+)$/.test(path) ? path : 'other';
}

/**
 * Requests Node's HTTP parser rejects (headers over 16 KB, bad Content-Length, malformed chunks) never
 * reach the handler: answer them here, in the protocol of the path when the request line is readable.
 */
function answerClientError(err: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex): void {
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const message = tooLarge ? 'Request headers are too large (over 16 KB).' : `Malformed HTTP request: ${err.code ?? err.message}.`;
  const render = (path: string) => JSON.stringify(protocolOfPath(path) === 'anthropic' ? renderAnthropicError(status, message) : renderOpenAIError(status, message, tooLarge ? 'headers_too_large' : 'malformed_request'));
  // A request whose head was fine but whose body is malformed already has a response object.
  const res = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  // The client is gone (reset, or closed before its body was complete): nobody to answer. The handler
  // reading the body must still hear of it, to record the turn as a client abort.
  if (err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE') {
    res?.req.destroy(err);
    return void socket.destroy();
  }
  if (res) {
    if (!res.headersSent) {
      // The handler is reading this body: it records the turn with this error once the socket closes.
      malformedBodies.set(res.req, new ProxyError('BODY_INVALID', message));
      const body = render((res.req?.url ?? '/').split('?')[0]!);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
      res.once('finish', () => socket.destroy());
      setTimeout(() => socket.destroy(), 1000).unref();
      // After a parse error the socket no longer feeds the request: end the handler's body read.
      res.req.destroy(err);
    } else socket.destroy();
    return;
  }
  if (!socket.writable) return void socket.destroy();
  const path = /^[A-Z]+ (\S+)/.exec(err.rawPacket?.toString('latin1', 0, 2048) ?? '')?.[1]?.split('?')[0] ?? '/';
  const body = render(path);
  socket.end(`HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
