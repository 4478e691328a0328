/**
 * Read-side SQL over the ledger, shared by the admin API, the dashboard and the CLI.
 *
 * Accounting rules (one place, so that every view agrees):
 * - Tokens and the hit rate count turns (kind 'turn') only; keep-alive pings are counted apart.
 * - Hit rate is token-weighted: cache read / (input + cache read + cache writes), never per request.
 * - Spend (costUsd) is every priced row, keep-alive pings included, cache-write premiums included.
 * - Direct cost and client-only cost are the same turns priced without caching / as the client sent
 *   them straight to the provider (its own markers, its own gaps: meter/counterfactual.ts); pings have
 *   neither (without Synrouter there would have been no ping).
 * - savings (the headline: what Synrouter saved) = client-only - spend, pings included; the cut
 *   against no caching at all, savingsVsNoCache = direct - spend, is the second figure, never the
 *   first (a client whose own markers cache would be credited with its own caching). Both can be
 *   negative: pings that saved less than they cost are a loss, shown as one.
 * - A row with unknown prices (cost_usd NULL) is counted in tokens and in `unpricedTurns`, and left
 *   out of every dollar sum, so spend, direct and client-only are always sums over the same rows.
 *
 * Sums come from `turn_hours` (per UTC hour, key, session and model; kept by triggers, see db.ts) for
 * the whole hours of a range, plus the ledger rows of the partial hours at its edges (through the
 * turns_ts / turns_key indexes), so they are exact for any range and read a few thousand rows, not every
 * turn. One session's turns are read from the ledger by the turns_session index.
 */
import type { TurnRow } from './ledger.ts';
import type { SqlReader } from './sql.ts';

export interface Range {
  /** ms epoch, inclusive */
  since?: number | undefined;
  /** ms epoch, exclusive */
  until?: number | undefined;
  keyId?: string | undefined;
}

export interface Totals {
  turns: number;
  /** Turns whose status was not 200 (they may still have cost nothing). */
  errors: number;
  keepalives: number;
  /** Failed upstream attempts before a turn's answer (kind 'retry'): their cost, if any, is spend. */
  retries: number;
  /** Turns with tokens but no known prices: in the token sums, not in the dollar sums. */
  unpricedTurns: number;
  /** Turns with a cost (known prices): the rows behind every dollar figure. */
  pricedTurns: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  outputTokens: number;
  /** cache read / all input tokens; null when there were none. */
  hitRate: number | null;
  /** uncached input / all input tokens. */
  freshInputShare: number | null;
  costUsd: number;
  keepaliveCostUsd: number;
  /** The same turns with no caching at all. */
  costDirectUsd: number;
  /** The same turns as the client sent them, straight to the provider (its own cache markers). */
  costClientUsd: number;
  /** What Synrouter saved: client-only cost - spend, keep-alive pings included; negative when it cost more. */
  savingsUsd: number;
  /** savings / client-only cost; null when that is 0. */
  savingsPct: number | null;
  /** The cut against no caching at all: direct cost - spend (the second figure, labelled "vs no caching"). */
  savingsVsNoCacheUsd: number;
  /** savingsVsNoCache / direct cost; null when the direct cost is 0. */
  savingsVsNoCachePct: number | null;
  firstTs: number | null;
  lastTs: number | null;
}

export interface SessionSummary extends Totals {
  keyId: string;
  keyName: string | null;
  sessionId: string;
  client: { protocol: string; source: 'client' | 'derived'; label: string };
  /** Models that answered (or were requested, when none answered); `model` is one of them. */
  models: string[];
  model: string | null;
}

/** A ledger row as the admin API shows it: the stored row, plus its id, hit rate and parsed engine actions. */
export interface TurnDetail extends Omit<TurnRow, 'kind' | 'engine' | 'costShadowUsd' | 'errorCode'> {
  id: number;
  kind: string;
  /** As stored: rows written by an older version may hold a code this one no longer writes. */
  errorCode: string | null;
  hitRate: number | null;
  engine: Array<{ kind: string; detail: string }>;
}

