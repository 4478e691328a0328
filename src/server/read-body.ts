/**
 * Bounded request body read: the whole body as one Buffer, or 413 as soon as it is over the limit.
 * A compressed body (Content-Encoding gzip, deflate, br or zstd) is decompressed here, within the
 * same limit, because everything after this reads and edits JSON and forwards it uncompressed.
 */
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { ProxyError } from '../errors.ts';

type Inflate = (buf: Buffer, opts: { maxOutputLength: number }) => Promise<Buffer>;

/** Requests whose body Node's HTTP parser rejected mid-read (set by the server's clientError handler). */
export const malformedBodies = new WeakMap<IncomingMessage, ProxyError>();

const DECODERS: Readonly<Record<string, Inflate>> = {
  gzip: promisify(zlib.gunzip) as Inflate,
  'x-gzip': promisify(zlib.gunzip) as Inflate,
  deflate: promisify(zlib.inflate) as Inflate,
  br: promisify(zlib.brotliDecompress) as Inflate,
  ...('zstdDecompress' in zlib ? { zstd: promisify((zlib as unknown as { zstdDecompress: typeof zlib.gunzip }).zstdDecompress) as Inflate } : {}),
};

/** The body's Content-Length, when it declares a usable one (undefined: chunked, absent or malformed). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const n = Number(req.headers['content-length']);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** No body bytes for this long while the body is still arriving ends the request (nginx's client_body_timeout). */
export const DEFAULT_BODY_TIMEOUT_MS = 60_000;

/** `idleMs`: longest wait for the next chunk of the body. */
export async function readBody(req: IncomingMessage, limit: number, idleMs = DEFAULT_BODY_TIMEOUT_MS): Promise<Buffer> {
  // Over the limit mid-read (a chunked body, or one that grew on decompression), the rest of the body
  // is never read: the 413 closes the connection rather than drain an unbounded upload.
  const tooLarge = () => new ProxyError('BODY_TOO_LARGE', `Request body is over Synrouter's limit of ${Math.round(limit / 1024 / 1024)} MB (bodyLimitMb in the config file).`, { headers: { connection: 'close' } });
  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const decode = encoding === 'identity' || encoding === '' ? undefined : DECODERS[encoding];
  if (encoding !== 'identity' && encoding !== '' && !decode) {
    throw new ProxyError('BODY_ENCODING', `Content-Encoding "${encoding}" is not supported; send gzip, deflate, br, zstd or an uncompressed body.`);
  }
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) throw tooLarge();
  let raw: Buffer;
  try {
    raw = await collect(req, limit, tooLarge, idleMs);
  } catch (err) {
    if (err instanceof ProxyError) throw err;
    throw malformedBodies.get(req) ?? new ProxyError('CLIENT_ABORTED', 'The client closed the connection before the body was complete.', { cause: err });
  }
  if (!decode) return raw;
  try {
    return await decode(raw, { maxOutputLength: limit });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    throw new ProxyError('BODY_NOT_JSON', `The request body is not valid ${encoding} data: ${(err as Error).message}`);
  }
}

/**
 * The body's chunks joined, read with 'data' events: `for await` over the request costs a promise
 * and an async-iterator step per 64 KB chunk (measured: ~7% of a bare Node proxy's CPU per 200 KB
 * request). Rejects when the client goes away before the end or the body is over `limit`.
 */
function collect(req: IncomingMessage, limit: number, tooLarge: () => ProxyError, idleMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Between chunks only: a slow but steady upload is never cut, a stalled one is (a timer refreshed per chunk).
    const idle = req.complete ? undefined : setTimeout(() => {
      req.pause();
      finish(new ProxyError('BODY_TIMEOUT', `No request body bytes arrived for ${Math.round(idleMs / 1000)} s; Synrouter stopped waiting (bodyTimeoutMs in the config file).`, { headers: { connection: 'close' } }));
    }, idleMs);
    const finish = (err: unknown, buf?: Buffer) => {
      clearTimeout(idle);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (err) reject(err); else resolve(buf!);
    };
    const onData = (chunk: Buffer) => {
      idle?.refresh();
      size += chunk.length;
      if (size > limit) { req.pause(); return finish(tooLarge()); }
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    const onError = (err: Error) => finish(err);
    // 'close' before 'end': the connection went away mid-body without an error event.
    const onClose = () => { if (!req.complete) finish(new Error('aborted')); };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
    // Gone before the read began (the handler awaits the store first): the parser's error or the
    // client's close came and went, and no 'end' will follow.
    if (req.destroyed) finish(req.errored ?? new Error('aborted'));
  });
}
