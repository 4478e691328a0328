import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../store/db.ts';
import { capCarried, carriedById, commitCarriedThinking, mergeCarried, MAX_CARRIED_BYTES, MAX_CARRIED_TURNS, turnBytes, withCarried, type CarriedTurn } from './carried-thinking.ts';
import { mergeState, SessionStore, stateBytes, type SessionCacheState } from './session-state.ts';

const turn = (id: string, thinking = `thought ${id}`): CarriedTurn => ({ ids: [id], blocks: [{ type: 'thinking', thinking, signature: `sig-${id}` }] });
const ids = (list: readonly CarriedTurn[] | undefined) => (list ?? []).map((t) => t.ids[0]);

function state(thinking?: readonly CarriedTurn[], turns = 1): SessionCacheState {
  return {
    model: 'm', fingerprint: { prefix: 'p', tools: 't', system: 's' } as SessionCacheState['fingerprint'], lastAt: 0, lastHashes: [], finalMessageFrom: 0,
    messageCount: 0, breakpoints: [], tailVolatile: false, trims: {}, gaps: [], ttl: '5m', startedAt: 0, turns, ...(thinking ? { thinking } : {}),
  };
}

test('turns are added oldest first; a tool call id kept already keeps its first entry', () => {
  const list = withCarried(withCarried(undefined, turn('a')), turn('b'));
  assert.deepEqual(ids(list), ['a', 'b']);
  assert.equal(withCarried(list, turn('a', 'another thought')), list, 'unchanged: the first stands');
  assert.equal(carriedById(list).get('b')!.blocks[0], list[1]!.blocks[0]);
});

test('bounded per session in turns and in bytes: the oldest go first; a turn larger than the bound is not kept', () => {
  const many = Array.from({ length: MAX_CARRIED_TURNS + 5 }, (_, i) => turn(`t${i}`));
  const capped = capCarried(many);
  assert.equal(capped.length, MAX_CARRIED_TURNS);
  assert.deepEqual(ids(capped.slice(0, 1)), ['t5']);
  const big = (id: string) => turn(id, 'x'.repeat(MAX_CARRIED_BYTES / 3));
  const bytes = capCarried([big('1'), big('2'), big('3'), big('4')]);
  assert.deepEqual(ids(bytes), ['3', '4']);
  assert.ok(bytes.reduce((n, t) => n + turnBytes(t), 0) <= MAX_CARRIED_BYTES);
  assert.deepEqual(withCarried([turn('a')], turn('huge', 'x'.repeat(MAX_CARRIED_BYTES))), []);
});

test('two writers merge: the union, the first entry standing, no copy when one holds the other', () => {
  const prev = [turn('a'), turn('b')];
  const next = [...prev, turn('c')];
  assert.equal(mergeCarried(prev, next), next);
  assert.equal(mergeCarried(prev, undefined), prev, 'the cache engine\'s state carries no thinking: the stored one stays');
  assert.equal(mergeCarried(undefined, next), next);
  // Another instance kept 'd' meanwhile; this one 'c' (and a different 'a', which loses).
  const merged = mergeCarried([...prev, turn('d')], [turn('a', 'late'), turn('b'), turn('c')]);
  assert.deepEqual(ids(merged), ['a', 'b', 'd', 'c']);
  assert.equal(merged![0]!.blocks[0]!.type === 'thinking' && merged![0]!.blocks[0]!.thinking, 'thought a');
});

test('mergeState keeps the kept thinking when the cache engine commits its next state, and counts its bytes', () => {
  const kept = [turn('a')];
  const merged = mergeState(state(kept), state(undefined, 2));
  assert.equal(merged.turns, 2);
  assert.equal(merged.thinking, kept);
  assert.ok(stateBytes(merged) > stateBytes(state()) + 'thought a'.length);
});

test('committed after the answer, read by the next turn and after a restart from the store', async () => {
  const db = openDatabase(':memory:');
  const store = new SessionStore(db);
  await commitCarriedThinking(store, 'k', 's', turn('a'));
  assert.equal(store.get('k', 's'), undefined, 'no session state, nothing kept (the engine commits one before the request goes out)');
  store.set('k', 's', state());
  await commitCarriedThinking(store, 'k', 's', turn('a'));
  store.set('k', 's', state(undefined, 2)); // the next turn's engine state
  await commitCarriedThinking(store, 'k', 's', turn('b'));
  assert.deepEqual(ids(store.get('k', 's')!.thinking), ['a', 'b']);
  store.flush();
  assert.deepEqual(new SessionStore(db).get('k', 's')!.thinking, [turn('a'), turn('b')]);
});