export const SESSION_SORTS = ['last', 'first', 'turns', 'hit_rate', 'cost', 'cost_client', 'cost_direct', 'savings', 'savings_pct', 'savings_vs_no_cache', 'tokens'] as const;
export type SessionSort = (typeof SESSION_SORTS)[number];
export const GROUPINGS = ['key', 'model', 'day'] as const;
export type Grouping = (typeof GROUPINGS)[number];

const HOUR = 3_600_000;

/** The columns of turn_hours; the turn_facts view gives the same columns for single ledger rows. */
const FACT_COLUMNS = `hour, key_id, session_id, model, client_protocol, rows_n, turns, errors, keepalives, retries, unpriced, priced,
  input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,
  cost_usd, keepalive_cost_usd, cost_direct_usd, cost_client_usd, first_ts, last_ts`;

/** One aggregate over fact rows (rollup hours and/or single ledger rows); `rowToTotals` reads it back. */
const AGG = `
  coalesce(sum(turns), 0) AS s_turns,
  coalesce(sum(errors), 0) AS s_errors,
  coalesce(sum(keepalives), 0) AS s_keepalives,
  coalesce(sum(retries), 0) AS s_retries,
  coalesce(sum(unpriced), 0) AS s_unpriced_turns,
  coalesce(sum(priced), 0) AS s_priced_turns,
  coalesce(sum(input_tokens), 0) AS s_input_tokens,
  coalesce(sum(cache_read_tokens), 0) AS s_cache_read_tokens,
  coalesce(sum(cache_write_5m_tokens), 0) AS s_cache_write_5m_tokens,
  coalesce(sum(cache_write_1h_tokens), 0) AS s_cache_write_1h_tokens,
  coalesce(sum(output_tokens), 0) AS s_output_tokens,
  coalesce(sum(cost_usd), 0) AS s_cost_usd,
  coalesce(sum(keepalive_cost_usd), 0) AS s_keepalive_cost_usd,
  coalesce(sum(cost_direct_usd), 0) AS s_cost_direct_usd,
  coalesce(sum(cost_client_usd), 0) AS s_cost_client_usd,
  min(first_ts) AS s_first_ts,
  max(last_ts) AS s_last_ts`;

type AggRow = Record<string, SQLOutput>;
type SQLOutput = unknown;

const num = (v: SQLOutput | undefined): number => (v === null || v === undefined ? 0 : Number(v));
const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

export function rowToTotals(r: AggRow): Totals {
  const inputTokens = num(r.s_input_tokens);
  const cacheReadTokens = num(r.s_cache_read_tokens);
  const cacheWrite5mTokens = num(r.s_cache_write_5m_tokens);
  const cacheWrite1hTokens = num(r.s_cache_write_1h_tokens);
  const allInput = inputTokens + cacheReadTokens + cacheWrite5mTokens + cacheWrite1hTokens;
  const costUsd = num(r.s_cost_usd);
  const costDirectUsd = num(r.s_cost_direct_usd);
  const costClientUsd = num(r.s_cost_client_usd);
  const savingsUsd = costClientUsd - costUsd;
  const savingsVsNoCacheUsd = costDirectUsd - costUsd;
  return {
    turns: num(r.s_turns), errors: num(r.s_errors), keepalives: num(r.s_keepalives), retries: num(r.s_retries), unpricedTurns: num(r.s_unpriced_turns), pricedTurns: num(r.s_priced_turns),
    inputTokens, cacheReadTokens, cacheWrite5mTokens, cacheWrite1hTokens, outputTokens: num(r.s_output_tokens),
    hitRate: ratio(cacheReadTokens, allInput), freshInputShare: ratio(inputTokens, allInput),
    costUsd, keepaliveCostUsd: num(r.s_keepalive_cost_usd), costDirectUsd, costClientUsd,
    savingsUsd, savingsPct: ratio(savingsUsd, costClientUsd), savingsVsNoCacheUsd, savingsVsNoCachePct: ratio(savingsVsNoCacheUsd, costDirectUsd),
    firstTs: r.s_first_ts === null || r.s_first_ts === undefined ? null : Number(r.s_first_ts),
    lastTs: r.s_last_ts === null || r.s_last_ts === undefined ? null : Number(r.s_last_ts),
  };
}

