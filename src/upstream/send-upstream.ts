/**
 * I/O to providers over undici (one connection pool per origin inside an Agent). Only transport
 * lives here: no format knowledge. The caller's AbortSignal fires when the client goes away, and
 * undici then tears down the upstream request.
 */
import { Agent, errors as undiciErrors } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { ProxyError } from '../errors.ts';
import { authHeaders, type ProviderSpec } from './providers.ts';
import type { Spliced } from '../json/splice.ts';
import { dispatchRequest, type UpstreamBody } from './upstream-body.ts';

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: UpstreamBody;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the ones Synrouter owns: never forwarded. */
const DROP_REQUEST_HEADERS = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host', 'content-length', 'authorization', 'x-api-key',
  // The meter reads the response as it streams: ask for it uncompressed.
  'accept-encoding',
  // The body was read whole (and decompressed) here: it goes upstream plain, in one piece.
  'content-encoding', 'expect',
]);

/**
 * The headers for an attempt on a route: the client's (less auth and hop-by-hop ones), the route's
 * key, and in `anthropic-beta` the client's flags less those the provider rejects, plus the one fast
 * mode needs there.
 */
export function routeHeaders(client: IncomingHttpHeaders, route: { provider: { spec: ProviderSpec }; apiKey: string; speed?: 'fast' }): Record<string, string> {
  const spec = route.provider.spec;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(client)) {
    if (value === undefined || DROP_REQUEST_HEADERS.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const add = route.speed === 'fast' ? spec.fastMode?.beta : undefined;
  if (add || (spec.dropBetas && out['anthropic-beta'])) {
    const betas = (out['anthropic-beta'] ?? '').split(',').map((b) => b.trim()).filter((b) => b && !spec.dropBetas?.includes(b));
    if (add && !betas.includes(add)) betas.push(add);
    if (betas.length) out['anthropic-beta'] = betas.join(','); else delete out['anthropic-beta'];
  }
  return { ...out, 'content-type': 'application/json', ...authHeaders(spec, route.apiKey) };
}

export function createUpstreamAgent(opts: { headersTimeoutMs: number; bodyIdleTimeoutMs: number; connections: number }): Agent {
  return new Agent({ connections: opts.connections, headersTimeout: opts.headersTimeoutMs, bodyTimeout: opts.bodyIdleTimeoutMs, keepAliveTimeout: 30_000 });
}

/** Base URLs come from the config, a handful: each parsed once (a URL parse per request cost ~5 us). */
const bases = new Map<string, { origin: string; path: string }>();
function parsedBase(baseUrl: string): { origin: string; path: string } {
  let base = bases.get(baseUrl);
  if (!base) {
    const url = new URL(baseUrl);
    base = { origin: url.origin, path: url.pathname.replace(/\/+$/, '') };
    if (bases.size < 1000) bases.set(baseUrl, base);
  }
  return base;
}

export async function sendUpstream(agent: Agent, req: { baseUrl: string; path: string; method: 'GET' | 'POST'; headers: Record<string, string>; body?: Buffer | Spliced; signal: AbortSignal }): Promise<UpstreamResponse> {
  const base = parsedBase(req.baseUrl);
  const path = base.path + req.path;
  // Pieces go out one after another under the declared length: undici takes an iterable body and
  // writes it chunk by chunk (lib/core/request.js accepts "an iterable, or an async iterable"; its
  // types list only Buffer, string, Readable and FormData). A body of one piece goes as one buffer.
  const pieces = req.body && !Buffer.isBuffer(req.body) && req.body.pieces.length > 1 ? wirePieces(req.body.pieces) as unknown as Readable : undefined;
  const body = pieces ?? (req.body === undefined || Buffer.isBuffer(req.body) ? req.body : req.body.bytes()) ?? null;
  const headers = pieces ? { ...req.headers, 'content-length': String((req.body as Spliced).length) } : req.headers;
  try {
    return await dispatchRequest(agent, { origin: base.origin, path, method: req.method, headers, body }, req.signal);
  } catch (err) {
    throw upstreamError(err);
  }
}

/**
 * The pieces to write: the largest as it is, the ones before it and the ones after it each joined
 * into one buffer. undici corks and uncorks the socket around every chunk of an iterable body
 * (client-h1.js AsyncWriter.write), so each piece is its own write syscall, and on a connection to a
 * local upstream each syscall also runs the receiver's TCP stack: a turn spliced into five pieces
 * (the client's bytes around two markers) went out in five syscalls, now two, copying only what
 * lies outside the largest piece (the tail after the first marker). Not the whole body: joining
 * 200 KB into a fresh buffer took 50-110 us in a microbenchmark (new memory, page-faulted in).
 */
export function wirePieces(pieces: readonly Uint8Array[]): Uint8Array[] {
  let largest = 0;
  for (let i = 1; i < pieces.length; i++) if (pieces[i]!.length > pieces[largest]!.length) largest = i;
  const join = (part: readonly Uint8Array[]) => part.length === 1 ? part : part.length ? [Buffer.concat(part)] : [];
  return [...join(pieces.slice(0, largest)), pieces[largest]!, ...join(pieces.slice(largest + 1))];
}

/**
 * The error the client gets: a generic message, because the transport's own ("connect ECONNREFUSED
 * 10.0.0.7:8443") names the upstream's address and errno. The transport error stays the cause, and
 * send-with-retries.ts logs it under the request id.
 */
export function upstreamError(err: unknown): ProxyError | unknown {
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return new ProxyError('UPSTREAM_TIMEOUT', 'The upstream provider did not answer in time.', { cause: err });
  }
  if (err instanceof Error && (err.name === 'AbortError' || err instanceof undiciErrors.RequestAbortedError)) return err;
  return new ProxyError('UPSTREAM_UNREACHABLE', 'Could not reach the upstream provider. Synrouter\'s log has the details under this request\'s id (the request-id header).', { cause: err });
}

/** A transport error for the log: its message (with the address), every address tried, and the errno. */
export function describeTransportError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // A host with several addresses (localhost: ::1 and 127.0.0.1) fails as one AggregateError, message ''.
  const message = err instanceof AggregateError ? err.errors.map((e: Error) => e.message).join('; ') : err.message;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}
