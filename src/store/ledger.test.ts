import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openDatabase } from './db.ts';
import { Ledger, type Progress, type TurnRow } from './ledger.ts';

const tmpDb = () => join(mkdtempSync(join(tmpdir(), 'sr-ledger-')), 'x.db');
const SLOW = { flushMs: 60_000, batchSize: 1000 };

function row(requestId: string, over: Partial<TurnRow> = {}): TurnRow {
  return {
    ts: 1_000, requestId, kind: 'turn', keyId: 'k', sessionId: 's', clientProtocol: 'anthropic', endpoint: 'messages',
    requestedModel: 'claude-sonnet-4-6', responseModel: null, provider: 'anthropic', status: 0, errorCode: null, streamed: true, aborted: false,
    inputTokens: 0, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0,
    costUsd: 0, costDirectUsd: 0, costClientUsd: 0, missReason: null, engine: null, latencyMs: null, ttfbMs: null, ...over,
  };
}

/** What a request's meter reports: nothing yet, unless told. */
function progress(over: Partial<Progress> = {}): Progress {
  return {
    status: 0, responseModel: null, inputTokens: 0, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0,
    costUsd: null, costDirectUsd: null, costClientUsd: null, ttfbMs: null, ...over,
  };
}

/** Another connection to the file, as the next process (or the CLI) has: it sees only what was committed. */
function look(path: string) {
  const d = new DatabaseSync(path, { readOnly: true });
  const all = (sql: string) => d.prepare(sql).all().map((r) => ({ ...r }));
  try {
    return { turns: all('SELECT request_id, kind, status, error_code, aborted, input_tokens, cache_read_tokens, output_tokens, cost_usd, response_model FROM turns ORDER BY id'), open: all('SELECT request_id FROM open_turns') };
  } finally {
    d.close();
  }
}

test('a request opened before dispatch is committed at once; completing it leaves one finished row and no open one', async () => {
  const path = tmpDb();
  const ledger = new Ledger(openDatabase(path), SLOW);
  const open = await ledger.open(row('r1'));
  assert.deepEqual(look(path).open, [{ request_id: 'r1' }], 'committed before the request is sent, without waiting for a flush');
  ledger.record(row('r1', { status: 200, inputTokens: 10, outputTokens: 5, latencyMs: 12 }), open);
  assert.equal(look(path).open.length, 1, 'the open row stays until the finished row is written');
  ledger.flush();
  const after = look(path);
  assert.deepEqual(after.open, []);
  assert.equal(after.turns.length, 1);
  assert.equal((after.turns[0] as { status: number }).status, 200);
});

test('after a crash, the next Ledger on the file records open rows as interrupted with what they had metered, once', async () => {
  const path = tmpDb();
  const crashed = new Ledger(openDatabase(path), SLOW);
  // A long stream: its head and message_start arrived, the periodic flush wrote them; then the process died.
  let seen = progress();
  await crashed.open(row('stream'), () => seen);
  seen = progress({ status: 200, responseModel: 'claude-sonnet-4-6', inputTokens: 1200, cacheReadTokens: 30_000, outputTokens: 40, costUsd: 0.0135, ttfbMs: 310 });
  crashed.flush();
  // A request still waiting for its head.
  await crashed.open(row('waiting', { streamed: false }));
  // A turn that finished, its row still queued when the process died: its open row is what survives.
  const done = await crashed.open(row('done'));
  crashed.record(row('done', { status: 200, inputTokens: 9 }), done);
  // A failed attempt queued as a retry row, and the retried attempt of the same request at the upstream.
  const first = await crashed.open(row('retried'));
  crashed.record(row('retried', { kind: 'retry', status: 529, errorCode: 'UPSTREAM_ERROR' }), first);
  await crashed.open(row('retried'));
  assert.deepEqual(look(path).turns, [], 'nothing finished was flushed before the crash');

  const next = new Ledger(openDatabase(path), SLOW);
  assert.equal(next.recovered, 5);
  const { turns, open } = look(path);
  assert.deepEqual(open, []);
  assert.deepEqual(turns, [
    { request_id: 'stream', kind: 'turn', status: 200, error_code: 'INTERRUPTED', aborted: 1, input_tokens: 1200, cache_read_tokens: 30_000, output_tokens: 40, cost_usd: 0.0135, response_model: 'claude-sonnet-4-6' },
    { request_id: 'waiting', kind: 'turn', status: 500, error_code: 'INTERRUPTED', aborted: 1, input_tokens: 0, cache_read_tokens: 0, output_tokens: 0, cost_usd: null, response_model: null },
    { request_id: 'done', kind: 'turn', status: 500, error_code: 'INTERRUPTED', aborted: 1, input_tokens: 0, cache_read_tokens: 0, output_tokens: 0, cost_usd: null, response_model: null },
    { request_id: 'retried', kind: 'retry', status: 500, error_code: 'INTERRUPTED', aborted: 1, input_tokens: 0, cache_read_tokens: 0, output_tokens: 0, cost_usd: null, response_model: null },
    { request_id: 'retried', kind: 'turn', status: 500, error_code: 'INTERRUPTED', aborted: 1, input_tokens: 0, cache_read_tokens: 0, output_tokens: 0, cost_usd: null, response_model: null },
  ]);

  // Idempotent: recovery again, here or in another start, adds nothing.
  assert.equal(next.recoverInterrupted(), 0);
  assert.equal(new Ledger(openDatabase(path), SLOW).recovered, 0);
  assert.equal(look(path).turns.length, 5);
  // The hourly rollup counted them through its insert trigger, as any row.
  const d = new DatabaseSync(path, { readOnly: true });
  assert.deepEqual({ ...d.prepare('SELECT sum(rows_n) AS rows_n, sum(turns) AS turns, sum(retries) AS retries, sum(input_tokens) AS input FROM turn_hours').get() }, { rows_n: 5, turns: 4, retries: 1, input: 1200 });
  d.close();
});

test('a new Ledger leaves its own open rows alone, and progress is written only for rows that changed', async () => {
  const path = tmpDb();
  const db = openDatabase(path);
  const ledger = new Ledger(db, SLOW);
  let status = 0;
  await ledger.open(row('a'), () => progress({ status }));
  await ledger.open(row('b'), () => progress());
  const changes = () => (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
  const before = changes();
  ledger.flush();
  assert.equal(changes(), before, 'nothing changed: nothing written');
  status = 200;
  ledger.flush();
  assert.equal(changes(), before + 1, 'one row changed: one update');
  ledger.flush();
  assert.equal(changes(), before + 1);
  assert.equal(ledger.recoverInterrupted(), 0, 'its own rows are not a dead process\'s');
  assert.equal(look(path).open.length, 2);
});

test('a failed open does not stop the request: the finished row is still recorded', async () => {
  const path = tmpDb();
  const db = openDatabase(path);
  const ledger = new Ledger(db, SLOW);
  // The insert fails as a full disk or a locked file would make it.
  db.exec("CREATE TEMP TRIGGER no_open BEFORE INSERT ON open_turns BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END");
  const err = console.error;
  console.error = () => {};
  try {
    const open = await ledger.open(row('r'));
    assert.equal(ledger.failures, 1);
    db.exec('DROP TRIGGER no_open');
    ledger.record(row('r', { status: 200 }), open);
    ledger.flush();
  } finally {
    console.error = err;
  }
  const { turns, open } = look(path);
  assert.equal(turns.length, 1);
  assert.deepEqual(open, []);
});
