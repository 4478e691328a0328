/**
 * `synrouter serve` and `synrouter keys …` as a user runs them: a real process on an empty SQLite file
 * with no provider key, so it serves Claude models from its simulator and shows its first keys once
 * (stdout is a pipe here, as under systemd or a log collector: in a 0600 file, never in the output).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { testStore } from './support/stack.ts';

const sqliteOnly = testStore() === 'postgres' ? 'SQLite only: runs `synrouter serve` and the CLI on a SQLite file of its own (first start on an empty file, its 0600 mode)' : false;

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'synrouter-cli-serve-'));
const dbPath = join(dir, 'synrouter.db');
writeFileSync(dbPath, ''); // an empty file, as `touch` leaves it

/** The environment with no provider key and no config file: only what the test sets. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYNROUTER_')) env[k] = v;
  return { ...env, SYNROUTER_CONFIG: '', ...extra };
}

interface Server { child: ChildProcess; url: string; stdout: () => string; stderr: () => string; stop(): Promise<number | null> }
const running = new Set<Server>();
after(async () => {
  for (const s of running) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `node src/cli/main.ts serve` (SYNROUTER_DB, SYNROUTER_PORT=0) and waits for its listening line. */
async function startServe(): Promise<Server> {
  const child = spawn(process.execPath, [MAIN, 'serve'], { env: cleanEnv({ SYNROUTER_DB: dbPath, SYNROUTER_PORT: '0', SYNROUTER_HOST: '127.0.0.1' }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in time.\nstdout:\n${out}\nstderr:\n${err}`)), 30_000);
    const check = () => {
      const m = /synrouter listening on (http:\/\/\S+)/.exec(err);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    };
    child.stderr!.on('data', check);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}.\nstdout:\n${out}\nstderr:\n${err}`)); });
  });
  const s: Server = {
    child, url, stdout: () => out, stderr: () => err,
    async stop() {
      running.delete(s);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  running.add(s);
  return s;
}

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [MAIN, ...args, '--db', dbPath], { env: cleanEnv() });
}

async function message(url: string, key: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 32, messages: [{ role: 'user', content: 'Say hi.' }] }),
  });
  return { status: res.status, body: await res.json() };
}

const KEY = /sk-sr-[A-Za-z0-9_-]+/g;
let clientKey = '';

