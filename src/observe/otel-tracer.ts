/**
 * The OpenTelemetry side, loaded (with every @opentelemetry package) only when tracing is on
 * (observer.ts imports this file dynamically). Spans are made after the fact, when a turn's row is
 * finished, from the times recorded on the turn: nothing runs inside the request path, no context is
 * propagated, and the global tracer provider is left alone (Synrouter has no instrumented libraries).
 * A BatchSpanProcessor queues them and exports over OTLP/HTTP; shutdown() flushes it (SIGTERM).
 */
import { createRequire } from 'node:module';
import { diag, DiagLogLevel, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider, type Sampler } from '@opentelemetry/sdk-trace';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import type { TurnRow } from '../store/ledger.ts';
import type { Turn } from '../turn.ts';
import type { TracingConfig } from './otel-config.ts';
import { attemptSpan, turnSpan, type SpanData } from './span-attributes.ts';

export interface TurnTracer {
  record(turn: Turn, row: TurnRow | undefined, endPerf: number): void;
  shutdown(timeoutMs: number): Promise<void>;
}

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export async function startTracer(cfg: TracingConfig): Promise<TurnTracer> {
  const { OTLPTraceExporter } = cfg.protocol === 'http/json'
    ? await import('@opentelemetry/exporter-trace-otlp-http')
    : await import('@opentelemetry/exporter-trace-otlp-proto');
  quietDiagnostics();
  const exporter = new OTLPTraceExporter({ url: cfg.url });
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env detector) win over these defaults.
  const resource = resourceFromAttributes({ 'service.name': 'synrouter', 'service.version': VERSION }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new TracerProvider({ resource, sampler: sampler(cfg.sampler), spanProcessors: [new BatchSpanProcessor({ exporter, ...cfg.batch })] });
  const tracer = provider.getTracer('synrouter', VERSION);
  return {
    record: (turn, row, endPerf) => recordTurn(tracer, turn, row, endPerf),
    async shutdown(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([provider.shutdown().catch(() => undefined), new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); })]);
      clearTimeout(timer);
    },
  };
}

/** performance.now() values -> epoch milliseconds (the SDK keeps the fraction: sub-ms precision). */
const epoch = (perf: number) => performance.timeOrigin + perf;

function recordTurn(tracer: Tracer, turn: Turn, row: TurnRow | undefined, endPerf: number): void {
  const t = turnSpan(turn, row);
  const root = tracer.startSpan(t.name, { kind: SpanKind.SERVER, startTime: epoch(turn.startPerf), attributes: t.attributes }, ROOT_CONTEXT);
  if (!root.isRecording()) return;
  const parent = trace.setSpan(ROOT_CONTEXT, root);
  const attempts = turn.attempts ?? [];
  attempts.forEach((at, i) => {
    const s = attemptSpan(at, i);
    const span = tracer.startSpan(s.name, { kind: SpanKind.CLIENT, startTime: epoch(at.startPerf), attributes: s.attributes }, parent);
    setStatus(span, s);
    // A failed attempt ends when its answer's head (or its failure) came; the one forwarded lasts until the turn's end.
    span.end(epoch(i < attempts.length - 1 && at.endPerf !== undefined ? at.endPerf : endPerf));
  });
  setStatus(root, t);
  root.end(epoch(endPerf));
}

function setStatus(span: { setStatus(s: { code: SpanStatusCode; message?: string }): unknown }, s: SpanData): void {
  if (s.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: s.error });
}

function sampler(s: TracingConfig['sampler']): Sampler {
  const root = s.root === 'always_off' ? new AlwaysOffSampler() : s.root === 'traceidratio' ? new TraceIdRatioBasedSampler(s.ratio) : new AlwaysOnSampler();
  return s.parentBased ? new ParentBasedSampler({ root }) : root;
}

/**
 * The SDK reports failed exports through its diagnostic logger, which says nothing unless one is
 * set: say it on stderr, at most once a minute, so that traces missing at the collector have a
 * visible cause without flooding the log when the collector is down.
 */
function quietDiagnostics(): void {
  let last = 0;
  const say = (message: string, ...args: unknown[]) => {
    const now = Date.now();
    if (now - last < 60_000) return;
    last = now;
    console.error(`[synrouter] OpenTelemetry: ${message}${args.length ? ' ' + args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ') : ''}`);
  };
  const none = () => {};
  diag.setLogger({ error: say, warn: say, info: none, debug: none, verbose: none }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}
