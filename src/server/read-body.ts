/** Bounded request body read: the whole body as one Buffer, or 413 as soon as it is over the limit. */
import type { IncomingMessage } from 'node:http';
import { ProxyError } from '../errors.ts';

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new ProxyError('BODY_TOO_LARGE', `Request body is over Synrouter's limit of ${Math.round(limit / 1024 / 1024)} MB (bodyLimitMb in the config file).`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