type SqlParam = string | number | null;
type Sql = { sql: string; params: SqlParam[] };

/** Ledger rows as facts, for a time span [lo, hi) (each bound optional). */
function rawFacts(lo: number | undefined, hi: number | undefined, keyId: string | undefined): Sql {
  const where: string[] = [];
  const params: SqlParam[] = [];
  if (keyId !== undefined) { where.push('key_id = ?'); params.push(keyId); }
  if (lo !== undefined) { where.push('ts >= ?'); params.push(lo); }
  if (hi !== undefined) { where.push('ts < ?'); params.push(hi); }
  return { sql: `SELECT ${FACT_COLUMNS} FROM turn_facts${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`, params };
}

/** The facts of a range: whole UTC hours from turn_hours, the partial hours at either edge from the ledger. Exact for any bounds. */
export function facts(r: Range): Sql {
  const lo = r.since === undefined ? undefined : Math.floor(r.since);
  const hi = r.until === undefined ? undefined : Math.floor(r.until);
  const hs = lo === undefined ? undefined : Math.ceil(lo / HOUR) * HOUR;
  const he = hi === undefined ? undefined : Math.floor(hi / HOUR) * HOUR;
  if (hs !== undefined && he !== undefined && hs >= he) return rawFacts(lo, hi, r.keyId);
  const where: string[] = [];
  const params: SqlParam[] = [];
  if (r.keyId !== undefined) { where.push('key_id = ?'); params.push(r.keyId); }
  if (hs !== undefined) { where.push('hour >= ?'); params.push(hs); }
  if (he !== undefined) { where.push('hour < ?'); params.push(he); }
  const parts: Sql[] = [{ sql: `SELECT ${FACT_COLUMNS} FROM turn_hours${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`, params }];
  if (lo !== undefined && lo < hs!) parts.push(rawFacts(lo, hs, r.keyId));
  if (hi !== undefined && he! < hi) parts.push(rawFacts(he, hi, r.keyId));
  return { sql: parts.map((p) => p.sql).join(' UNION ALL '), params: parts.flatMap((p) => p.params) };
}

/** 'drv_' ids are derived by Synrouter; anything else came from the client (header or metadata). */
export function sessionClient(protocol: string, sessionId: string): SessionSummary['client'] {
  const source = sessionId.startsWith('drv_') ? 'derived' : 'client';
  return { protocol, source, label: `${protocol} · ${source === 'derived' ? 'derived id' : 'client id'}` };
}

const SORT_SQL: Record<SessionSort, string> = {
  last: 's_last_ts',
  first: 's_first_ts',
  turns: 's_turns',
  hit_rate: `(1.0 * s_cache_read_tokens / nullif(s_input_tokens + s_cache_read_tokens + s_cache_write_5m_tokens + s_cache_write_1h_tokens, 0))`,
  cost: 's_cost_usd',
  cost_client: 's_cost_client_usd',
  cost_direct: 's_cost_direct_usd',
  savings: '(s_cost_client_usd - s_cost_usd)',
  savings_pct: '((s_cost_client_usd - s_cost_usd) / nullif(s_cost_client_usd, 0))',
  savings_vs_no_cache: '(s_cost_direct_usd - s_cost_usd)',
  tokens: '(s_input_tokens + s_cache_read_tokens + s_cache_write_5m_tokens + s_cache_write_1h_tokens + s_output_tokens)',
};

/** One session's ledger rows in order. On SQLite, `+key_id` keeps the planner on turns_session: a key may have millions of rows, a session has few. */
export const sessionTurnsSql = (dialect: SqlReader['dialect']) =>
  `SELECT * FROM turns WHERE session_id = ? AND ${dialect === 'sqlite' ? '+key_id' : 'key_id'} = ? ORDER BY ts, id LIMIT ? OFFSET ?`;

/** The read side: every method is one or two queries, the same SQL on SQLite and PostgreSQL. */
export class Queries {
  readonly #db: SqlReader;

  constructor(db: SqlReader) {
    this.#db = db;
  }

  async #all(sql: string, params: readonly unknown[] = []): Promise<AggRow[]> {
    return (await this.#db.all(sql, params)) as AggRow[];
  }

