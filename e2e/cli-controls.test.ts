/**
 * Client-controlled strings (a model name, a session id in Claude Code's metadata.user_id) and a key
 * name full of terminal escapes, CR, NUL and bidi overrides, sent as real requests: `synrouter usage`,
 * `sessions` and `keys list` print them as visible escapes, never as raw bytes to the operator's terminal.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startStack, type Stack } from './support/stack.ts';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

/** Clears the screen, sets the window title, rings, returns the carriage, and reverses "evil" to read "live". */
const EVIL = 'x\x1b[2J\x1b]0;pwned\x07\r\0\x7f\x9b\u202eevil\u2066';
/** Any raw C0 (but the table's own newlines), DEL, C1 or bidi control. */
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

let stack: Stack;
let key: string;
before(async () => {
  stack = await startStack();
  ({ key } = await stack.app.deps.keys.create({ name: `key ${EVIL}`, mode: 'coding' }));
  const post = (model: string) => fetch(`${stack.anthropicBase}/v1/messages`, {
    method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ model, max_tokens: 16, metadata: { user_id: JSON.stringify({ session_id: `session ${EVIL}` }) }, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const junk = await post(`model ${EVIL}`);
  assert.equal(junk.status, 404, await junk.text());
  const real = await post('claude-sonnet-4-6');
  assert.equal(real.status, 200, await real.text());
  await stack.app.deps.ledger.flush();
});
after(() => stack.close());

async function cli(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run(process.execPath, [MAIN, ...args, '--db', stack.dbPath], { env: { ...process.env, SYNROUTER_CONFIG: '', ...(stack.databaseUrl ? { SYNROUTER_DATABASE_URL: stack.databaseUrl } : {}) } });
  return stdout + stderr;
}

test('the hostile strings are in the store as sent', async () => {
  const rows = (await stack.turns());
  assert.ok(rows.some((r) => r.requested_model === `model ${EVIL}`), 'the junk model name');
  assert.ok(rows.every((r) => r.session_id === `session ${EVIL}`), 'the session id');
});

for (const args of [['usage', '--by', 'model'], ['usage', '--by', 'key'], ['sessions'], ['keys', 'list']]) {
  test(`synrouter ${args.join(' ')} prints no raw control or bidi characters, and shows them escaped`, async () => {
    const out = await cli(...args);
    const raw = RAW.exec(out);
    assert.equal(raw, null, `raw U+${raw?.[0].charCodeAt(0).toString(16).padStart(4, '0')} in ${JSON.stringify(out)}`);
    assert.ok(out.includes('x\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\x00\\x7f\\x9b\\u202eevil\\u2066'), `escaped: ${out}`);
  });
}

test('keys create echoes the name escaped (argv cannot carry NUL; the rest can)', async () => {
  const out = await cli('keys', 'create', '--name', 'k\x1b[2J\r\u202eevil');
  assert.equal(RAW.exec(out), null, JSON.stringify(out));
  assert.ok(out.includes('"k\\x1b[2J\\x0d\\u202eevil"'), out);
});
