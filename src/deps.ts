/**
 * What the stages of a turn are given: built once at start (cli/serve.ts) and passed down. Its own
 * module so that the stages below handle-request.ts (upstream/, admin/, the server) can name it
 * without importing the file that calls them: no import circles through the top file.
 */
import type { Agent } from 'undici';
import type { Config } from './config.ts';
import type { Registry } from './route/registry.ts';
import type { EngineConfig } from './rewrite/cache-engine.ts';
import type { KeyStoreApi, LedgerApi, LimitsApi, SessionStoreApi, Store } from './store/store.ts';
import type { Metrics } from './meter/metrics.ts';
import type { RowSink } from './store/row-sink.ts';
import type { ProviderCacheModel } from './meter/provider-cache-model.ts';
import type { Inflight } from './server/inflight.ts';
import type { LoadShedder } from './server/load-shedder.ts';
import type { KeepAlive } from './keepalive/keep-alive.ts';
import type { Observer } from './observe/observer.ts';

export interface Deps {
  config: Config;
  /** The store (SQLite or PostgreSQL); its parts below, by the names the stages use. */
  store: Store;
  keys: KeyStoreApi;
  ledger: LedgerApi;
  /** Where every finished row goes (ledger, metrics, the key's spend): turns, retries and pings alike. */
  rows: RowSink;
  sessions: SessionStoreApi;
  registry: Registry;
  engine: EngineConfig;
  agent: Agent;
  /** Wall clock for turn times and cache TTLs; tests and the savings benchmark share the simulator's. */
  clock: { now(): number };
  metrics: Metrics;
  /** Counterfactual bills: the client's own markers alone; shadow keys' engine rewrite. */
  clientOnly: ProviderCacheModel;
  shadowModel: ProviderCacheModel;
  inflight: Inflight;
  limits: LimitsApi;
  shedder: LoadShedder;
  keepalive: KeepAlive;
  /** The access log and traces: told once per request, after its row. */
  observer: Observer;
}
