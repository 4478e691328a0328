// Header readers shared by the simulator's Anthropic and OpenAI endpoints.
import type { IncomingMessage } from 'node:http';

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

export function intHeader(req: IncomingMessage, name: string): number | undefined {
  const value = headerValue(req, name);
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** The key from x-api-key, or from Authorization: Bearer (protocols.md 1.1). */
export function apiKeyOf(req: IncomingMessage): string | undefined {
  const key = headerValue(req, 'x-api-key');
  if (key !== undefined) return key;
  const match = /^Bearer\s+(\S.*)$/i.exec(headerValue(req, 'authorization') ?? '');
  return match?.[1]?.trim();
}