  async #one(sql: string, params: readonly unknown[] = []): Promise<AggRow | undefined> {
    return (await this.#all(sql, params))[0];
  }

  /** The distinct models of a group, comma-separated. */
  get #models(): string {
    return this.#db.dialect === 'sqlite' ? "group_concat(DISTINCT nullif(model, ''))" : "string_agg(DISTINCT nullif(model, ''), ',')";
  }

  async #keyNames(): Promise<Map<string, string>> {
    const rows = await this.#all('SELECT id, name FROM keys');
    return new Map(rows.map((r) => [String(r.id), String(r.name)]));
  }

  async totals(r: Range): Promise<Totals> {
    const f = facts(r);
    return rowToTotals((await this.#one(`SELECT ${AGG} FROM (${f.sql}) AS f`, f.params)) ?? {});
  }

  /** Totals grouped by key, model or UTC day, largest spend first (days: most recent first). */
  async totalsBy(by: Grouping, r: Range): Promise<Array<Totals & { group: string; label: string }>> {
    const day = this.#db.dialect === 'sqlite' ? "strftime('%Y-%m-%d', hour / 1000, 'unixepoch')" : "to_char(to_timestamp(hour / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
    const expr = by === 'key' ? 'key_id' : by === 'model' ? "coalesce(nullif(model, ''), '(none)')" : day;
    const f = facts(r);
    const order = by === 'day' ? 'grp DESC' : 's_cost_usd DESC, grp';
    const rows = await this.#all(`SELECT ${expr} AS grp, ${AGG} FROM (${f.sql}) AS f GROUP BY grp ORDER BY ${order}`, f.params);
    const names = by === 'key' ? await this.#keyNames() : undefined;
    return rows.map((row) => {
      const group = String(row.grp);
      return { group, label: names?.get(group) ?? group, ...rowToTotals(row) };
    });
  }

  /** Hit rate and spend per time bucket (UTC-aligned); the bucket size keeps the series at most ~`maxPoints` long. */
  async series(r: Range, maxPoints = 60): Promise<{ bucketMs: number; points: Array<{ ts: number; turns: number; hitRate: number | null; costUsd: number; costClientUsd: number; costDirectUsd: number; savingsUsd: number }> }> {
    const t = await this.totals(r);
    if (t.firstTs === null || t.lastTs === null) return { bucketMs: HOUR, points: [] };
    // The series spans the data inside the range, so a quiet month with one busy afternoon still has a shape.
    const bucketMs = pickBucket(t.lastTs + 1 - t.firstTs, maxPoints);
    // Buckets of an hour or more are sums of whole rollup hours; shorter ones need the ledger rows themselves.
    const f = bucketMs >= HOUR ? facts(r) : rawFacts(r.since === undefined ? undefined : Math.floor(r.since), r.until === undefined ? undefined : Math.floor(r.until), r.keyId);
    const time = bucketMs >= HOUR ? 'hour' : 'first_ts';
    const rows = await this.#all(`SELECT CAST(${time} / ? AS BIGINT) * ? AS bucket, ${AGG} FROM (${f.sql}) AS f GROUP BY bucket ORDER BY bucket`, [bucketMs, bucketMs, ...f.params]);
    return {
      bucketMs,
      points: rows.map((row) => {
        const p = rowToTotals(row);
        return { ts: Number(row.bucket), turns: p.turns, hitRate: p.hitRate, costUsd: p.costUsd, costClientUsd: p.costClientUsd, costDirectUsd: p.costDirectUsd, savingsUsd: p.savingsUsd };
      }),
    };
  }

  /** Sessions with their totals over the turns inside the range; paginated. */
  async sessions(r: Range & { sort?: SessionSort; order?: 'asc' | 'desc'; limit?: number; offset?: number }): Promise<{ total: number; sessions: SessionSummary[] }> {
    const f = facts(r);
    const sort = SORT_SQL[r.sort ?? 'last'];
    const order = r.order === 'asc' ? 'ASC' : 'DESC';
    const limit = clampInt(r.limit, 1, 1000, 50);
    const offset = clampInt(r.offset, 0, Number.MAX_SAFE_INTEGER, 0);
    const rows = await this.#all(
      // Sorted outside the grouping: PostgreSQL orders by output names only when they stand alone.
      `SELECT * FROM (
         SELECT key_id, session_id, max(client_protocol) AS client_protocol, ${this.#models} AS models,
                ${AGG}, count(*) OVER () AS total_count
         FROM (${f.sql}) AS f WHERE session_id <> ''
         GROUP BY key_id, session_id
       ) AS g
       ORDER BY ${sort} ${order} NULLS LAST, s_last_ts DESC, session_id
       LIMIT ? OFFSET ?`,
      [...f.params, limit, offset],
    );
    const names = await this.#keyNames();
    const total = rows.length ? num(rows[0]!.total_count) : offset > 0 ? await this.#countSessions(r) : 0;
    return { total, sessions: rows.map((row) => this.#summary(row, names)) };
  }

  async #countSessions(r: Range): Promise<number> {
    const f = facts(r);
    return num((await this.#one(`SELECT count(*) AS n FROM (SELECT 1 AS one FROM (${f.sql}) AS f WHERE session_id <> '' GROUP BY key_id, session_id) AS g`, f.params))?.n);
  }

  #summary(row: AggRow, names: Map<string, string>): SessionSummary {
    const keyId = String(row.key_id);
    const sessionId = String(row.session_id);
    const models = row.models === null || row.models === undefined ? [] : String(row.models).split(',');
    return {
      keyId, keyName: names.get(keyId) ?? null, sessionId, client: sessionClient(String(row.client_protocol), sessionId),
      models, model: models.at(-1) ?? null, ...rowToTotals(row),
    };
  }

  /** The keys a session id was seen under, most recent first. */
  async sessionKeys(sessionId: string): Promise<string[]> {
    return (await this.#all('SELECT key_id, max(ts) AS last FROM turns WHERE session_id = ? GROUP BY key_id ORDER BY last DESC', [sessionId])).map((r) => String(r.key_id));
  }

  /** One session (of one key): its summary and its turns in order (paginated; `previous` is the turn before the page). */
  async session(keyId: string, sessionId: string, page: { limit?: number; offset?: number } = {}): Promise<{ summary: SessionSummary; turns: TurnDetail[]; previous: TurnDetail | null } | undefined> {
    const head = await this.#one(
      `SELECT key_id, session_id, max(client_protocol) AS client_protocol, ${this.#models} AS models, ${AGG}
       FROM turn_hours WHERE key_id = ? AND session_id = ? GROUP BY key_id, session_id`,
      [keyId, sessionId],
    );
    if (!head) return undefined;
    const limit = clampInt(page.limit, 1, 5000, 1000);
    const offset = clampInt(page.offset, 0, Number.MAX_SAFE_INTEGER, 0);
    const from = Math.max(0, offset - 1);
    const rows = (await this.#all(sessionTurnsSql(this.#db.dialect), [sessionId, keyId, limit + (offset > 0 ? 1 : 0), from])).map(toTurnDetail);
    const previous = offset > 0 ? rows.shift() ?? null : null;
    return { summary: this.#summary(head, await this.#keyNames()), turns: rows, previous };
  }

  /**
   * Shadow keys' turns in the range: what they cost (the client's bytes, as sent) and what they would
   * have cost had the cache engine rewritten them (Synrouter's cache model). Only shadow turns carry
   * cost_shadow_usd, so this reads them through the ts index without the hourly rollup.
   */
  async shadow(r: Range): Promise<{ turns: number; costUsd: number; costWithSynrouterUsd: number; wouldSaveUsd: number }> {
    const where = ['cost_shadow_usd IS NOT NULL', "kind = 'turn'"];
    const args: Array<string | number> = [];
    if (r.since !== undefined) { where.push('ts >= ?'); args.push(r.since); }
    if (r.until !== undefined) { where.push('ts < ?'); args.push(r.until); }
    if (r.keyId !== undefined) { where.push('key_id = ?'); args.push(r.keyId); }
    const row = (await this.#one(`SELECT count(*) AS n, coalesce(sum(cost_usd), 0) AS cost, coalesce(sum(cost_shadow_usd), 0) AS shadow FROM turns WHERE ${where.join(' AND ')}`, args)) ?? {};
    const [turns, cost, shadow] = [num(row.n), num(row.cost), num(row.shadow)];
    return { turns, costUsd: cost, costWithSynrouterUsd: shadow, wouldSaveUsd: cost - shadow };
  }

  /** Spend per key since the start of the UTC day and of the UTC month of `now`. */
  async keySpend(now: number): Promise<Map<string, { dayUsd: number; monthUsd: number }>> {
    const d = new Date(now);
    const dayStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    const rows = await this.#all(
      'SELECT key_id, coalesce(sum(CASE WHEN hour >= ? THEN cost_usd END), 0) AS day, coalesce(sum(cost_usd), 0) AS month FROM turn_hours WHERE hour >= ? GROUP BY key_id',
      [dayStart, monthStart],
    );
    return new Map(rows.map((r) => [String(r.key_id), { dayUsd: num(r.day), monthUsd: num(r.month) }]));
  }
}

function toTurnDetail(r: AggRow): TurnDetail {
  const inputTokens = num(r.input_tokens);
  const cacheReadTokens = num(r.cache_read_tokens);
  const cacheWrite5mTokens = num(r.cache_write_5m_tokens);
  const cacheWrite1hTokens = num(r.cache_write_1h_tokens);
  const orNull = (v: SQLOutput | undefined) => (v === null || v === undefined ? null : Number(v));
  const str = (v: SQLOutput | undefined) => (v === null || v === undefined ? null : String(v));
  let engine: TurnDetail['engine'] = [];
  if (typeof r.engine === 'string') {
    try { engine = JSON.parse(r.engine) as TurnDetail['engine']; } catch { engine = [{ kind: 'unparsed', detail: r.engine }]; }
  }
  return {
    id: num(r.id), ts: num(r.ts), requestId: String(r.request_id), kind: String(r.kind), keyId: String(r.key_id), sessionId: str(r.session_id),
    clientProtocol: String(r.client_protocol), endpoint: String(r.endpoint), requestedModel: str(r.requested_model), responseModel: str(r.response_model),
    provider: str(r.provider), status: num(r.status), errorCode: str(r.error_code), streamed: num(r.streamed) === 1, aborted: num(r.aborted) === 1,
    inputTokens, cacheReadTokens, cacheWrite5mTokens, cacheWrite1hTokens, outputTokens: num(r.output_tokens),
    hitRate: ratio(cacheReadTokens, inputTokens + cacheReadTokens + cacheWrite5mTokens + cacheWrite1hTokens),
    costUsd: orNull(r.cost_usd), costDirectUsd: orNull(r.cost_direct_usd), costClientUsd: orNull(r.cost_client_usd),
    missReason: str(r.miss_reason), engine, latencyMs: orNull(r.latency_ms), ttfbMs: orNull(r.ttfb_ms),
  };
}

const BUCKETS = [60_000, 300_000, 900_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000];

export function pickBucket(spanMs: number, maxPoints: number): number {
  return BUCKETS.find((b) => spanMs / b <= maxPoints) ?? BUCKETS.at(-1)!;
}

function clampInt(v: number | undefined, lo: number, hi: number, dflt: number): number {
  if (v === undefined || !Number.isFinite(v)) return dflt;
  return Math.min(hi, Math.max(lo, Math.floor(v)));
}

/**
 * A time bound as users type it: an ISO date or date-time ('2026-05-01', '2026-05-01T12:00Z'), ms
 * since the epoch, or a duration back from `now` ('90m', '24h', '7d'). Undefined for an empty value;
 * throws RangeError for anything else.
 */
export function parseTime(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  const rel = /^(\d+(?:\.\d+)?)(m|h|d)$/.exec(v);
  if (rel) return now - Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd'];
  if (/^\d{10,}$/.test(v)) return Number(v);
  const ms = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) ? Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v) : NaN;
  if (Number.isNaN(ms)) throw new RangeError(`not a time: "${value}" (use an ISO date such as 2026-05-01 or 2026-05-01T12:00Z, ms since the epoch, or 90m / 24h / 7d)`);
  return ms;
}
