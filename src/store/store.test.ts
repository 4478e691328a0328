import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './db.ts';
import { KeyStore, VERSION_CHECK_MS, hashKey } from './keys.ts';
import { Ledger, type TurnRow } from './ledger.ts';

const tmpDb = () => join(mkdtempSync(join(tmpdir(), 'sr-store-')), 'x.db');

test('keys are stored as hashes only, found by value, and revocation sticks', () => {
  const path = tmpDb();
  const keys = new KeyStore(openDatabase(path));
  const { key, record } = keys.create({ name: 'laptop', mode: 'general' });
  assert.match(key, /^sk-sr-[A-Za-z0-9_-]{32}$/);
  assert.equal(keys.find(key)?.id, record.id);
  assert.equal(keys.find(key + 'x'), undefined);
  const file = readFileSync(path).toString('latin1') + readFileSync(path + '-wal').toString('latin1');
  assert.ok(!file.includes(key), 'the plaintext key must not be in the database');
  assert.ok(file.includes(hashKey(key)));
  assert.equal(keys.revoke(record.id), true);
  assert.notEqual(keys.find(key)?.revokedAt, null);
  assert.equal(keys.revoke(record.id), false);
});

test('a key revoked or changed by another process is seen within VERSION_CHECK_MS; through the store itself at once', () => {
  const path = tmpDb();
  const clock = { t: 0, now() { return this.t; } };
  const server = new KeyStore(openDatabase(path), clock);
  const { key, record } = server.create({ name: 'laptop' });
  assert.equal(server.find(key)?.mode, 'coding');
  // `synrouter keys revoke` / `keys mode` in another process: its own connection to the same file.
  const cli = new KeyStore(openDatabase(path));
  assert.equal(cli.setMode(record.id, 'general'), true);
  clock.t += VERSION_CHECK_MS - 1;
  assert.equal(server.find(key)?.mode, 'coding', 'not looked at again yet');
  clock.t += 1;
  assert.equal(server.find(key)?.mode, 'general');
  assert.equal(cli.revoke(record.id), true);
  clock.t += VERSION_CHECK_MS;
  assert.notEqual(server.find(key)?.revokedAt, null);
  // And through the store itself (the admin API), with no time passing.
  const other = server.create({ name: 'second' });
  assert.equal(server.find(other.key)?.name, 'second');
  assert.equal(server.rename(other.record.id, 'renamed'), true);
  assert.equal(server.find(other.key)?.name, 'renamed');
});

test('migrations run once; reopening keeps the data', () => {
  const path = tmpDb();
  new KeyStore(openDatabase(path)).create({ name: 'a' });
  assert.equal(new KeyStore(openDatabase(path)).count(), 1);
});

test('the ledger batches rows and close() flushes the rest', () => {
  const db = openDatabase(tmpDb());
  const ledger = new Ledger(db, { flushMs: 60_000, batchSize: 3 });
  const row = (i: number): TurnRow => ({
    ts: i, requestId: `r${i}`, kind: 'turn', keyId: 'k', sessionId: null, clientProtocol: 'anthropic', endpoint: 'messages',
    requestedModel: 'm', responseModel: 'm', provider: 'p', status: 200, errorCode: null, streamed: true, aborted: false,
    inputTokens: i, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, outputTokens: 1,
    costUsd: null, costDirectUsd: null, costClientUsd: null, missReason: null, engine: null, latencyMs: 1, ttfbMs: 1,
  });
  const count = () => (db.prepare('SELECT count(*) AS n FROM turns').get() as { n: number }).n;
  ledger.record(row(1));
  ledger.record(row(2));
  assert.equal(count(), 0, 'below the batch size nothing is written yet');
  ledger.record(row(3));
  assert.equal(count(), 3);
  ledger.record(row(4));
  ledger.close();
  assert.equal(count(), 4);
  ledger.record(row(5));
  assert.equal(count(), 5, 'after close, rows are written at once');
});

test('the data directory Synrouter creates is 0700; the database, its WAL and SHM are 0600, even under umask 022', () => {
  const old = process.umask(0o022);
  try {
    const dir = join(mkdtempSync(join(tmpdir(), 'sr-store-')), 'data');
    const path = join(dir, 'synrouter.db');
    const db = openDatabase(path);
    new KeyStore(db).create({ name: 'laptop' });
    const mode = (f: string) => statSync(f).mode & 0o777;
    assert.equal(mode(dir), 0o700, 'data directory');
    for (const f of [path, `${path}-wal`, `${path}-shm`]) assert.equal(mode(f).toString(8), '600', f);
    db.close();

    // A store an earlier version made world-readable (and still has open, so its WAL and SHM exist) is narrowed.
    const legacy = join(mkdtempSync(join(tmpdir(), 'sr-store-')), 'y.db');
    const before = new DatabaseSync(legacy);
    before.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);');
    for (const f of [legacy, `${legacy}-wal`, `${legacy}-shm`]) assert.equal(mode(f).toString(8), '644', `the old way: ${f}`);
    const after = openDatabase(legacy);
    for (const f of [legacy, `${legacy}-wal`, `${legacy}-shm`]) assert.equal(mode(f).toString(8), '600', `narrowed: ${f}`);
    after.close();
    before.close();
  } finally {
    process.umask(old);
  }
});
