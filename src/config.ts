/**
 * Configuration: defaults, then the JSON config file (`--config` or SYNROUTER_CONFIG), then the
 * environment. The result is a frozen, typed Config; nothing else reads process.env.
 *
 * Environment: SYNROUTER_HOST, SYNROUTER_PORT, SYNROUTER_DB, SYNROUTER_DATABASE_URL (PostgreSQL; wins over SYNROUTER_DB), SYNROUTER_BODY_LIMIT_MB, SYNROUTER_BODY_TIMEOUT_MS,
 * SYNROUTER_GC_HEADROOM_MB, SYNROUTER_LOG_LEVEL, SYNROUTER_LOG_DESTINATION, SYNROUTER_LOG_FORMAT, the
 * standard OTEL_* variables that turn traces on (observe/otel-config.ts; the OTLP exporter reads its
 * headers, timeout and certificates from process.env itself, as every OpenTelemetry SDK does), and per provider
 * SYNROUTER_<PROVIDER>_API_KEY (comma-separated for several keys) and SYNROUTER_<PROVIDER>_BASE_URL,
 * for ANTHROPIC, OPENROUTER and every provider declared in the config file.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ModelEntry } from './route/registry.ts';
import { BUILTIN_PROVIDERS, declaredProvider, type ProviderSpec } from './upstream/providers.ts';
import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from './rewrite/cache-engine.ts';
import type { TrimPolicy } from './rewrite/trim-tool-results.ts';
import { DEFAULT_LAYER_PATTERNS } from './rewrite/layer-tools.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './upstream/retry-policy.ts';
import { DEFAULT_LIMITS, type LimitsConfig } from './auth/limits.ts';
import { DEFAULT_KEEPALIVE, type KeepAliveConfig } from './keepalive/keepalive-config.ts';
import { DEFAULT_BODY_TIMEOUT_MS } from './server/read-body.ts';
import { ConfigError } from './errors.ts';
import { CONFIG_FILE } from './config-schema.ts';
import { DEFAULT_LOG, LOG_LEVELS, type LogConfig, type LogLevel } from './observe/log-config.ts';
import { tracingFromEnv, type TracingConfig } from './observe/otel-config.ts';

export interface ProviderConfig {
  spec: ProviderSpec;
  baseUrl: string;
  /** Several keys spread sessions over keys by fingerprint (same fingerprint, same key). */
  apiKeys: string[];
}

export interface Config {
  host: string;
  port: number;
  dbPath: string;
  /**
   * PostgreSQL (`postgres://…`) for several instances on one database (store/postgres/); when set it wins
   * over dbPath. From SYNROUTER_DATABASE_URL or the file's `database.url`.
   */
  databaseUrl?: string;
  /** Session states idle longer than this many days are deleted (PostgreSQL store's housekeeping); 0 keeps them. */
  sessionRetentionDays: number;
  /**
   * Redis or Valkey (`redis://…`) for the per-key request counters shared across instances, with the
   * PostgreSQL store (store/shared-counter.ts). From SYNROUTER_REDIS_URL or the file's `redis.url`.
   */
  redisUrl?: string;
  /** Largest request body accepted. Agents send 40-120 KB first requests and several MB late in long sessions. */
  bodyLimitBytes: number;
  /** Longest wait for the next chunk of a request body (nginx's client_body_timeout); never applies to responses. */
  bodyTimeoutMs: number;
  /** Load shedding (server/load-shedder.ts): request body bytes held at once (default 1/16 of the heap limit), heap share in use. */
  shedding: { maxBodyBytes?: number; maxHeapShare: number };
  /** Untouched Buffer memory reserved at start so that V8's full collections are not paced by dead Buffers (cli/v8-tuning.ts); 0 turns it off. */
  gcHeadroomMb: number;
  /** Providers with at least one API key, by name. */
  providers: Readonly<Record<string, ProviderConfig>>;
  models: readonly ModelEntry[];
  ledger: { flushMs: number; batchSize: number };
  upstream: { headersTimeoutMs: number; bodyIdleTimeoutMs: number; connections: number };
  /** Cache engine: tool_result trim policy per mode, general-mode layer name patterns. */
  engine: EngineConfig;
  retry: RetryPolicy;
  /** Per-key request limits (budgets are per key, in the store). */
  limits: LimitsConfig;
  /** Cache keep-alive for Anthropic-direct sessions. */
  keepalive: KeepAliveConfig;
  /** On SIGTERM, how long in-flight requests may run before they are ended (with an error event). */
  shutdownGraceMs: number;
  /** Fallback models by model id, tried after every provider of the model itself. */
  fallbacks: Readonly<Record<string, readonly string[]>>;
  /** The access log: one JSON line per request (observe/access-log.ts). */
  log: LogConfig;
  /** OpenTelemetry traces over OTLP/HTTP; only when an OTLP endpoint is set (observe/otel-config.ts). */
  tracing?: TracingConfig;
}

