/**
 * deploy/nginx.conf, run as shipped in front of two tiny node:http backends: only the upstream
 * `server` addresses and the `listen` port are replaced (plus temp paths and the pid file, which are
 * not behaviour). Shows that
 * - requests with the same session header go to the same backend, with the headers' precedence
 *   X-Claude-Code-Session-Id > session-id > x-session-id, and sessions spread over both backends;
 * - requests without any session header spread over both backends (the $request_id fallback);
 * - a server-sent-events response passes through chunk by chunk (the first chunk reaches the client
 *   while the backend still holds the stream open), and a request body reaches the backend before the
 *   client has finished sending it (no buffering in either direction);
 * - a POST that reached a backend which then fails is answered 502, never sent to the other backend;
 *   a backend that refuses connections is skipped (the request goes to the other one).
 * Skips when there is no nginx binary (Debian: apt-get install nginx-light; .ci/run installs it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

const SHIPPED = new URL('../deploy/nginx.conf', import.meta.url);

function findNginx(): string | undefined {
  for (const p of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx', '/usr/bin/nginx']) if (existsSync(p)) return p;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined;
}
const NGINX = findNginx();

interface Backend {
  name: string;
  server: Server;
  port: number;
  /** Requests seen, by path. */
  hits: Map<string, number>;
  /** Resolves the stream that /sse holds open. */
  endStream?: () => void;
  /** Called when /upload's first body chunk arrives. */
  onUploadChunk?: () => void;
}

function startBackend(name: string): Promise<Backend> {
  const b: Backend = { name, server: undefined as unknown as Server, port: 0, hits: new Map() };
  b.server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    b.hits.set(path, (b.hits.get(path) ?? 0) + 1);
    if (path === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('event: message_start\ndata: {"n":1}\n\n');
      b.endStream = () => res.end('event: message_stop\ndata: {"n":2}\n\n');
      return;
    }
    if (path === '/upload') {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        if (bytes === 0) b.onUploadChunk?.();
        bytes += chunk.length;
      });
      req.on('end', () => res.end(JSON.stringify({ backend: name, bytes })));
      return;
    }
    if (path === '/reset') {
      // Reached the instance, then the instance dies: nginx must not send it to the other one.
      req.resume();
      req.on('end', () => req.socket.destroy());
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ backend: name }));
    });
  });
  return new Promise((resolve) => b.server.listen(0, '127.0.0.1', () => { b.port = (b.server.address() as AddressInfo).port; resolve(b); }));
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The shipped configuration with only the addresses (and, for a non-packaged run, paths) changed. */
function deriveConfig(shipped: string, upstreams: [string, string], listen: string, dir: string): string {
  const serverLines = [...shipped.matchAll(/^(\s*server\s+)127\.0\.0\.1:\d+/gm)];
  assert.equal(serverLines.length, 2, 'deploy/nginx.conf: two placeholder `server 127.0.0.1:PORT ...;` lines in the upstream block');
  let out = shipped;
  serverLines.forEach((m, i) => { out = out.replace(m[0], `${m[1]}${upstreams[i]}`); });
  const listens = [...out.matchAll(/^(\s*)listen\s+8787;/gm)];
  assert.equal(listens.length, 1, 'deploy/nginx.conf: one `listen 8787;`');
  out = out.replace(listens[0]![0], `${listens[0]![1]}listen ${listen};`);
  // Temp directories: nginx creates them at start; the packaged ones (/var/lib/nginx) need root.
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => {
    const d = join(dir, `${t}_temp`);
    mkdirSync(d, { recursive: true });
    chmodSync(d, 0o777);
    return `  ${t}_temp_path ${d};`;
  });
  assert.match(out, /^http \{$/m);
  return out.replace(/^http \{$/m, `http {\n${temps.join('\n')}`);
}

interface Reply { status: number; body: string; headers: IncomingMessage['headers'] }

function send(port: number, opts: { path?: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: opts.path ?? '/v1/messages', method: opts.method ?? 'POST', headers: { 'content-type': 'application/json', ...opts.headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body ?? '{"model":"claude-sonnet-4-6","max_tokens":1,"messages":[]}');
  });
}

