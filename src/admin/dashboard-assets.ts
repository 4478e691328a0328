/**
 * The dashboard's files (src/admin/dashboard/): one HTML page, one stylesheet and the ES modules it
 * imports, served as they are (no build step) and read once. Only the files listed here are served,
 * each at exactly one path: a request path is looked up, never joined to a folder, so `..`, encoded
 * slashes and unknown names find nothing (and 404). Served with a Content-Security-Policy that
 * allows nothing but this origin: the page loads no external resource, runs no inline script, and
 * works offline.
 */
import type { ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';

/** Every file of the page; dashboard-assets.test.ts checks this against the folder. */
export const DASHBOARD_FILES = [
  'index.html', 'style.css',
  'app.js', 'router.js', 'api.js', 'dom.js', 'escape-controls.js', 'format.js', 'figures.js', 'sessions-table.js',
  'views/login.js', 'views/overview.js', 'views/sessions.js', 'views/session.js', 'views/keys.js',
  'charts/palette.js', 'charts/hit-rate-chart.js', 'charts/token-bars.js',
] as const;

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  // A module script must come with a JavaScript MIME type or the browser refuses it.
  js: 'text/javascript; charset=utf-8',
};

/** The content type of a listed file, by its extension. */
export function contentType(file: string): string {
  const type = TYPES[file.slice(file.lastIndexOf('.') + 1)];
  if (!type) throw new Error(`No content type for dashboard file ${file}.`);
  return type;
}

/** Request path -> file: the page at /dashboard and /dashboard/, every other file at /dashboard/<file>. */
const PATHS = new Map<string, string>([
  ['/dashboard', 'index.html'],
  ['/dashboard/', 'index.html'],
  ...DASHBOARD_FILES.filter((f) => f !== 'index.html').map((f): [string, string] => [`/dashboard/${f}`, f]),
]);

const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'",
].join('; ');

const cache = new Map<string, Buffer>();

/** Writes the dashboard file for `path`; false when there is none. */
export function serveDashboard(path: string, res: ServerResponse): boolean {
  const file = PATHS.get(path);
  if (!file) return false;
  let body = cache.get(file);
  if (!body) cache.set(file, (body = readFileSync(new URL(`./dashboard/${file}`, import.meta.url))));
  res.writeHead(200, {
    'content-type': contentType(file), 'content-length': body.length, 'cache-control': 'no-cache',
    'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY',
  });
  res.end(body);
  return true;
}
