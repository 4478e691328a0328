/**
 * Filtering by key as an operator does it: `synrouter sessions --key` and `usage --key` (the real CLI
 * on the store of a running Synrouter) and the admin API's `?key=`, with a key's name, its ID or the
 * prefix `keys list` shows. A key that is not there, or a name two keys share, is an error that says
 * so (exit 2, a 400), never an empty report that reads like a key without traffic.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startStack, type Stack } from './support/stack.ts';
import type { KeyRecord } from '../src/store/keys.ts';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

let stack: Stack;
let admin: string;
let laptop: KeyRecord;
let ci: KeyRecord;
let twins: KeyRecord[];

async function turn(key: string, session: string): Promise<void> {
  const res = await fetch(`${stack.anthropicBase}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-session-id': session },
    body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 32, messages: [{ role: 'user', content: `Hello from ${session}.` }] }),
  });
  assert.equal(res.status, 200, await res.text());
}

before(async () => {
  stack = await startStack();
  const keys = stack.app.deps.keys;
  admin = (await keys.create({ name: 'admin', role: 'admin' })).key;
  const l = await keys.create({ name: 'laptop' });
  const c = await keys.create({ name: 'ci' });
  const t1 = await keys.create({ name: 'twin' });
  const t2 = await keys.create({ name: 'twin' });
  [laptop, ci, twins] = [l.record, c.record, [t1.record, t2.record]];
  for (const s of ['laptop-1', 'laptop-2', 'laptop-3']) await turn(l.key, s);
  await turn(l.key, 'laptop-1');
  for (const s of ['ci-1', 'ci-2']) await turn(c.key, s);
  await turn(t1.key, 'twin-1');
  await keys.revoke(t1.record.id);
  await turn(stack.key, 'e2e-1');
  await stack.app.deps.ledger.flush();
});
after(() => stack.close());

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [MAIN, ...args, '--db', stack.dbPath], { env: { ...process.env, SYNROUTER_CONFIG: '', ...(stack.databaseUrl ? { SYNROUTER_DATABASE_URL: stack.databaseUrl } : {}) } });
}

/** The CLI's table as objects keyed by its header; lines that are not rows (notes) left out. */
function table(stdout: string): Array<Record<string, string>> {
  const [head, ...rows] = stdout.trimEnd().split('\n').map((l) => l.split(/ {2,}/));
  return rows.filter((r) => r.length === head!.length).map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i]!])));
}

const sessionsOf = async (keyId: string) => new Set((await stack.turns()).filter((r) => r.key_id === keyId).map((r) => r.session_id));
const turnsOf = async (keyId: string) => (await stack.turns()).filter((r) => r.key_id === keyId && r.kind === 'turn').length;

/** A CLI run that must fail: exit 2, the message on stderr, nothing on stdout. */
async function refused(args: string[], message: RegExp): Promise<void> {
  await assert.rejects(cli(...args), (err: { code?: number; stdout?: string; stderr?: string }) => {
    assert.equal(err.code, 2, `exit code of ${args.join(' ')}`);
    assert.match(err.stderr ?? '', message);
    assert.equal(err.stdout, '', 'no table, not even an empty one');
    return true;
  });
}

test('sessions --key takes the key\'s name, its ID or the prefix keys list shows, and lists only that key\'s sessions', async () => {
  const listed = (await cli('keys', 'list')).stdout.split('\n').map((l) => l.split(/ {2,}/)).find((r) => r[1] === 'laptop')!;
  const prefix = listed[4]!;
  assert.match(prefix, /^sk-sr-.{6}\.\.\.$/, 'keys list shows the prefix with an ellipsis');
  const expected = [...(await sessionsOf(laptop.id))].sort();
  assert.deepEqual(expected, ['laptop-1', 'laptop-2', 'laptop-3']);
  for (const ref of ['laptop', laptop.id, prefix, prefix.replace(/\.\.\.$/, '')]) {
    const { stdout } = await cli('sessions', '--key', ref);
    const rows = table(stdout);
    assert.deepEqual(rows.map((r) => r.SESSION).sort(), expected, `--key ${ref}`);
    assert.ok(rows.every((r) => r.KEY === 'laptop'), `--key ${ref}: only laptop's sessions`);
    assert.match(stdout, new RegExp(`3 of 3 session\\(s\\) of key ${laptop.id} "laptop"`), `--key ${ref}: the footer names the key`);
  }
  assert.equal(table((await cli('sessions')).stdout).length, 7, 'without --key, every key\'s sessions');
});

