import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newTurn } from '../turn.ts';
import type { AccessLine } from './access-line.ts';
import { Observer } from './observer.ts';

test('a request Synrouter answered itself gets the status it sent; a failing writer never reaches the request', async () => {
  const lines: AccessLine[] = [];
  const o = new Observer({ enabled: () => true, write: (l) => void lines.push(l), close: async () => {} }, undefined);
  const models = newTurn('req_sr_m', 'openai', 'models', Date.now());
  o.turnEnded(models, undefined, 200);
  assert.equal(lines[0]!.status, 200);
  assert.equal(models.status, 0, 'the turn itself is left as it was');

  const errors: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void errors.push(args);
  try {
    const broken = new Observer({ enabled: () => true, write: () => { throw new Error('disk full'); }, close: async () => {} }, undefined);
    broken.turnEnded(newTurn('a', 'anthropic', 'messages', 0), undefined, 200);
    broken.turnEnded(newTurn('b', 'anthropic', 'messages', 0), undefined, 200);
  } finally {
    console.error = original;
  }
  assert.equal(errors.length, 1, 'reported once');
  await o.close();
  await o.close();
});

test('a level that drops a request\'s line does not build it', () => {
  let built = 0;
  const o = new Observer({ enabled: (level) => level !== 'info', write: () => void built++, close: async () => {} }, undefined);
  o.turnEnded(Object.assign(newTurn('ok', 'anthropic', 'messages', 0), { status: 200 }), undefined, 200);
  o.turnEnded(Object.assign(newTurn('refused', 'anthropic', 'messages', 0), { status: 401, errorCode: 'AUTH_INVALID' }), undefined, 401);
  assert.equal(built, 1);
});