async function backendOf(port: number, headers: Record<string, string>): Promise<string> {
  const r = await send(port, { headers });
  assert.equal(r.status, 200, r.body);
  return (JSON.parse(r.body) as { backend: string }).backend;
}

function startNginx(conf: string, dir: string): ChildProcess {
  return spawn(NGINX!, ['-c', conf, '-p', dir, '-e', join(dir, 'error.log'), '-g', `pid ${join(dir, 'nginx.pid')}; daemon off;`], { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function waitForPort(port: number, child: ChildProcess, dir: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    try {
      await send(port, { path: '/health', method: 'GET', body: '' });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error('nginx did not start listening within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

test('deploy/nginx.conf: sticky by session header, spread without one, streams unbuffered, no POST retried', { skip: NGINX ? false : 'no nginx binary found (Debian: apt-get install -y --no-install-recommends nginx-light)', timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'synrouter-nginx-'));
  chmodSync(dir, 0o755);
  const a = await startBackend('a');
  const b = await startBackend('b');
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, deriveConfig(readFileSync(SHIPPED, 'utf8'), [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`], `127.0.0.1:${port}`, dir));
  let nginx: ChildProcess | undefined;
  t.after(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx!.once('exit', r));
      nginx.kill('SIGTERM');
      await exited;
    }
    a.server.closeAllConnections();
    b.server.closeAllConnections();
    a.server.close();
    b.server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const check = spawnSync(NGINX!, ['-t', '-c', conf, '-p', dir, '-e', join(dir, 'error.log'), '-g', `pid ${join(dir, 'nginx.pid')};`], { encoding: 'utf8' });
  assert.equal(check.status, 0, `nginx -t: ${check.stderr}`);
  nginx = startNginx(conf, dir);
  let nginxErr = '';
  nginx.stderr!.on('data', (c: Buffer) => { nginxErr += c.toString(); });
  await waitForPort(port, nginx, dir);

  await t.test('same X-Claude-Code-Session-Id, same backend; sessions spread over both', async () => {
    const where = new Map<string, string>();
    for (let i = 0; i < 24; i++) {
      const id = `0b9c5d3e-${i.toString().padStart(4, '0')}-4a1f-9c1e-claude-code-session`;
      const first = await backendOf(port, { 'x-claude-code-session-id': id });
      for (let k = 0; k < 4; k++) assert.equal(await backendOf(port, { 'x-claude-code-session-id': id }), first, `session ${id}`);
      where.set(id, first);
    }
    const used = new Set(where.values());
    assert.deepEqual([...used].sort(), ['a', 'b'], 'the 24 sessions all went to one backend');
  });

  await t.test('Codex session-id and x-session-id are sticky too; precedence Claude Code > session-id > x-session-id', async () => {
    // Two ids that hash to different backends.
    const ids: Record<string, string> = {};
    for (let i = 0; !(ids.a && ids.b) && i < 200; i++) {
      const id = `019a${i.toString(16).padStart(4, '0')}-7c3e-7000-8000-codexthread`;
      ids[await backendOf(port, { 'x-claude-code-session-id': id })] ??= id;
    }
    assert.ok(ids.a && ids.b, 'found ids hashing to each backend');
    for (const [backend, id] of Object.entries(ids)) {
      for (let k = 0; k < 3; k++) {
        assert.equal(await backendOf(port, { 'session-id': id }), backend, 'session-id alone hashes like the same value in X-Claude-Code-Session-Id');
        assert.equal(await backendOf(port, { 'x-session-id': id }), backend, 'x-session-id alone');
      }
    }
    assert.equal(await backendOf(port, { 'x-claude-code-session-id': ids.a!, 'session-id': ids.b!, 'x-session-id': ids.b! }), 'a');
    assert.equal(await backendOf(port, { 'x-claude-code-session-id': ids.b!, 'session-id': ids.a!, 'x-session-id': ids.a! }), 'b');
    assert.equal(await backendOf(port, { 'session-id': ids.a!, 'x-session-id': ids.b! }), 'a');
    assert.equal(await backendOf(port, { 'session-id': ids.b!, 'x-session-id': ids.a! }), 'b');
    // An empty header counts as absent.
    assert.equal(await backendOf(port, { 'x-claude-code-session-id': '', 'session-id': ids.b! }), 'b');
  });

  await t.test('no session header: requests spread over both backends', async () => {
    const counts = { a: 0, b: 0 } as Record<string, number>;
    for (let i = 0; i < 40; i++) counts[await backendOf(port, {})]! += 1;
    assert.ok(counts.a! > 0 && counts.b! > 0, `40 header-less requests: ${JSON.stringify(counts)}`);
    t.diagnostic(`40 requests without a session header: a=${counts.a} b=${counts.b}`);
  });

  await t.test('server-sent events pass through chunk by chunk', async () => {
    const [first, rest] = await new Promise<[string, Promise<string>]>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/sse', method: 'POST', headers: { 'content-type': 'application/json', 'x-claude-code-session-id': 'sse-session' }, agent: false }, (res) => {
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['content-type'], 'text/event-stream');
        res.setEncoding('utf8');
        let all = '';
        const ended = new Promise<string>((r) => res.on('end', () => r(all)));
        res.once('data', (c: string) => {
          all += c;
          res.on('data', (more: string) => { all += more; });
          resolve([c, ended]);
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end('{"stream":true}');
    });
    // The backend has not ended the stream yet: this chunk came through while it was still open.
    const holder = [a, b].find((x) => x.endStream);
    assert.ok(holder, 'a backend holds the stream open');
    assert.match(first, /message_start/);
    assert.doesNotMatch(first, /message_stop/);
    holder.endStream!();
    assert.match(await rest, /message_start[\s\S]*message_stop/);
  });

  await t.test('a request body reaches the backend before the client has sent all of it', async () => {
    let sawChunk!: () => void;
    const chunkArrived = new Promise<void>((r) => { sawChunk = r; });
    a.onUploadChunk = b.onUploadChunk = () => sawChunk();
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/upload', method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'x-claude-code-session-id': 'upload-session' }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { body += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      });
      req.on('error', reject);
      req.write('{"messages":[' + '"x",'.repeat(1000));
      // With request buffering on, this would wait forever (nginx holds the body until it ends).
      const timer = setTimeout(() => reject(new Error('the first body chunk did not reach the backend within 5 s')), 5000);
      void chunkArrived.then(() => { clearTimeout(timer); req.end('"y"]}'); });
    });
    assert.equal(reply.status, 200, reply.body);
    assert.equal((JSON.parse(reply.body) as { bytes: number }).bytes, 13 + 4000 + 5);
  });

  await t.test('a POST that reached a backend is never sent to the other; a refused connection goes to the other', async () => {
    const ids: Record<string, string> = {};
    for (let i = 0; !(ids.a && ids.b) && i < 200; i++) {
      const id = `retry-${i}`;
      ids[await backendOf(port, { 'x-claude-code-session-id': id })] ??= id;
    }
    const r = await send(port, { path: '/reset', headers: { 'x-claude-code-session-id': ids.a! } });
    assert.equal(r.status, 502);
    assert.equal(a.hits.get('/reset'), 1);
    assert.equal(b.hits.get('/reset') ?? 0, 0, 'the POST was sent again to the other backend');

    // Backend b goes away: its sessions are served by a (connection refused before anything was sent).
    await new Promise<void>((r2) => { b.server.close(() => r2()); b.server.closeAllConnections(); });
    await new Promise((r2) => setTimeout(r2, 200)); // nginx drops its idle connections to b
    for (let k = 0; k < 5; k++) assert.equal(await backendOf(port, { 'x-claude-code-session-id': ids.b! }), 'a');
    assert.equal(await backendOf(port, { 'x-claude-code-session-id': ids.a! }), 'a');
  });

  assert.doesNotMatch(nginxErr, /\[emerg\]/);
});
