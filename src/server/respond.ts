/** Small response writers shared by the handlers. */
import type { ServerResponse } from 'node:http';
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
  sendJson(res, err.status, renderError(protocol, err, requestId), { 'request-id': requestId, 'x-should-retry': String(retry), ...err.headers, ...headers });
}
