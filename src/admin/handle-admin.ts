/** Admin API (/admin/api/*), dashboard (/dashboard) and metrics (/metrics). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Deps } from '../handle-request.ts';

const ADMIN_PREFIXES = ['/admin/', '/dashboard', '/metrics'];

export function isAdminPath(path: string): boolean {
  return ADMIN_PREFIXES.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`) || path === p.replace(/\/$/, ''));
}

/** Answers an admin-side request. */
export async function handleAdmin(req: IncomingMessage, res: ServerResponse, deps: Deps, url: URL): Promise<void> {
  if (url.pathname === '/metrics' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(deps.metrics.render());
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message: `No admin route ${req.method} ${url.pathname}`, type: 'not_found_error' } }));
}
