/**
 * A raw HTTP/1.1 exchange over one TCP connection, for requests that fetch/undici refuse to send
 * (bytes outside latin1 in header values, oversized or repeated headers, hand-made chunked bodies,
 * conflicting framing). The request is written as given; the answer is read until the server closes
 * the connection (send `Connection: close`), then parsed (content-length or chunked bodies).
 */
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export function rawExchange(port: number, request: Buffer | Buffer[], timeoutMs = 30_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer within ${timeoutMs} ms`)); }, timeoutMs);
    socket.on('connect', () => {
      for (const part of Array.isArray(request) ? request : [request]) socket.write(part);
    });
    socket.on('data', (c) => chunks.push(c));
    // The server may answer before it read the whole request (413, parse errors) and reset the rest.
    socket.on('error', (err) => { if (!chunks.length) { clearTimeout(timer); reject(err); } });
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseAnswer(Buffer.concat(chunks)));
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** Parses the first response in `data` (a 100 Continue interim answer is skipped). */
export function parseAnswer(data: Buffer): RawAnswer {
  let rest = data;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`no complete response head in ${rest.length} bytes: ${JSON.stringify(rest.subarray(0, 200).toString('latin1'))}`);
    const lines = rest.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
    const status = Number(m[1]);
    const headers: Record<string, string | string[]> = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      const name = line.slice(0, i).trim().toLowerCase();
      const value = line.slice(i + 1).trim();
      const prev = headers[name];
      headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    const after = rest.subarray(end + 4);
    if (status === 100) { rest = after; continue; }
    if (String(headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) return { status, headers, body: dechunk(after) };
    const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : after.length;
    return { status, headers, body: after.subarray(0, length) };
  }
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', pos);
    if (eol < 0) break;
    const size = parseInt(data.subarray(pos, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(data.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** A request head plus body, with `Connection: close`; `headers` are written verbatim, in order. */
export function rawRequest(o: { method?: string; target: string; headers: Array<[string, string | Buffer]>; body?: Buffer; version?: string }): Buffer {
  const head: Buffer[] = [Buffer.from(`${o.method ?? 'POST'} ${o.target} ${o.version ?? 'HTTP/1.1'}\r\nHost: 127.0.0.1\r\nConnection: close\r\n`, 'latin1')];
  for (const [name, value] of o.headers) head.push(Buffer.from(`${name}: `, 'latin1'), typeof value === 'string' ? Buffer.from(value, 'latin1') : value, Buffer.from('\r\n'));
  head.push(Buffer.from('\r\n'));
  return Buffer.concat([...head, o.body ?? Buffer.alloc(0)]);
}

/** `body` as a chunked transfer coding in pieces of `size` bytes. */
export function chunked(body: Buffer, size: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const piece = body.subarray(i, i + size);
    out.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  out.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(out);
}