interface FileConfig {
  host?: string;
  port?: number;
  db?: string;
  database?: { url?: string; sessionRetentionDays?: number };
  redis?: { url?: string };
  bodyLimitMb?: number;
  bodyTimeoutMs?: number;
  shedding?: { maxBodyMb?: number; maxHeapShare?: number };
  gcHeadroomMb?: number;
  providers?: Record<string, {
    apiKey?: string; apiKeys?: string[]; baseUrl?: string;
    /** Only for providers that are not built in: */
    protocol?: 'anthropic' | 'openai'; auth?: 'x-api-key' | 'bearer'; serves?: string[]; responses?: boolean;
  }>;
  models?: ModelEntry[];
  ledger?: Partial<Config['ledger']>;
  upstream?: Partial<Config['upstream']>;
  retry?: Partial<RetryPolicy>;
  limits?: Partial<LimitsConfig>;
  keepalive?: Partial<Omit<KeepAliveConfig, 'maxIdleMs'>> & { maxIdleMs?: Partial<KeepAliveConfig['maxIdleMs']> };
  shutdownGraceMs?: number;
  fallbacks?: Record<string, string[]>;
  engine?: { trim?: { coding?: Partial<TrimPolicy>; general?: Partial<TrimPolicy> }; layerPatterns?: Record<string, string>; ttl?: 'adaptive' | '5m' | '1h' };
  log?: { level?: string; destination?: string; format?: string };
}

export { ConfigError };

/** A PostgreSQL URL, checked at start (a typo should not surface as a connection error on the first turn). */
function databaseUrl(url: string | undefined): { databaseUrl: string } | undefined {
  if (!url) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError('the database URL (SYNROUTER_DATABASE_URL or database.url) is not a URL: expected postgres://user:password@host:5432/db');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new ConfigError(`the database URL must start with postgres:// (got ${u.protocol}//)`);
  return { databaseUrl: url };
}

/** A Redis URL, checked at start; only with the PostgreSQL store (alone, an instance has nothing to share). */
function redisUrl(url: string | undefined, withDatabase: boolean): { redisUrl: string } | undefined {
  if (!url) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError('the Redis URL (SYNROUTER_REDIS_URL or redis.url) is not a URL: expected redis://host:6379');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError(`the Redis URL must start with redis:// or rediss:// (got ${u.protocol}//)`);
  if (!withDatabase) throw new ConfigError('a Redis URL is set without a database URL: Redis shares the request counters of instances on one PostgreSQL (SYNROUTER_DATABASE_URL)');
  return { redisUrl: url };
}

