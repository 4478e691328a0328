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
    res.destroy(err);
    return;
  }
  sendJson(res, err.status, renderError(protocol, err, requestId), { 'request-id': requestId, ...headers });
}
