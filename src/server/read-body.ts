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

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new ProxyError('BODY_TOO_LARGE', `Request body is over Synrouter's limit of ${Math.round(limit / 1024 / 1024)} MB (bodyLimitMb in the config file).`);
  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const decode = encoding === 'identity' || encoding === '' ? undefined : DECODERS[encoding];
  if (encoding !== 'identity' && encoding !== '' && !decode) {
    throw new ProxyError('BODY_ENCODING', `Content-Encoding "${encoding}" is not supported; send gzip, deflate, br, zstd or an uncompressed body.`);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof ProxyError) throw err;
    throw malformedBodies.get(req) ?? new ProxyError('CLIENT_ABORTED', 'The client closed the connection before the body was complete.', { cause: err });
  }
  const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  if (!decode) return raw;
  try {
    return await decode(raw, { maxOutputLength: limit });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    throw new ProxyError('BODY_NOT_JSON', `The request body is not valid ${encoding} data: ${(err as Error).message}`);
  }
}
