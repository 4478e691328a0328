import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../store/db.ts';
import { SessionStore, stateBytes, type SessionCacheState } from './session-state.ts';
import type { TrimDecision } from '../rewrite/trim-tool-results.ts';

function state(trims: Record<string, TrimDecision>, turns = 1): SessionCacheState {
  return {
    model: 'm', fingerprint: { prefix: 'p', tools: 't', system: 's' } as SessionCacheState['fingerprint'], lastAt: 0, lastHashes: [], finalMessageFrom: 0,
    messageCount: 0, breakpoints: [], tailVolatile: false, trims, gaps: [], ttl: '5m', startedAt: 0, turns,
  };
}

const trim = (head: number): TrimDecision => ({ action: 'trim', head, tail: 10 });

test('a session keeps every trim decision, the first one standing, across concurrent turns', () => {
  const store = new SessionStore(openDatabase(':memory:'));
  const a = trim(100);
  store.set('k', 's', state({ tu1: a }));
  // A turn that started before the first was stored decided tu1 differently and did not see tu0's fate:
  store.set('k', 's', state({ tu1: { action: 'keep' }, tu2: trim(5) }, 2));
  const got = store.get('k', 's')!;
  assert.equal(got.turns, 2);
  assert.deepEqual(got.trims, { tu1: a, tu2: trim(5) });
  // One that lacks a decision (a side call with fewer messages) does not make the session forget it:
  store.set('k', 's', state({}, 3));
  assert.deepEqual(store.get('k', 's')!.trims, { tu1: a, tu2: trim(5) });
});

test('override: what was really forwarded replaces the record', () => {
  const store = new SessionStore(openDatabase(':memory:'));
  store.set('k', 's', state({ tu1: trim(100), tu2: trim(7) }));
  store.set('k', 's', state({ tu1: { action: 'keep' } }), { override: true });
  assert.deepEqual(store.get('k', 's')!.trims, { tu1: { action: 'keep' }, tu2: trim(7) });
});

test('a turn that replays every stored decision is stored as it is, and persisted', () => {
  const db = openDatabase(':memory:');
  const store = new SessionStore(db);
  const first = state({ tu1: trim(100) });
  store.set('k', 's', first);
  const next = state({ ...first.trims, tu2: trim(5) }, 2);
  store.set('k', 's', next);
  assert.equal(store.get('k', 's'), next);
  store.flush();
  assert.deepEqual(new SessionStore(db).get('k', 's'), next);
});

test('states in memory are bounded in bytes: large sessions push out the least recent, which stay readable from the store', () => {
  const db = openDatabase(':memory:');
  const big = (turns: number) => ({ ...state({}, turns), lastHashes: Array.from({ length: 50_000 }, (_, i) => `${turns}:${i}`.padEnd(24, 'x')) });
  const one = stateBytes(big(0));
  const store = new SessionStore(db, { maxBytes: 3 * one });
  for (let i = 0; i < 10; i++) store.set('k', `s${i}`, big(i));
  assert.ok(store.memory.bytes <= 3 * one, `${store.memory.bytes} <= ${3 * one}`);
  assert.equal(store.memory.sessions, 3);
  store.flush();
  assert.equal(store.get('k', 's0')!.turns, 0, 'evicted from memory, read back from the store');
  assert.equal(store.get('k', 's0')!.lastHashes.length, 50_000);
  assert.ok(store.memory.bytes <= 3 * one);
});
