/**
 * The admin side: the admin API (/admin/api/*, JSON behind an admin key), the dashboard
 * (/dashboard: a static page that logs in with the admin key and calls the API) and GET /metrics.
 * Routed here by handleRequest before client auth.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Deps } from '../deps.ts';
import { authenticate } from '../auth/authenticate.ts';
import { AdminError } from '../errors.ts';
import { sendAdminError } from './admin-http.ts';
import { matchApiRoute } from './api-routes.ts';
import { serveDashboard } from './dashboard-assets.ts';

const ADMIN_PREFIXES = ['/admin/', '/dashboard', '/metrics'];

export function isAdminPath(path: string): boolean {
  return ADMIN_PREFIXES.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`) || path === p.replace(/\/$/, ''));
}

/** Answers an admin-side request. */
export async function handleAdmin(req: IncomingMessage, res: ServerResponse, deps: Deps, url: URL): Promise<void> {
  const method = req.method ?? 'GET';
  try {
    if (url.pathname === '/metrics') {
      // Token counts and spend per model are the operator's business: a Prometheus scrape sends the
      // admin key as `authorization: Bearer` (scrape_config `authorization.credentials`).
      await authenticate(req.headers, deps.keys, { admin: true });
      if (method !== 'GET' && method !== 'HEAD') throw new AdminError(405, 'method_not_allowed', `${method} is not allowed on /metrics; use GET.`, { allow: 'GET, HEAD' });
      const body = deps.metrics.render();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    if (url.pathname === '/dashboard' || url.pathname.startsWith('/dashboard/')) {
      if (method !== 'GET' && method !== 'HEAD') throw new AdminError(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}; use GET.`, { allow: 'GET, HEAD' });
      if (!serveDashboard(url.pathname, res)) throw new AdminError(404, 'not_found', `No dashboard file ${url.pathname}.`);
      return;
    }
    const match = url.pathname.startsWith('/admin/api/') ? matchApiRoute(method, url.pathname) : undefined;
    if (!match) throw new AdminError(404, 'not_found', `No admin route ${method} ${url.pathname}. The admin API is under /admin/api/ (keys, sessions, totals, overview); the dashboard is at /dashboard.`);
    // Authenticate before saying anything about methods: the API's shape is for admins only.
    const admin = await authenticate(req.headers, deps.keys, { admin: true });
    if ('allow' in match) throw new AdminError(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}; use ${match.allow.join(', ')}.`, { allow: match.allow.join(', ') });
    // Rows still queued in the ledger's batch belong in every answer.
    await deps.ledger.flush();
    await match.route.handler({ req, res, deps, url, params: match.params, q: deps.store.queries, admin });
  } catch (err) {
    sendAdminError(res, err);
  }
}
