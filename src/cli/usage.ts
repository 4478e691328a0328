/**
 * `synrouter usage [--by key|model|day] [--since T] [--until T] [--key NAME|ID]`: spend, what the
 * client's own requests would have cost sent directly, what Synrouter saved, and (second) the cut
 * against no caching, from the ledger, as a table. Reads the store directly (WAL: fine while the
 * server runs). Accounting as in store/queries.ts: savings are against the client alone, net of keep-alive pings.
 */
import type { Config } from '../config.ts';
import { openAdminStore } from '../store/open-store.ts';
import { GROUPINGS, parseTime, type Grouping, type Range, type Totals } from '../store/queries.ts';
import type { KeyRecord } from '../store/keys.ts';
import { resolveKeyRef } from '../store/resolve-key-ref.ts';
import { escapeControls } from '../escape-controls.ts';
import { printTable } from './keys.ts';
import { count, pct as formatPct, usd } from '../admin/dashboard/format.js';

export interface ReportOptions { by?: string; since?: string; until?: string; key?: string; limit?: string }

// Figures read as on the dashboard (the same module); a missing one is '-' here, plain ASCII.
export { count, usd };
export const pct = (v: number | null): string => formatPct(v, '-');

/**
 * The range from --since / --until / --key, or an error message. --key takes a key's name, ID or
 * listed prefix (store/resolve-key-ref.ts): `keys` is the store's keys to look it up in.
 */
export function rangeOf(opts: ReportOptions, keys: readonly KeyRecord[], now = Date.now()): Range | string {
  let since: number | undefined;
  let until: number | undefined;
  try {
    since = parseTime(opts.since, now);
    until = parseTime(opts.until, now);
  } catch (err) {
    return (err as Error).message;
  }
  if (!opts.key) return { since, until, keyId: undefined };
  const found = resolveKeyRef(opts.key, keys);
  return found.ok ? { since, until, keyId: found.key.id } : found.message;
}

/** Dollars of a group: '-' when none of its turns had known prices (unknown is not $0). */
export function dollars(t: Totals, v: number): string {
  return t.pricedTurns === 0 && t.unpricedTurns > 0 ? '-' : usd(v);
}

export function totalsCells(t: Totals): string[] {
  return [
    count(t.turns), count(t.inputTokens + t.cacheReadTokens + t.cacheWrite5mTokens + t.cacheWrite1hTokens), count(t.outputTokens),
    pct(t.hitRate), dollars(t, t.costUsd), dollars(t, t.costClientUsd), dollars(t, t.savingsUsd), pct(t.savingsPct),
    dollars(t, t.savingsVsNoCacheUsd), pct(t.savingsVsNoCachePct),
  ];
}
export const TOTALS_HEAD = ['TURNS', 'INPUT TOK', 'OUTPUT TOK', 'HIT RATE', 'COST', 'CLIENT ALONE', 'SAVED', 'SAVED %', 'VS NO CACHING', 'VS NO CACHING %'];

export async function usageCommand(config: Config, opts: ReportOptions): Promise<number> {
  const by = (opts.by ?? 'key') as Grouping;
  if (!(GROUPINGS as readonly string[]).includes(by)) return fail(`--by must be one of ${GROUPINGS.join(', ')}`);
  const store = await openAdminStore(config);
  try {
    const range = rangeOf(opts, await store.keys.list());
    if (typeof range === 'string') return fail(range);
    const rows = await store.queries.totalsBy(by, range);
    const total = await store.queries.totals(range);
    const label = by.toUpperCase();
    printTable([label, ...TOTALS_HEAD], [
      ...rows.map((r) => [by === 'key' && r.label !== r.group ? `${r.label} (${r.group})` : r.label, ...totalsCells(r)]),
      ['TOTAL', ...totalsCells(total)],
    ]);
    notes(total);
    return 0;
  } finally {
    await store.close();
  }
}

/** What the table cannot say: pings included in spend, turns without prices. */
export function notes(t: Totals): void {
  if (t.keepalives) console.log(`Spend includes ${count(t.keepalives)} keep-alive pings (${usd(t.keepaliveCostUsd)}).`);
  if (t.unpricedTurns) console.log(`${count(t.unpricedTurns)} turn(s) had unknown prices: counted in tokens, not in dollars.`);
  console.log(SAVINGS_NOTE);
}

export const SAVINGS_NOTE = [
  'Hit rate = cache read / all input tokens. CLIENT ALONE = what the client\'s own requests would have cost sent directly (its own cache markers).',
  'SAVED = CLIENT ALONE - COST, keep-alive pings included (negative: Synrouter cost more). VS NO CACHING = the same tokens with no caching at all - COST.',
].join('\n');

export function fail(message: string): number {
  // Messages may quote key names and what the user typed: shown, never interpreted by the terminal.
  console.error(`synrouter: ${escapeControls(message)}`);
  return 2;
}
