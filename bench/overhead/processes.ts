/** The processes of the benchmark: the mock upstream, nginx, Synrouter, and wrk runs. */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { childPids } from './proc.ts';

export const ROOT = new URL('../../', import.meta.url).pathname;
const HERE = new URL('./', import.meta.url).pathname;

export interface Proc { child: ChildProcess; pid: number; stderr: () => string; stop(): Promise<void> }

function track(child: ChildProcess): Proc {
  let err = '';
  child.stderr?.on('data', (c: Buffer) => { err += c.toString(); if (err.length > 100_000) err = err.slice(-50_000); });
  const exited = once(child, 'exit');
  return {
    child, pid: child.pid!, stderr: () => err,
    stop: () => stopChild(child, exited),
  };
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited (`exited`: its 'exit' event). */
export async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

/** Resolves with the first stdout/stderr line matching `re`, or rejects when the process exits first. */
function waitForLine(child: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString();
      const m = re.exec(buf);
      if (m) { cleanup(); resolve(m); }
    };
    const onExit = (code: number | null) => { cleanup(); reject(new Error(`process exited (${code}) before printing ${re}: ${buf.slice(-2000)}`)); };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${re}: ${buf.slice(-2000)}`)); }, timeoutMs);
    const cleanup = () => { child[stream]!.off('data', onData); child.off('exit', onExit); clearTimeout(timer); };
    child[stream]!.on('data', onData);
    child.once('exit', onExit);
  });
}

export async function startUpstream(): Promise<Proc & { url: string; jsonBytes: number }> {
  const child = spawn(process.execPath, [join(HERE, 'upstream.ts')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p = track(child);
  const m = await waitForLine(child, 'stdout', /\{"port":(\d+),"jsonBytes":(\d+)/);
  return { ...p, url: `http://127.0.0.1:${m[1]}`, jsonBytes: Number(m[2]) };
}

export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listening on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** The reference Node pass-through (floor-proxy.ts) in front of the upstream. */
export async function startFloor(upstreamUrl: string): Promise<Proc & { url: string }> {
  const child = spawn(process.execPath, [join(HERE, 'floor-proxy.ts'), upstreamUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p = track(child);
  const m = await waitForLine(child, 'stdout', /\{"port":(\d+)/);
  return { ...p, url: `http://127.0.0.1:${m[1]}` };
}

export type NginxProc = Proc & { url: string; workerPid: () => number | undefined; version: string };

/** nginx pass-through, 1 worker, upstream keepalive, proxy_buffering off (runtime.md §5 (e)). */
export async function startNginx(dir: string, upstreamPort: number): Promise<NginxProc> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = nginxConf(dir, `
  upstream up { server 127.0.0.1:${upstreamPort}; keepalive 128; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 64m;
    client_body_buffer_size 2m;
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 600s;
    }
  }
`);
  return await runNginx(dir, conf, port);
}

/** An nginx.conf for a benchmark: one worker in the foreground, its files in `dir`, and `http`'s own lines. */
export function nginxConf(dir: string, http: string): string {
  return `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
${http}}
`;
}

/** Runs nginx in the foreground from `conf` (written to dir/nginx.conf), listening on `port`. */
export async function runNginx(dir: string, conf: string, port: number): Promise<NginxProc> {
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const p = track(child);
  await waitForPort(port);
  const version = spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim().replace(/^nginx version: nginx\//, '');
  return { ...p, url: `http://127.0.0.1:${port}`, workerPid: () => childPids(child.pid!)[0], version };
}

export interface SynrouterProc extends Proc { url: string; key: string; dbPath: string }

/**
 * A real Synrouter as a child process (`synrouter serve`) with its own SQLite file, Anthropic routed
 * to the mock upstream, and a coding-mode client key made by `synrouter keys create`. With
 * SYNROUTER_DATABASE_URL in `env` the store is that PostgreSQL database instead; `key`: a key already
 * in that store (another instance on the same database made it), so none is created; `root`: another
 * checkout of Synrouter to run (the benchmark's before/after row).
 */
export async function startSynrouter(opts: { dir: string; upstreamUrl: string; nodeArgs?: string[]; configFile?: string; env?: Record<string, string>; key?: string; root?: string }): Promise<SynrouterProc> {
  mkdirSync(opts.dir, { recursive: true });
  const dbPath = join(opts.dir, 'synrouter.db');
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYNROUTER_') && !k.startsWith('OTEL_')) env[k] = v;
  Object.assign(env, { SYNROUTER_ANTHROPIC_BASE_URL: opts.upstreamUrl, SYNROUTER_ANTHROPIC_API_KEY: 'sk-ant-bench-upstream-key', ...(opts.configFile ? { SYNROUTER_CONFIG: opts.configFile } : {}), ...opts.env });
  const main = join(opts.root ?? ROOT, 'src/cli/main.ts');
  let key = opts.key;
  if (!key) {
    const out = execFileSync(process.execPath, [main, 'keys', 'create', '--name', 'bench', '--mode', 'coding', '--db', dbPath], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    key = out.trim().split('\n').at(-1)!.trim();
    if (!key.startsWith('sk-sr-')) throw new Error(`keys create printed no key: ${out}`);
  }
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), main, 'serve', '--port', '0', '--host', '127.0.0.1', '--db', dbPath], { env, cwd: opts.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const p = track(child);
  child.stdout!.resume();
  const m = await waitForLine(child, 'stderr', /listening on (http:\/\/[\d.]+:\d+)/);
  return { ...p, url: m[1]!, key, dbPath };
}

export interface WrkResult {
  requests: number; duration_us: number; bytes: number; p50_us: number; p90_us: number; p99_us: number; mean_us: number; max_us: number;
  err_connect: number; err_read: number; err_write: number; err_status: number; err_timeout: number;
  rps: number;
}

/**
 * `bodyFiles`: the requests of one conversation, sent in turn (wrk-post.lua); `sessions` (default 1):
 * that many sessions replay it, interleaved, each with its own session header.
 */
export async function runWrk(opts: { url: string; connections: number; seconds: number; bodyFiles: string[]; headers: Record<string, string>; sessions?: number }): Promise<WrkResult> {
  const env = { ...process.env, BENCH_BODIES: opts.bodyFiles.join('\n'), BENCH_HEADERS: Object.entries(opts.headers).map(([k, v]) => `${k}: ${v}`).join('\n'), BENCH_SESSIONS: String(opts.sessions ?? 1) };
  const child = spawn('wrk', ['-t1', `-c${opts.connections}`, `-d${opts.seconds}s`, '--timeout', '10s', '-s', join(HERE, 'wrk-post.lua'), opts.url], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  const [code] = await once(child, 'exit') as [number | null];
  const m = /BENCHJSON (\{.*\})/.exec(out);
  if (code !== 0 || !m) throw new Error(`wrk failed (${code}): ${out.slice(-2000)}`);
  const r = JSON.parse(m[1]!) as Omit<WrkResult, 'rps'>;
  return { ...r, rps: r.requests / (r.duration_us / 1e6) };
}
