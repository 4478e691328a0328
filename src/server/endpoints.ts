/** (method, path) -> endpoint, or the 404/405 to answer in the caller's protocol. */
import type { ClientProtocol } from '../errors.ts';

export type Operation = 'messages' | 'count_tokens' | 'chat' | 'responses' | 'models' | 'health' | 'ready';

export interface Endpoint { method: 'GET' | 'POST' | 'HEAD'; path: string; protocol: ClientProtocol; op: Operation }

export const ENDPOINTS: readonly Endpoint[] = [
  { method: 'POST', path: '/api/anthropic/v1/messages', protocol: 'anthropic', op: 'messages' },
  { method: 'POST', path: '/api/anthropic/v1/messages/count_tokens', protocol: 'anthropic', op: 'count_tokens' },
  { method: 'GET', path: '/api/anthropic/v1/models', protocol: 'anthropic', op: 'models' },
  // OpenRouter-style: Anthropic-format calls at the OpenAI-compatible base too (DESIGN.md §2).
  { method: 'POST', path: '/api/v1/messages', protocol: 'anthropic', op: 'messages' },
  { method: 'POST', path: '/api/v1/messages/count_tokens', protocol: 'anthropic', op: 'count_tokens' },
  { method: 'POST', path: '/api/v1/chat/completions', protocol: 'openai', op: 'chat' },
  { method: 'POST', path: '/api/v1/responses', protocol: 'openai', op: 'responses' },
  { method: 'GET', path: '/api/v1/models', protocol: 'openai', op: 'models' },
  { method: 'GET', path: '/health', protocol: 'anthropic', op: 'health' },
  // For load balancers: 200 when the store answers at this version's schema, else 503 (the process may be alive but cannot serve).
  { method: 'GET', path: '/ready', protocol: 'anthropic', op: 'ready' },
];

/** Claude Code preconnects with an unauthenticated HEAD to its base URL (clients.md). */
const HEAD_OK = new Set(['/', '/health', '/api/anthropic', '/api/v1']);

export type Match = { endpoint: Endpoint } | { status: 404 | 405; protocol: ClientProtocol; allow?: string };

/** The protocol to answer in when nothing matched: the one the path prefix belongs to. */
export function protocolOfPath(path: string): ClientProtocol {
  if (path.startsWith('/api/v1/') && !path.startsWith('/api/v1/messages')) return 'openai';
  return path === '/api/v1' ? 'openai' : 'anthropic';
}

export function matchEndpoint(method: string, rawPath: string): Match {
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
  if (method === 'HEAD' && HEAD_OK.has(path)) return { endpoint: { method: 'HEAD', path, protocol: 'anthropic', op: 'health' } };
  // Loops, not callbacks made per request (json/scan-json.ts, Scanner, on closures).
  const same: Endpoint[] = [];
  for (const e of ENDPOINTS) if (e.path === path) same.push(e);
  for (const e of same) if (e.method === method || (method === 'HEAD' && e.method === 'GET')) return { endpoint: e };
  if (same.length) return { status: 405, protocol: same[0]!.protocol, allow: [...new Set(same.map((e) => e.method))].join(', ') };
  return { status: 404, protocol: protocolOfPath(path) };
}
