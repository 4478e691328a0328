/**
 * The node:http server: wires the stores and the upstream agent into handleRequest, and shuts
 * down gracefully (stop accepting, let in-flight requests finish up to a timeout, flush the ledger).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.ts';
import { handleRequest, type Deps } from '../handle-request.ts';
import { createRegistry } from '../route/registry.ts';
import { openDatabase } from '../store/db.ts';
import { KeyStore } from '../store/keys.ts';
import { Ledger } from '../store/ledger.ts';
import { SessionStore } from '../session/session-state.ts';
import { Metrics } from '../meter/metrics.ts';
import { ProviderCacheModel } from '../meter/provider-cache-model.ts';
import { Inflight } from './inflight.ts';
import { Limits } from '../auth/limits.ts';
import { KeepAlive } from '../keepalive/keep-alive.ts';
import { createUpstreamAgent } from '../upstream/send-upstream.ts';

export interface Synrouter {
  server: Server;
  deps: Deps;
  /** Base URL, e.g. http://127.0.0.1:8787 */
  url: string;
  close(opts?: { graceMs?: number }): Promise<void>;
}

export async function startSynrouter(config: Config, opts: { clock?: { now(): number } } = {}): Promise<Synrouter> {
  const db = openDatabase(config.dbPath);
  const keys = new KeyStore(db);
  const sessions = new SessionStore(db);
  const ledger = new Ledger(db, config.ledger);
  const agent = createUpstreamAgent(config.upstream);
  const deps: Deps = {
    config,
    keys,
    ledger,
    sessions,
    engine: config.engine,
    clock: opts.clock ?? Date,
    metrics: new Metrics(),
    clientOnly: new ProviderCacheModel(),
    shadowModel: new ProviderCacheModel(),
    inflight: new Inflight(),
    limits: new Limits(db, config.limits),
    registry: createRegistry(config.models),
    agent,
    keepalive: new KeepAlive({
      agent, keys, ledger, config: config.keepalive,
      // The engine's TTL check (miss reasons) must know the entries were refreshed.
      onRefresh: (keyId, sessionId, at) => {
        const state = sessions.get(keyId, sessionId);
        if (state) sessions.set(keyId, sessionId, { ...state, refreshedAt: at });
      },
    }),
  };
  // Pings go out when due, by the deps' clock (tests on the simulator's manual clock call tick themselves).
  const keepaliveTimer = setInterval(() => void deps.keepalive.tick(deps.clock.now()).catch((err) => console.error('[synrouter] keep-alive:', err)), 1000);
  keepaliveTimer.unref();
  const sessionFlush = setInterval(() => deps.sessions.flush(), config.ledger.flushMs);
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
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
    clearInterval(sessionFlush);
    clearInterval(keepaliveTimer);
    deps.ledger.close();
    deps.sessions.flush();
    await deps.agent.close();
    db.close();
  })());

  return { server, deps, url: `http://${host}:${port}`, close };
}

/** A bounded label for metrics: the path without its query, or 'other' for paths Synrouter does not serve. */
function endpointLabel(rawUrl: string | undefined): string {
  const path = (rawUrl ?? '/').split('?')[0]!;
  return /^\/(api\/anthropic\/v1\/(messages(\/count_tokens)?|models)|api\/v1\/(chat\/completions|responses|messages(\/count_tokens)?|models)|health|metrics|dashboard|admin\/api\/[a-z]+)$/.test(path) ? path : 'other';
}
