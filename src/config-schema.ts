/**
 * The config file's schema, checked at start: an unknown key, a wrong type or a value outside its
 * set stops Synrouter with the path and what was expected, instead of being ignored (a typo in
 * `"keepAlive"` would otherwise silently leave keep-alive at its default). A dozen lines of
 * combinators rather than a validator library: the schema is small, start-up stays instant, and the
 * messages name the file's own paths.
 */
import { ConfigError } from './errors.ts';

type Check = (value: unknown, path: string) => void;

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v));
const fail = (path: string, expected: string, value: unknown): never => {
  throw new ConfigError(`${path || 'the file'} must be ${expected}, got ${show(value)}`);
};

export const string: Check = (v, path) => { if (typeof v !== 'string') fail(path, 'a string', v); };
export const boolean: Check = (v, path) => { if (typeof v !== 'boolean') fail(path, 'true or false', v); };

export function number(o: { min?: number; max?: number; integer?: boolean } = {}): Check {
  const expected = `${o.integer ? 'an integer' : 'a number'}${o.min !== undefined ? ` >= ${o.min}` : ''}${o.max !== undefined ? ` <= ${o.max}` : ''}`;
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (o.integer && !Number.isInteger(v)) || (o.min !== undefined && v < o.min) || (o.max !== undefined && v > o.max)) fail(path, expected, v);
  };
}

/** A regular expression's source, as `new RegExp(source, 'i')` takes it. */
export const pattern: Check = (v, path) => {
  string(v, path);
  try { new RegExp(v as string, 'i'); } catch (err) { throw new ConfigError(`${path} must be a regular expression: ${(err as Error).message}`); }
};

export function oneOf(...values: readonly (string | number | boolean | null)[]): Check {
  return (v, path) => { if (!values.includes(v as string)) fail(path, `one of ${values.map(show).join(', ')}`, v); };
}

export function either(...checks: Check[]): Check {
  return (v, path) => {
    const errors: string[] = [];
    for (const check of checks) {
      try { return check(v, path); } catch (err) { errors.push((err as Error).message); }
    }
    throw new ConfigError(errors.join('; or '));
  };
}

export function array(item: Check): Check {
  return (v, path) => {
    if (!Array.isArray(v)) return fail(path, 'an array', v);
    v.forEach((x, i) => item(x, `${path}[${i}]`));
  };
}

/** An object with free keys (names of providers, models, layers), every value checked. */
export function record(value: Check): Check {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'an object', v);
    for (const [k, x] of Object.entries(v)) value(x, path ? `${path}.${k}` : k);
  };
}

/** An object with known keys, all optional; any other key is an error that lists the known ones. */
export function object(shape: Readonly<Record<string, Check>>): Check {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'an object', v);
    for (const [k, x] of Object.entries(v)) {
      const at = path ? `${path}.${k}` : k;
      const check = shape[k];
      if (!check) throw new ConfigError(`${at} is not a setting Synrouter knows${path ? ` in ${path}` : ''}; known: ${Object.keys(shape).join(', ')}`);
      check(x, at);
    }
  };
}

const count = number({ min: 0, integer: true });
const ms = number({ min: 0 });
const usd = number({ min: 0 });
const trim = object({ thresholdChars: count, headChars: count, tailChars: count, errorFactor: number({ min: 1 }) });
const prices = object({ input: usd, output: usd, cacheRead: usd, cacheWrite5m: usd, cacheWrite1h: usd });

/** Everything the config file may hold (config.ts FileConfig), with its types and ranges. */
export const CONFIG_FILE: Check = object({
  host: string,
  port: number({ min: 0, max: 65535, integer: true }),
  db: string,
  database: object({ url: string, sessionRetentionDays: number({ min: 0 }) }),
  redis: object({ url: string }),
  bodyLimitMb: number({ min: 0 }),
  bodyTimeoutMs: ms,
  shedding: object({ maxBodyMb: number({ min: 0 }), maxHeapShare: number({ min: 0, max: 1 }) }),
  gcHeadroomMb: number({ min: 0 }),
  providers: record(object({
    apiKey: string, apiKeys: array(string), baseUrl: string,
    protocol: oneOf('anthropic', 'openai'), auth: oneOf('x-api-key', 'bearer'), serves: array(string), responses: boolean,
  })),
  models: array(object({
    id: string, name: string, context: count, anthropicId: string, speed: oneOf('fast'), aliases: array(string), released: string,
    prices: either(oneOf(null), prices), unlisted: boolean,
  })),
  ledger: object({ flushMs: number({ min: 1 }), batchSize: number({ min: 1, integer: true }) }),
  upstream: object({ headersTimeoutMs: ms, bodyIdleTimeoutMs: ms, connections: number({ min: 1, integer: true }) }),
  retry: object({ retries: count, baseDelayMs: ms, maxDelayMs: ms }),
  limits: object({ requestsPerMinute: count, concurrentRequests: count }),
  keepalive: object({
    enabled: boolean, maxIdleMs: object({ coding: ms, general: ms }), minPrefixTokens: count, budgetUsdPerKeyDay: usd, maxBytes: count,
  }),
  shutdownGraceMs: ms,
  fallbacks: record(array(string)),
  engine: object({ trim: object({ coding: trim, general: trim }), layerPatterns: object({ core: pattern, platform: pattern, mcp: pattern }), ttl: oneOf('adaptive', '5m', '1h') }),
  // Values are checked where they are read (config.ts, with the same messages for the environment).
  log: object({ level: string, destination: string, format: string }),
});
