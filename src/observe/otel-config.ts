/**
 * Whether and how traces are exported, from the standard OpenTelemetry variables (read here, with the
 * rest of the configuration, from the environment config.ts is given):
 *
 * - on only when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT is set, and neither
 *   OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none says otherwise;
 * - OTLP over HTTP: OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL http/protobuf (the specification's default) or
 *   http/json; grpc is refused rather than silently sent some other way;
 * - the signal URL: the TRACES endpoint as given, else the base endpoint + "/v1/traces";
 * - OTEL_TRACES_SAMPLER(_ARG) and OTEL_BSP_*: the JS SDK 3.x no longer reads them itself.
 *
 * The exporter still reads its own OTEL_EXPORTER_OTLP_(TRACES_)HEADERS, _TIMEOUT, _COMPRESSION and
 * the certificate variables from process.env, and the resource OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES, as every OpenTelemetry SDK does.
 * @see https://opentelemetry.io/docs/specs/otel/protocol/exporter/
 * @see https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 */

export interface TracingConfig {
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  sampler: { root: 'always_on' | 'always_off' | 'traceidratio'; ratio: number; parentBased: boolean };
  batch: { scheduledDelayMillis?: number; exportTimeoutMillis?: number; maxQueueSize?: number; maxExportBatchSize?: number };
}

const SAMPLERS = new Set(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']);

/** The tracing configuration, undefined when traces are off, or an error message for a bad variable. */
export function tracingFromEnv(env: Readonly<Record<string, string | undefined>>): { tracing?: TracingConfig; error?: string } {
  const get = (name: string) => (env[name]?.trim() || undefined);
  const signal = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (!signal && !base) return {};
  if (get('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return {};
  const exporters = (get('OTEL_TRACES_EXPORTER') ?? 'otlp').split(',').map((s) => s.trim().toLowerCase());
  if (exporters.includes('none')) return {};
  if (!exporters.includes('otlp')) return { error: `OTEL_TRACES_EXPORTER="${get('OTEL_TRACES_EXPORTER')}": Synrouter exports traces over OTLP only ("otlp" or "none")` };

  const protocol = (get('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? get('OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf').toLowerCase();
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') return { error: `OTEL_EXPORTER_OTLP_PROTOCOL="${protocol}": Synrouter sends OTLP over HTTP only ("http/protobuf" or "http/json")` };

  const url = signal ?? base!.replace(/\/+$/, '') + '/v1/traces';
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    return { error: `${signal ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT'}="${signal ?? base}" is not an http(s) URL` };
  }

  const samplerName = (get('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  if (!SAMPLERS.has(samplerName)) return { error: `OTEL_TRACES_SAMPLER="${samplerName}" is not supported (${[...SAMPLERS].join(', ')})` };
  const arg = get('OTEL_TRACES_SAMPLER_ARG');
  const ratio = arg === undefined ? 1 : Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) return { error: `OTEL_TRACES_SAMPLER_ARG="${arg}" must be a number from 0 to 1` };

  const batch: TracingConfig['batch'] = {};
  for (const [name, key] of [['OTEL_BSP_SCHEDULE_DELAY', 'scheduledDelayMillis'], ['OTEL_BSP_EXPORT_TIMEOUT', 'exportTimeoutMillis'], ['OTEL_BSP_MAX_QUEUE_SIZE', 'maxQueueSize'], ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'maxExportBatchSize']] as const) {
    const v = get(name);
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) return { error: `${name}="${v}" must be a positive integer` };
    batch[key] = n;
  }
  const parentBased = samplerName.startsWith('parentbased_');
  const root = samplerName.replace(/^parentbased_/, '') as TracingConfig['sampler']['root'];
  return { tracing: { url, protocol, sampler: { root, ratio, parentBased }, batch } };
}
