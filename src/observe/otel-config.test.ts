import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tracingFromEnv } from './otel-config.ts';

test('off unless an OTLP endpoint is set; off when the SDK or the traces exporter is disabled', () => {
  assert.deepEqual(tracingFromEnv({}), {});
  assert.deepEqual(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }), {});
  assert.deepEqual(tracingFromEnv({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' }), {});
  assert.deepEqual(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }), {});
  assert.deepEqual(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }), {});
});

test('the signal URL: the base endpoint + /v1/traces, or the traces endpoint as given', () => {
  assert.equal(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing?.url, 'http://collector:4318/v1/traces');
  assert.equal(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com/otlp/' }).tracing?.url, 'https://otlp.example.com/otlp/v1/traces');
  assert.equal(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/custom' }).tracing?.url, 'http://b:9999/custom');
  assert.match(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }).error!, /not an http\(s\) URL/);
});

test('protocol: http/protobuf by default, http/json on request, grpc refused', () => {
  assert.equal(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).tracing?.protocol, 'http/protobuf');
  assert.equal(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).tracing?.protocol, 'http/json');
  assert.equal(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }).tracing?.protocol, 'http/protobuf');
  assert.match(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).error!, /OTLP over HTTP only/);
  assert.match(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'zipkin' }).error!, /OTLP only/);
});

test('sampler and batch processor variables', () => {
  const t = tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25', OTEL_BSP_SCHEDULE_DELAY: '1000', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '256' }).tracing!;
  assert.deepEqual(t.sampler, { root: 'traceidratio', ratio: 0.25, parentBased: true });
  assert.deepEqual(t.batch, { scheduledDelayMillis: 1000, maxExportBatchSize: 256 });
  assert.deepEqual(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).tracing!.sampler, { root: 'always_on', ratio: 1, parentBased: true });
  assert.match(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_SAMPLER: 'jaeger_remote' }).error!, /not supported/);
  assert.match(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_SAMPLER_ARG: '2' }).error!, /from 0 to 1/);
  assert.match(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_BSP_MAX_QUEUE_SIZE: 'lots' }).error!, /positive integer/);
});
