/**
 * The agent's own session id, when it sends one (clients.md "Session keys a proxy can use"):
 * Claude Code's X-Claude-Code-Session-Id header or the session_id inside its metadata.user_id JSON
 * string; Codex's session-id header or its prompt_cache_key (the thread id); Kilo's x-session-id /
 * x-session-affinity.
 */
import type { IncomingHttpHeaders } from 'node:http';

const HEADERS = ['x-claude-code-session-id', 'session-id', 'x-session-id', 'x-session-affinity'] as const;

export function clientSessionId(headers: IncomingHttpHeaders, body: { metadata?: { user_id?: unknown }; prompt_cache_key?: unknown }): string | null {
  for (const h of HEADERS) {
    const v = headers[h];
    if (typeof v === 'string' && v.trim()) return v.trim().slice(0, 256);
  }
  if (typeof body.prompt_cache_key === 'string' && body.prompt_cache_key) return body.prompt_cache_key.slice(0, 256);
  const userId = body.metadata?.user_id;
  if (typeof userId === 'string' && userId.startsWith('{')) {
    try {
      const parsed = JSON.parse(userId) as { session_id?: unknown };
      if (typeof parsed.session_id === 'string' && parsed.session_id) return parsed.session_id.slice(0, 256);
    } catch {
      // not Claude Code's JSON form: no session id in it
    }
  }
  return null;
}

/**
 * Which earlier body a request body most likely repeats, before it is parsed: the key and the
 * session id the agent sends in a header (json/recent-bodies.ts). Agents without one share a slot
 * per key; a wrong guess costs only a full parse.
 */
export function bodySlot(keyId: string, headers: IncomingHttpHeaders): string {
  return `${keyId}\u0000${clientSessionId(headers, {}) ?? ''}`;
}
