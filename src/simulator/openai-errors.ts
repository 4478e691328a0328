// OpenAI error bodies (protocols.md 4.5): {"error":{"message","type","param","code"}}, the shape the
// openai SDK turns into typed APIError subclasses. Used by both OpenAI-compatible endpoints.

import type { ServerResponse } from 'node:http';

export interface OpenAIErrorInfo {
  status: number;
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** A 400 invalid_request_error. */
export function invalidRequest(message: string, param: string | null = null, code: string | null = null): OpenAIErrorInfo {
  return { status: 400, message, type: 'invalid_request_error', param, code };
}

/** The error an upstream answers with for a status (x-sim-fault: status:<code>). */
export function errorForStatus(status: number): OpenAIErrorInfo {
  const e = (message: string, type: string, code: string | null = null): OpenAIErrorInfo => ({ status, message, type, param: null, code });
  switch (status) {
    case 400:
      return e('Invalid request', 'invalid_request_error');
    case 401:
      return e('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
    case 402:
      return e('Insufficient credits.', 'insufficient_quota', 'insufficient_quota');
    case 403:
      return e('You are not allowed to access this resource.', 'permission_error', 'unsupported_country_region_territory');
    case 404:
      return e('The requested resource does not exist.', 'invalid_request_error', 'not_found');
    case 408:
      return e('Request timed out.', 'timeout', 'timeout');
    case 409:
      return e('Conflict.', 'invalid_request_error', 'conflict');
    case 413:
      return e('Request too large.', 'invalid_request_error', 'request_too_large');
    case 422:
      return e('Unprocessable request.', 'invalid_request_error');
    case 429:
      return e('Rate limit reached for requests. Please try again in 1s.', 'requests', 'rate_limit_exceeded');
    case 503:
      return e('The engine is currently overloaded, please try again later.', 'server_error', 'server_is_overloaded');
    default:
      return status >= 500
        ? e('The server had an error while processing your request. Sorry about that!', 'server_error', 'server_error')
        : e('Error', 'invalid_request_error');
  }
}

export function openAIErrorBody(error: OpenAIErrorInfo): { error: Omit<OpenAIErrorInfo, 'status'> } {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

export function sendOpenAIJson(res: ServerResponse, status: number, body: unknown, requestId: string, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': requestId,
    ...headers,
  });
  res.end(text);
}

export function sendOpenAIError(res: ServerResponse, error: OpenAIErrorInfo, requestId: string): void {
  // The openai SDK honours retry-after and x-should-retry.
  const headers: Record<string, string> = error.status === 429 || error.status === 503 ? { 'retry-after': '1' } : {};
  headers['x-should-retry'] = error.status === 408 || error.status === 409 || error.status === 429 || error.status >= 500 ? 'true' : 'false';
  sendOpenAIJson(res, error.status, openAIErrorBody(error), requestId, headers);
}
