/** `synrouter sessions [--limit N] [--since T] [--until T] [--key NAME|ID]`: recent sessions with hit rate and savings. */
import type { Config } from '../config.ts';
import { openAdminStore } from '../store/open-store.ts';
import { escapeControls } from '../escape-controls.ts';
import { printTable } from './keys.ts';
import { count, dollars, fail, pct, rangeOf, SAVINGS_NOTE, type ReportOptions } from './usage.ts';

export async function sessionsCommand(config: Config, opts: ReportOptions): Promise<number> {
  const limit = opts.limit === undefined ? 20 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return fail('--limit must be an integer from 1 to 1000');
  const store = await openAdminStore(config);
  try {
    const keys = await store.keys.list();
    const range = rangeOf(opts, keys);
    if (typeof range === 'string') return fail(range);
    const { total, sessions } = await store.queries.sessions({ ...range, sort: 'last', order: 'desc', limit });
    printTable(['SESSION', 'KEY', 'CLIENT', 'MODEL', 'TURNS', 'HIT RATE', 'COST', 'CLIENT ALONE', 'SAVED', 'SAVED %', 'VS NO CACHING %', 'LAST'], sessions.map((s) => [
      s.sessionId, s.keyName ?? s.keyId, `${s.client.protocol}/${s.client.source}`, s.models.join(',') || '-', count(s.turns), pct(s.hitRate),
      dollars(s, s.costUsd), dollars(s, s.costClientUsd), dollars(s, s.savingsUsd), pct(s.savingsPct), pct(s.savingsVsNoCachePct), s.lastTs === null ? '-' : new Date(s.lastTs).toISOString().slice(0, 16).replace('T', ' ') + 'Z',
    ]));
    const key = keys.find((k) => k.id === range.keyId);
    console.log(`${sessions.length} of ${total} session(s)${key ? ` of key ${key.id} "${escapeControls(key.name)}"` : ''}, most recent first.`);
    const unpriced = sessions.reduce((a, s) => a + s.unpricedTurns, 0);
    if (unpriced) console.log(`${count(unpriced)} turn(s) in these sessions had unknown prices: counted in tokens, not in dollars.`);
    console.log(SAVINGS_NOTE);
    return 0;
  } finally {
    await store.close();
  }
}
