/**
 * The dashboard's files (src/admin/dashboard/): one HTML page, one script, one stylesheet, read once.
 * Served with a Content-Security-Policy that allows nothing but this origin: the page loads no
 * external resource and works offline.
 */
import type { ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';

const FILES: Record<string, { file: string; type: string }> = {
  '/dashboard': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'",
].join('; ');

const cache = new Map<string, Buffer>();

/** Writes the dashboard file for `path`; false when there is none. */
export function serveDashboard(path: string, res: ServerResponse): boolean {
  const entry = FILES[path];
  if (!entry) return false;
  let body = cache.get(entry.file);
  if (!body) cache.set(entry.file, (body = readFileSync(new URL(`./dashboard/${entry.file}`, import.meta.url))));
  res.writeHead(200, {
    'content-type': entry.type, 'content-length': body.length, 'cache-control': 'no-cache',
    'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY',
  });
  res.end(body);
  return true;
}
