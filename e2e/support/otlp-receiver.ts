/**
 * A small OTLP/HTTP trace receiver on loopback, for tests: what an OpenTelemetry collector's
 * `otlphttp` receiver accepts on POST /v1/traces. JSON bodies (OTEL_EXPORTER_OTLP_PROTOCOL=http/json)
 * are decoded into spans with plain attribute values; protobuf bodies are kept as bytes.
 * @see https://opentelemetry.io/docs/specs/otlp/#otlphttp (JSON: hex ids, int64 as numbers or strings)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AttrValue = string | number | boolean | AttrValue[] | null;

export interface ReceivedSpan {
  traceId: string; spanId: string; parentSpanId: string; name: string;
  /** OTLP SpanKind: 2 server, 3 client. */
  kind: number;
  startNs: bigint; endNs: bigint;
  attributes: Record<string, AttrValue>;
  status: { code: number; message?: string };
  resource: Record<string, AttrValue>;
  scope: string;
}

export interface ExportRequest { contentType: string; headers: Record<string, string | string[] | undefined>; body: Buffer }

export interface OtlpReceiver {
  url: string;
  requests: ExportRequest[];
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

interface JsonAnyValue { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: JsonAnyValue[] } }
interface JsonKeyValue { key: string; value: JsonAnyValue }

function value(v: JsonAnyValue): AttrValue {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return null;
}
const attrs = (kvs: JsonKeyValue[] | undefined) => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, value(kv.value)]));

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: ExportRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
      requests.push({ contentType: String(req.headers['content-type'] ?? ''), headers: req.headers, body: Buffer.concat(chunks) });
      // An empty ExportTraceServiceResponse: full success.
      const json = String(req.headers['content-type']).includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    spans() {
      const out: ReceivedSpan[] = [];
      for (const r of requests) {
        if (!r.contentType.includes('json')) continue;
        const doc = JSON.parse(r.body.toString('utf8')) as { resourceSpans?: Array<{ resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: Array<{ scope?: { name?: string }; spans?: Array<Record<string, unknown>> }> }> };
        for (const rs of doc.resourceSpans ?? []) {
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              out.push({
                traceId: String(s.traceId), spanId: String(s.spanId), parentSpanId: String(s.parentSpanId ?? ''), name: String(s.name), kind: Number(s.kind),
                startNs: BigInt(String(s.startTimeUnixNano)), endNs: BigInt(String(s.endTimeUnixNano)),
                attributes: attrs(s.attributes as JsonKeyValue[]), status: (s.status ?? { code: 0 }) as { code: number; message?: string },
                resource: attrs(rs.resource?.attributes), scope: ss.scope?.name ?? '',
              });
            }
          }
        }
      }
      return out;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
