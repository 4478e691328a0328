/** Small response writers shared by the handlers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderError, type ClientProtocol, type ProxyError } from '../errors.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...headers });
  res.end(data);
}

export function sendError(res: ServerResponse, protocol: ClientProtocol, err: ProxyError, requestId: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    // Already answered (e.g. a malformed body answered by the server's clientError handler), or mid-stream.
    if (!res.writableEnded) res.destroy(err);
    return;
  }
  // Claude Code and the SDKs retry errors 10 times unless told not to; a bad key or body never heals.
  const retry = err.status >= 500 || err.status === 408 || err.status === 409 || err.status === 429;
  const unread = !res.req.complete && hasBody(res.req);
  sendJson(res, err.status, renderError(protocol, err, requestId), { 'request-id': requestId, 'x-should-retry': String(retry), ...err.headers, ...headers, ...(unread ? { connection: 'close' } : {}) });
  if (unread) closeAfterAnswer(res);
}

/** A request without a body can be complete only after its handler ran: keep its connection. */
const hasBody = (req: IncomingMessage) => (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;

/** How long a connection closed with its request body unread stays open for the client to read the answer. */
const LINGER_MS = 1000;

/**
 * Answered before the request body was read (a bad key, a limit): Node would read and discard the
 * rest of the body to keep the connection, however large. Stop reading instead, and close once the
 * client has had a moment to read the answer: closing at once, with its unread bytes in the kernel,
 * would send a reset that can destroy the answer in flight (nginx's lingering close, shortened).
 */
function closeAfterAnswer(res: ServerResponse): void {
  const socket = res.req.socket;
  res.once('finish', () => {
    socket.pause();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
}
