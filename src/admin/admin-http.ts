/** Small HTTP helpers of the admin side: JSON errors `{error: {message, type, code}}`, JSON bodies, query parameters. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AdminError, anthropicErrorType, ProxyError, type AdminErrorCode, type ErrorCode } from '../errors.ts';
import { readBody } from '../server/read-body.ts';

const NO_STORE = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

export function sendAdminJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data), ...NO_STORE });
  res.end(data);
}

export function sendAdminError(res: ServerResponse, err: unknown): void {
  const e = err instanceof AdminError ? err
    : err instanceof ProxyError ? new AdminError(err.status, err.code.toLowerCase() as Lowercase<ErrorCode>, err.message, err.status === 401 ? { 'www-authenticate': 'Bearer realm="synrouter-admin"' } : {})
    : new AdminError(500, 'internal', 'Synrouter hit an internal error answering this admin request.');
  if (e.status === 500) console.error('[synrouter] admin error:', err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const data = JSON.stringify({ error: { message: e.message, type: anthropicErrorType(e.status), code: e.code } });
  res.writeHead(e.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data), ...NO_STORE, ...e.headers });
  res.end(data);
}

const BODY_LIMIT = 64 * 1024;

/** The request body as a JSON object, or a 400. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readBody(req, BODY_LIMIT);
  if (raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new AdminError(400, 'body_not_json', 'The request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AdminError(400, 'body_invalid', 'The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

export function badRequest(message: string, code: AdminErrorCode = 'invalid_request'): AdminError {
  return new AdminError(400, code, message);
}

/** An integer query parameter within bounds, or undefined when absent. */
export function intParam(params: URLSearchParams, name: string, lo: number, hi: number): number | undefined {
  const v = params.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw badRequest(`${name} must be an integer from ${lo} to ${hi}.`);
  return n;
}

export function oneOf<T extends string>(params: URLSearchParams, name: string, allowed: readonly T[], dflt: T): T {
  const v = params.get(name);
  if (v === null || v === '') return dflt;
  if (!(allowed as readonly string[]).includes(v)) throw badRequest(`${name} must be one of: ${allowed.join(', ')}.`);
  return v as T;
}
