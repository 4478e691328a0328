/** Small helpers for upstream bodies that are read whole (errors, JSON to translate). */

const MAX_BODY = 64 * 1024 * 1024;

export async function readBounded(body: AsyncIterable<unknown>, max = MAX_BODY): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    if (size < max) parts.push(c as Buffer);
    size += (c as Buffer).length;
  }
  return Buffer.concat(parts).subarray(0, max);
}

export function tryParse(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    return undefined;
  }
}
