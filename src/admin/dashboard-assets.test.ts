/**
 * The dashboard's allow-list: it names exactly the page's files, every module imports only listed
 * files, and a request path reaches a file only by being its listed path (no `..`, no encoded
 * slash, no other name). Requests go through a real socket to the real routing (requestUrl, then
 * handleAdmin, as handle-request.ts does), sent as written: node:http does not normalise a path.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { posix } from 'node:path';
import type { Deps } from '../deps.ts';
import { requestUrl } from '../server/request-url.ts';
import { DASHBOARD_FILES, contentType } from './dashboard-assets.ts';
import { handleAdmin, isAdminPath } from './handle-admin.ts';

const DIR = new URL('./dashboard/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, DIR), 'utf8');

test('the allow-list names every file of the folder but the tests, and nothing else', () => {
  const files = readdirSync(DIR, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !/\.test\.ts$/.test(e.name))
    .map((e) => posix.join(posix.relative(DIR.pathname, `${e.parentPath}/`), e.name));
  assert.deepEqual([...DASHBOARD_FILES].sort(), files.sort());
});

test('every module imports only listed files, by relative path (a browser cannot import a Node module)', () => {
  const listed = new Set<string>(DASHBOARD_FILES);
  for (const file of DASHBOARD_FILES.filter((f) => f.endsWith('.js'))) {
    const src = read(file);
    assert.match(src, /^\/\/ @ts-check\n/, `${file} is type-checked by tsc`);
    for (const [, spec] of src.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+'([^']+)'/gm)) {
      assert.ok(spec!.startsWith('./') || spec!.startsWith('../'), `${file} imports ${spec}`);
      const target = posix.normalize(posix.join(posix.dirname(file), spec!));
      assert.ok(listed.has(target), `${file} imports ${spec}, which is not served`);
    }
  }
  assert.match(read('index.html'), /<script type="module" src="\/dashboard\/app\.js"><\/script>/);
});

let server: Server;
let port: number;

before(async () => {
  // The dashboard's routes read nothing from Deps.
  const deps = {} as Deps;
  server = createServer((req, res) => {
    const url = requestUrl(req.url);
    if (isAdminPath(url.pathname)) void handleAdmin(req, res, deps, url);
    else res.writeHead(404, { 'x-not-admin': '1' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function get(path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

test('each listed file is served at /dashboard/<file> with its type, the strict CSP and no-cache; the page also at /dashboard', async () => {
  for (const [path, file] of [['/dashboard', 'index.html'], ['/dashboard/', 'index.html'], ...DASHBOARD_FILES.filter((f) => f !== 'index.html').map((f) => [`/dashboard/${f}`, f])] as const) {
    const r = await get(path);
    assert.equal(r.status, 200, path);
    assert.equal(r.body, read(file), path);
    assert.equal(r.headers['content-type'], contentType(file), path);
    assert.equal(r.headers['content-security-policy'], CSP, path);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
    assert.equal(r.headers['cache-control'], 'no-cache', path);
  }
  assert.equal(contentType('views/keys.js'), 'text/javascript; charset=utf-8');
  assert.equal(contentType('style.css'), 'text/css; charset=utf-8');
  assert.equal((await get('/dashboard/app.js', 'HEAD')).status, 200);
  assert.equal((await get('/dashboard/app.js', 'POST')).status, 405);
});

test('dot segments, encoded slashes and dots, other names and the folder\'s other files are 404', async () => {
  const secrets = [readFileSync(new URL('../../package.json', import.meta.url), 'utf8'), readFileSync(new URL('./dashboard-assets.ts', import.meta.url), 'utf8')];
  for (const path of [
    '/dashboard/nope.js', '/dashboard/index.html', '/dashboard/APP.JS', '/dashboard/app.js/', '/dashboard//app.js', '/dashboard/app', '/dashboard/views',
    '/dashboard/views/', '/dashboard/format.test.ts', '/dashboard/escape-controls.test.ts', '/dashboard/app.js%00', '/dashboard/app%2ejs',
    '/dashboard/views%2foverview.js', '/dashboard/views%2Foverview.js', '/dashboard/views%5coverview.js',
    '/dashboard/..%2fdashboard-assets.ts', '/dashboard/..%2f..%2f..%2fpackage.json', '/dashboard/%2e%2e%2fdashboard-assets.ts',
    '/dashboard/../dashboard-assets.ts', '/dashboard/../../../package.json', '/dashboard/%2e%2e/%2e%2e/%2e%2e/package.json', '/dashboard/.%2e/handle-admin.ts',
  ]) {
    const r = await get(path);
    assert.equal(r.status, 404, path);
    assert.ok(!secrets.includes(r.body) && !DASHBOARD_FILES.some((f) => r.body === read(f)), `${path} answered a file`);
  }
  // What the URL parser turns into a listed path is that file: a dot segment that stays inside the
  // page, a backslash (a slash in an http URL).
  assert.equal((await get('/dashboard/views/../app.js')).body, read('app.js'));
  assert.equal((await get('/dashboard/views\\overview.js')).body, read('views/overview.js'));
});