test('usage --key takes a name too: the totals are that key\'s turns only', async () => {
  const byName = table((await cli('usage', '--key', 'ci')).stdout);
  const byId = table((await cli('usage', '--key', ci.id)).stdout);
  assert.deepEqual(byName, byId);
  assert.equal(byName.length, 2, 'the key\'s row and the total');
  assert.equal(byName[0]!.KEY, `ci (${ci.id})`);
  assert.equal(Number(byName.find((r) => r.KEY === 'TOTAL')!.TURNS), (await turnsOf(ci.id)));
  const model = table((await cli('usage', '--by', 'model', '--key', 'laptop')).stdout);
  assert.equal(Number(model.find((r) => r.MODEL === 'TOTAL')!.TURNS), (await turnsOf(laptop.id)));
});

test('an unknown key and a name two keys share are refused with exit 2 and a message, never an empty list', async () => {
  for (const cmd of ['sessions', 'usage']) {
    await refused([cmd, '--key', 'desktop'], /^synrouter: No key with the name, ID or prefix "desktop" \(see `synrouter keys list`\)\.\n$/);
    // Keys are listed by creation time, then id: two made in the same millisecond come in either order.
    const [revoked, active] = [`${twins[0]!.id} \\("twin", revoked\\)`, `${twins[1]!.id} \\("twin", active\\)`];
    await refused([cmd, '--key', 'twin'], new RegExp(`"twin" matches 2 keys: (${revoked}, ${active}|${active}, ${revoked}); name one by its ID`));
  }
  await refused(['sessions', '--key', 'key_000000000000'], /No key with the name, ID or prefix "key_000000000000"/);
  // Either twin by its ID; the revoked one's turns are still its own.
  assert.deepEqual(table((await cli('sessions', '--key', twins[0]!.id)).stdout).map((r) => r.SESSION), ['twin-1']);
  assert.match((await cli('sessions', '--key', twins[1]!.id)).stdout, /^0 of 0 session\(s\) of key \S+ "twin"/m, 'a known key without traffic is an empty list, and says whose');
});

async function api(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(stack.app.url + path, { headers: { authorization: `Bearer ${admin}` } });
  return { status: res.status, body: await res.json() };
}

test('the admin API\'s ?key= takes a name, an ID or the listed prefix; an unknown or ambiguous one is a 400 that says so', async () => {
  for (const ref of ['laptop', laptop.id, laptop.prefix, `${laptop.prefix}...`]) {
    const q = `key=${encodeURIComponent(ref)}`;
    const sessions = await api(`/admin/api/sessions?${q}`);
    assert.equal(sessions.status, 200, JSON.stringify(sessions.body));
    assert.equal(sessions.body.total, 3, `sessions ?key=${ref}`);
    assert.equal(sessions.body.range.key, laptop.id, 'the range names the key by its id');
    const totals = await api(`/admin/api/totals?by=key&${q}`);
    assert.deepEqual(totals.body.rows.map((r: { group: string }) => r.group), [laptop.id]);
    assert.equal(totals.body.total.turns, (await turnsOf(laptop.id)));
    const overview = await api(`/admin/api/overview?${q}`);
    assert.equal(overview.body.totals.turns, (await turnsOf(laptop.id)));
    const one = await api(`/admin/api/sessions/laptop-1?${q}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.session.keyId, laptop.id);
  }
  assert.equal((await api('/admin/api/sessions?key=')).body.total, 7, 'an empty key is every key (the dashboard\'s "All keys")');
  for (const path of ['/admin/api/sessions', '/admin/api/totals', '/admin/api/overview', '/admin/api/sessions/laptop-1']) {
    const unknown = await api(`${path}?key=desktop`);
    assert.equal(unknown.status, 400, `${path}?key=desktop`);
    assert.equal(unknown.body.error.code, 'key_not_found');
    assert.match(unknown.body.error.message, /No key with the name, ID or prefix "desktop"/);
    const twin = await api(`${path}?key=twin`);
    assert.equal(twin.status, 400, `${path}?key=twin`);
    assert.equal(twin.body.error.code, 'key_ambiguous');
    assert.ok(twins.every((t) => twin.body.error.message.includes(t.id)), twin.body.error.message);
  }
  const elsewhere = await api('/admin/api/sessions/laptop-1?key=ci');
  assert.equal(elsewhere.status, 404, 'a known key the session was not seen under');
  assert.equal(elsewhere.body.error.code, 'session_not_found');
});