export function loadConfig(opts: { configPath?: string; env?: NodeJS.ProcessEnv; overrides?: Partial<Pick<Config, 'port' | 'host' | 'dbPath' | 'databaseUrl' | 'redisUrl'>> } = {}): Config {
  const env = opts.env ?? process.env;
  const path = opts.configPath ?? env.SYNROUTER_CONFIG;
  const file = path ? readConfigFile(path) : {};

  const providers: Record<string, ProviderConfig> = {};
  // Order: Anthropic direct, then the providers declared in the file (in file order), then OpenRouter,
  // which serves every model. resolve-route.ts ranks routes the same way whatever this order is:
  // a declared provider that lists a model comes before OpenRouter for it, and Anthropic direct
  // (when keyed) stays first for Claude models even when a declared provider lists them too.
  const fileDeclared: Record<string, ProviderSpec> = {};
  for (const [name, p] of Object.entries(file.providers ?? {})) {
    if (BUILTIN_PROVIDERS[name]) continue;
    const baseEnv = `SYNROUTER_${envNameOf(name)}_BASE_URL`;
    if (p.protocol !== 'anthropic' && p.protocol !== 'openai') throw new ConfigError(`provider "${name}" needs "protocol" ("anthropic" or "openai")`);
    const baseUrl = env[baseEnv] || p.baseUrl;
    if (!baseUrl) throw new ConfigError(`provider "${name}" needs a base URL: set "baseUrl" in the config file or ${baseEnv}`);
    fileDeclared[name] = declaredProvider(name, { protocol: p.protocol, baseUrl, ...(p.auth ? { auth: p.auth } : {}), ...(p.serves ? { serves: p.serves } : {}), ...(p.responses ? { responses: true } : {}) });
  }
  const { openrouter, ...firstBuiltins } = BUILTIN_PROVIDERS;
  const declared: Record<string, ProviderSpec> = { ...firstBuiltins, ...fileDeclared, ...(openrouter ? { openrouter } : {}) };
  for (const [name, spec] of Object.entries(declared)) {
    const fp = file.providers?.[name];
    const envName = envNameOf(name);
    const envKeys = env[`SYNROUTER_${envName}_API_KEY`];
    const apiKeys = envKeys !== undefined ? splitKeys(envKeys) : fp?.apiKeys ?? (fp?.apiKey ? [fp.apiKey] : []);
    if (apiKeys.length === 0) continue;
    const baseUrl = (env[`SYNROUTER_${envName}_BASE_URL`] || fp?.baseUrl || spec.defaultBaseUrl).replace(/\/+$/, '');
    providers[name] = { spec, baseUrl, apiKeys };
  }

  const port = opts.overrides?.port ?? intFrom(env.SYNROUTER_PORT, 'SYNROUTER_PORT') ?? file.port ?? 8787;
  const database = databaseUrl(opts.overrides?.databaseUrl ?? env.SYNROUTER_DATABASE_URL ?? file.database?.url);
  const { tracing, error: tracingError } = tracingFromEnv(env);
  if (tracingError) throw new ConfigError(tracingError);
  const cfg: Config = {
    host: opts.overrides?.host ?? env.SYNROUTER_HOST ?? file.host ?? '127.0.0.1',
    port,
    dbPath: resolve(opts.overrides?.dbPath ?? env.SYNROUTER_DB ?? file.db ?? 'data/synrouter.db'),
    ...(database ?? {}),
    ...(redisUrl(opts.overrides?.redisUrl ?? env.SYNROUTER_REDIS_URL ?? file.redis?.url, database !== undefined) ?? {}),
    sessionRetentionDays: file.database?.sessionRetentionDays ?? 30,
    bodyLimitBytes: Math.round((intFrom(env.SYNROUTER_BODY_LIMIT_MB, 'SYNROUTER_BODY_LIMIT_MB') ?? file.bodyLimitMb ?? 32) * 1024 * 1024),
    bodyTimeoutMs: intFrom(env.SYNROUTER_BODY_TIMEOUT_MS, 'SYNROUTER_BODY_TIMEOUT_MS') ?? file.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
    shedding: {
      ...(file.shedding?.maxBodyMb !== undefined ? { maxBodyBytes: Math.round(file.shedding.maxBodyMb * 1024 * 1024) } : {}),
      maxHeapShare: file.shedding?.maxHeapShare ?? 0.85,
    },
    gcHeadroomMb: intFrom(env.SYNROUTER_GC_HEADROOM_MB, 'SYNROUTER_GC_HEADROOM_MB') ?? file.gcHeadroomMb ?? 64,
    providers,
    models: file.models ?? [],
    ledger: { flushMs: 200, batchSize: 200, ...file.ledger },
    // Connections per upstream origin: agents hold a stream per turn for minutes; 128 queued the 129th.
    upstream: { headersTimeoutMs: 600_000, bodyIdleTimeoutMs: 300_000, connections: 1024, ...file.upstream },
    retry: { ...DEFAULT_RETRY, ...file.retry },
    keepalive: {
      ...DEFAULT_KEEPALIVE, ...file.keepalive,
      maxIdleMs: { ...DEFAULT_KEEPALIVE.maxIdleMs, ...file.keepalive?.maxIdleMs },
      ...(env.SYNROUTER_KEEPALIVE !== undefined ? { enabled: env.SYNROUTER_KEEPALIVE !== '0' && env.SYNROUTER_KEEPALIVE !== 'false' } : {}),
    },
    limits: {
      requestsPerMinute: intFrom(env.SYNROUTER_RPM_LIMIT, 'SYNROUTER_RPM_LIMIT') ?? file.limits?.requestsPerMinute ?? DEFAULT_LIMITS.requestsPerMinute,
      concurrentRequests: intFrom(env.SYNROUTER_CONCURRENCY_LIMIT, 'SYNROUTER_CONCURRENCY_LIMIT') ?? file.limits?.concurrentRequests ?? DEFAULT_LIMITS.concurrentRequests,
    },
    shutdownGraceMs: intFrom(env.SYNROUTER_SHUTDOWN_GRACE_MS, 'SYNROUTER_SHUTDOWN_GRACE_MS') ?? file.shutdownGraceMs ?? 30_000,
    fallbacks: file.fallbacks ?? {},
    engine: {
      trim: {
        coding: { ...DEFAULT_ENGINE_CONFIG.trim.coding, ...file.engine?.trim?.coding },
        general: { ...DEFAULT_ENGINE_CONFIG.trim.general, ...file.engine?.trim?.general },
      },
      // Per layer: overriding one layer's pattern keeps the defaults of the others (layer-tools.ts).
      ...(file.engine?.layerPatterns ? { layerPatterns: { ...DEFAULT_LAYER_PATTERNS, ...file.engine.layerPatterns } } : {}),
      ...(file.engine?.ttl ? { ttl: file.engine.ttl } : {}),
    },
    log: {
      level: oneOf(env.SYNROUTER_LOG_LEVEL || file.log?.level || DEFAULT_LOG.level, LOG_LEVELS, env.SYNROUTER_LOG_LEVEL ? 'SYNROUTER_LOG_LEVEL' : 'log.level') as LogLevel,
      // A relative log file is relative to the working directory, as the database is.
      destination: logDestination(env.SYNROUTER_LOG_DESTINATION || file.log?.destination || DEFAULT_LOG.destination),
      format: oneOf(env.SYNROUTER_LOG_FORMAT || file.log?.format || DEFAULT_LOG.format, ['auto', 'json', 'pretty'] as const, env.SYNROUTER_LOG_FORMAT ? 'SYNROUTER_LOG_FORMAT' : 'log.format'),
    },
    ...(tracing ? { tracing } : {}),
  };
  return Object.freeze(cfg);
}

function readConfigFile(path: string): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    CONFIG_FILE(value, '');
  } catch (err) {
    throw new ConfigError(`config file ${path}: ${(err as Error).message}`);
  }
  return value as FileConfig;
}

/** `my-lab` -> `MY_LAB`, as in SYNROUTER_MY_LAB_API_KEY. */
function envNameOf(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

function splitKeys(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

function oneOf<T extends string>(v: string, allowed: readonly T[], name: string): T {
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}

function logDestination(v: string): string {
  return v === 'stdout' || v === 'stderr' ? v : resolve(v);
}

function intFrom(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${name} must be a non-negative number, got "${v}"`);
  return n;
}