test('first start on an empty store, stdout not a terminal: no key in stdout or stderr; they are in a 0600 file next to the database, with the Claude Code and Codex lines; it says it uses the simulator', { skip: sqliteOnly }, async () => {
  const s = await startServe();
  const file = join(dir, 'first-start-keys.txt');
  assert.equal(s.stdout().match(KEY), null, `no key on stdout:\n${s.stdout()}`);
  assert.equal(s.stderr().match(KEY), null, `no key on stderr:\n${s.stderr()}`);
  assert.ok(s.stderr().includes(`\n  ${file}\n`), `the file's path is said on stderr:\n${s.stderr()}`);
  assert.match(s.stderr(), /synrouter keys create --name NAME \[--mode coding\|general\] \[--admin\]/, 'and how operators make more keys');
  assert.equal((statSync(file).mode & 0o777).toString(8), '600');
  const out = readFileSync(file, 'utf8');
  const admin = /^\s*admin key .*:\s+(sk-sr-\S+)$/m.exec(out)?.[1];
  const client = /^\s*client key \(mode: coding\):\s+(sk-sr-\S+)$/m.exec(out)?.[1];
  assert.ok(admin && client, `both keys in the file:\n${out}`);
  assert.notEqual(admin, client);
  assert.deepEqual([...new Set(out.match(KEY))].sort(), [admin, client].sort(), 'no other key is written');
  assert.equal(out.split(admin).length - 1, 1, 'the admin key is written once');
  assert.match(out, /shown only this once/);
  // Claude Code
  assert.ok(out.includes(`export ANTHROPIC_BASE_URL=${s.url}/api/anthropic\n`), out);
  assert.ok(out.includes(`export ANTHROPIC_API_KEY=${client}\n`), out);
  // Codex CLI
  assert.ok(out.includes(`export SYNROUTER_API_KEY=${client}`), out);
  assert.ok(out.includes('model_provider = "synrouter"'), out);
  assert.ok(out.includes('[model_providers.synrouter]'), out);
  assert.ok(out.includes(`base_url = "${s.url}/api/v1"`), out);
  assert.ok(out.includes('env_key = "SYNROUTER_API_KEY"'), out);
  assert.ok(out.includes('wire_api = "responses"'), out);
  assert.match(out, /^\s*model = "[a-z-]+\/[a-z0-9.-]+"$/m, 'the Codex snippet names a model');
  // The simulator, said clearly, on stderr.
  assert.match(s.stderr(), /No provider key is configured/);
  assert.match(s.stderr(), /SIMULATOR/);
  assert.match(s.stderr(), new RegExp(`store: sqlite ${dbPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  // The store itself is private too.
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) assert.equal((statSync(f).mode & 0o777).toString(8), '600', f);

  // The client key from the file works against the Anthropic door (served by the simulator).
  const r = await message(s.url, client);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.type, 'message');
  assert.ok(r.body.usage.output_tokens > 0);
  // The admin key is an admin key.
  const adminRes = await fetch(`${s.url}/admin/api/keys`, { headers: { authorization: `Bearer ${admin}` } });
  assert.equal(adminRes.status, 200);
  const notAdmin = await fetch(`${s.url}/admin/api/keys`, { headers: { authorization: `Bearer ${client}` } });
  assert.equal(notAdmin.status, 403);
  clientKey = client;
  assert.equal(await s.stop(), 0, 'SIGTERM ends it cleanly');
  assert.match(s.stderr(), /ledger flushed/);
});

test('a second start on the same store prints no keys; the client key from the first start still works', { skip: sqliteOnly }, async () => {
  assert.ok(clientKey, 'needs the first test');
  const s = await startServe();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(s.stdout().match(KEY), null, `no key printed:\n${s.stdout()}`);
  assert.doesNotMatch(s.stdout() + s.stderr(), /created the first|created its first keys/);
  assert.match(s.stderr(), /SIMULATOR/);
  assert.equal((await message(s.url, clientKey)).status, 200);
  assert.equal(await s.stop(), 0);
});

test('keys create (general and coding), list and revoke against the store of a running server; a revoked key gets 401', { skip: sqliteOnly }, async () => {
  const s = await startServe();
  const created = await cli('keys', 'create', '--name', 'laptop', '--mode', 'general');
  const key = created.stdout.trimEnd().split('\n').at(-1)!;
  assert.match(key, /^sk-sr-[A-Za-z0-9_-]+$/, 'the new key is the last line of stdout');
  assert.match(created.stderr, /Created client key key_\S+ "laptop" \(mode general\)/);
  const coding = (await cli('keys', 'create', '--name', 'ci', '--mode', 'coding')).stdout.trimEnd().split('\n').at(-1)!;
  assert.match(coding, /^sk-sr-/);
  assert.notEqual(coding, key);
  await assert.rejects(cli('keys', 'create', '--name', 'x', '--mode', 'weekly'), (e: { code?: number; stderr?: string }) => e.code === 2 && /--mode must be coding or general/.test(e.stderr ?? ''));
  await assert.rejects(cli('keys', 'create'), (e: { code?: number; stderr?: string }) => e.code === 2 && /--name/.test(e.stderr ?? ''));

  // The server sees the new key at once (WAL: the CLI writes while it runs).
  assert.equal((await message(s.url, key)).status, 200);
  assert.equal((await message(s.url, coding)).status, 200);

  const list = (await cli('keys', 'list')).stdout.trimEnd().split('\n').map((l) => l.split(/ {2,}/));
  assert.deepEqual(list[0], ['ID', 'NAME', 'ROLE', 'MODE', 'KEY', 'CREATED', 'STATUS']);
  assert.equal(list.length, 5, 'admin, first client, laptop, ci');
  const row = list.find((r) => r[1] === 'laptop')!;
  assert.ok(row, 'laptop listed');
  assert.equal(row[2], 'client');
  assert.equal(row[3], 'general');
  assert.equal(row[6], 'active');
  assert.ok(key.startsWith(row[4]!.replace(/\.\.\.$/, '')), 'the list shows the key prefix');
  assert.equal(list.find((r) => r[1] === 'ci')![3], 'coding');
  assert.equal(list.find((r) => r[1] === 'admin')![2], 'admin');
  assert.ok(!list.flat().some((c) => c === key || c === coding), 'never the keys themselves');

  const id = row[0]!;
  const revoked = await cli('keys', 'revoke', id);
  assert.equal(revoked.stdout.trim(), `Revoked ${id}.`);
  const after = await message(s.url, key);
  assert.equal(after.status, 401);
  assert.equal(after.body.type, 'error');
  assert.equal(after.body.error.type, 'authentication_error');
  assert.equal((await message(s.url, coding)).status, 200, 'other keys still work');
  const listed = (await cli('keys', 'list')).stdout.split('\n').find((l) => l.startsWith(id))!;
  assert.match(listed, /revoked$/);
  await assert.rejects(cli('keys', 'revoke', id), (e: { code?: number; stderr?: string }) => e.code === 2 && /already revoked/.test(e.stderr ?? ''));
  await assert.rejects(cli('keys', 'revoke', 'key_nope'), (e: { code?: number; stderr?: string }) => e.code === 2 && /no key with ID/.test(e.stderr ?? ''));
  assert.equal(await s.stop(), 0);
});

test('a second serve on a port that is taken says so in one line and exits non-zero at once, with nothing left running; the first keeps serving', { skip: sqliteOnly }, async () => {
  assert.ok(clientKey, 'needs the first test');
  const first = await startServe();
  const port = new URL(first.url).port;
  const started = Date.now();
  // The same store and a port from the environment, as a second `npm start` next to the first.
  const second = spawn(process.execPath, [MAIN, 'serve'], { env: cleanEnv({ SYNROUTER_DB: dbPath, SYNROUTER_PORT: port, SYNROUTER_HOST: '127.0.0.1' }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  second.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  second.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number | null>((resolve) => {
    // Still running after 10 s is the bug itself: stop it so the test can say so.
    const timer = setTimeout(() => second.kill('SIGKILL'), 10_000);
    second.once('exit', (c) => { clearTimeout(timer); resolve(c); });
  });
  const took = Date.now() - started;
  assert.notEqual(code, null, `the second serve did not end by itself in 10 s.\nstderr:\n${err}`);
  assert.notEqual(code, 0, 'a non-zero exit code');
  assert.ok(took < 5000, `ends at once (${took} ms)`);
  assert.equal(err, `synrouter: cannot listen on 127.0.0.1:${port}: the port is already in use (another Synrouter?); choose another with SYNROUTER_PORT, --port or "port" in the config file.\n`, 'one line, no stack trace');
  assert.equal(out, '');
  assert.equal((await message(first.url, clientKey)).status, 200, 'the first server still answers');
  assert.equal(await first.stop(), 0);
});
