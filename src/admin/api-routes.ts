/**
 * The admin API (/admin/api/*), JSON behind an admin key. Reads go through store/queries.ts; every
 * dollar figure follows the accounting rules written there.
 *
 *   GET   /admin/api/keys                    keys with their spend today / this month
 *   POST  /admin/api/keys                    {name, mode?, role?, budgetUsdDay?, budgetUsdMonth?} -> 201, the key shown once
 *   POST  /admin/api/keys/:id/revoke
 *   PATCH /admin/api/keys/:id                {mode?, name?, shadow?, budgetUsdDay?, budgetUsdMonth?} (null clears a budget)
 *   GET   /admin/api/sessions                ?key=&since=&until=&limit=&offset=&sort=&order=
 *   GET   /admin/api/sessions/:id            ?key=&limit=&offset=  (the session and its turns in order)
 *   GET   /admin/api/totals                  ?by=key|model|day&since=&until=&key=
 *   GET   /admin/api/overview                ?since=&until=&key=&top=
 *
 * `key=` is a key's id, name or the prefix the key list shows; one that names no key, or several, is a 400
 * (key_not_found, key_ambiguous), never an empty answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Deps } from '../deps.ts';
import type { KeyMode, KeyRecord, KeyRole } from '../store/keys.ts';
import { GROUPINGS, parseTime, Queries, SESSION_SORTS, type Range } from '../store/queries.ts';
import { AdminError } from '../errors.ts';
import { badRequest, intParam, oneOf, readJsonObject, sendAdminJson } from './admin-http.ts';
import { missCosts } from './miss-cost.ts';
import { resolveKeyRef } from '../store/resolve-key-ref.ts';

export interface Ctx { req: IncomingMessage; res: ServerResponse; deps: Deps; url: URL; params: string[]; q: Queries; admin: KeyRecord }
export interface Route { method: string; pattern: RegExp; handler: (ctx: Ctx) => Promise<void> | void }

const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/admin\/api\/keys$/, handler: listKeys },
  { method: 'POST', pattern: /^\/admin\/api\/keys$/, handler: createKey },
  { method: 'POST', pattern: /^\/admin\/api\/keys\/([^/]+)\/revoke$/, handler: revokeKey },
  { method: 'PATCH', pattern: /^\/admin\/api\/keys\/([^/]+)$/, handler: updateKey },
  { method: 'GET', pattern: /^\/admin\/api\/sessions$/, handler: listSessions },
  { method: 'GET', pattern: /^\/admin\/api\/sessions\/([^/]+)$/, handler: getSession },
  { method: 'GET', pattern: /^\/admin\/api\/totals$/, handler: totals },
  { method: 'GET', pattern: /^\/admin\/api\/overview$/, handler: overview },
];

/** The route for a path: its handler and parameters, the allowed methods when only the method is wrong, or nothing. */
export function matchApiRoute(method: string, path: string): { route: Route; params: string[] } | { allow: string[] } | undefined {
  const allow: string[] = [];
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
      let params: string[];
      try {
        params = m.slice(1).map((p) => decodeURIComponent(p));
      } catch {
        throw badRequest('Malformed percent-encoding in the path.');
      }
      return { route, params };
    }
    allow.push(route.method);
  }
  return allow.length ? { allow } : undefined;
}

// ---------------------------------------------------------------- keys

function keyView(k: KeyRecord, spend: Map<string, { dayUsd: number; monthUsd: number }>) {
  const s = spend.get(k.id);
  return {
    id: k.id, name: k.name, prefix: k.prefix, role: k.role, mode: k.mode, status: k.revokedAt === null ? 'active' : 'revoked',
    createdAt: k.createdAt, revokedAt: k.revokedAt, budgetUsdDay: k.budgetUsdDay, budgetUsdMonth: k.budgetUsdMonth, shadow: k.shadow,
    spendUsdDay: s?.dayUsd ?? 0, spendUsdMonth: s?.monthUsd ?? 0,
  };
}

async function listKeys({ res, deps, q }: Ctx): Promise<void> {
  const spend = await q.keySpend(deps.clock.now());
  sendAdminJson(res, 200, { keys: (await deps.keys.list()).map((k) => keyView(k, spend)) });
}

const MODES: readonly KeyMode[] = ['coding', 'general'];
const ROLES: readonly KeyRole[] = ['client', 'admin'];

function readMode(v: unknown): KeyMode | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(MODES as readonly string[]).includes(v)) throw badRequest('mode must be "coding" or "general".');
  return v as KeyMode;
}

function readName(v: unknown, required: boolean): string | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || !v.trim() || v.length > 100) throw badRequest('name must be a non-empty string of at most 100 characters.');
  return v.trim();
}

function readBudget(body: Record<string, unknown>, camel: string, snake: string): number | null | undefined {
  const v = camel in body ? body[camel] : body[snake];
  if (v === undefined || v === null) return v;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw badRequest(`${camel} must be a number of USD >= 0, or null for no limit.`);
  return v;
}

async function createKey({ req, res, deps, q }: Ctx): Promise<void> {
  const body = await readJsonObject(req);
  const name = readName(body.name, true)!;
  const mode = readMode(body.mode) ?? 'coding';
  const role = body.role ?? 'client';
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw badRequest('role must be "client" or "admin".');
  const day = readBudget(body, 'budgetUsdDay', 'budget_usd_day');
  const month = readBudget(body, 'budgetUsdMonth', 'budget_usd_month');
  if (body.shadow !== undefined && typeof body.shadow !== 'boolean') throw badRequest('shadow must be true or false.');
  const { key, record } = await deps.keys.create({ name, mode, role: role as KeyRole, now: Date.now(), shadow: body.shadow === true });
  if (day !== undefined || month !== undefined) await deps.keys.setBudget(record.id, { day, month });
  sendAdminJson(res, 201, { key, record: keyView((await deps.keys.get(record.id))!, await q.keySpend(deps.clock.now())) });
}

async function existingKey(deps: Deps, id: string): Promise<KeyRecord> {
  const k = await deps.keys.get(id);
  if (!k) throw new AdminError(404, 'key_not_found', `No key with id ${id}.`);
  return k;
}

async function revokeKey({ res, deps, params, q }: Ctx): Promise<void> {
  const k = await existingKey(deps, params[0]!);
  if (k.revokedAt === null && k.role === 'admin' && (await deps.keys.list()).filter((x) => x.role === 'admin' && x.revokedAt === null).length === 1) {
    throw new AdminError(409, 'last_admin_key', 'This is the last active admin key: create another admin key before revoking it.');
  }
  await deps.keys.revoke(k.id);
  sendAdminJson(res, 200, { record: keyView((await deps.keys.get(k.id))!, await q.keySpend(deps.clock.now())) });
}

async function updateKey({ req, res, deps, params, q }: Ctx): Promise<void> {
  const k = await existingKey(deps, params[0]!);
  const body = await readJsonObject(req);
  const known = new Set(['mode', 'name', 'shadow', 'budgetUsdDay', 'budgetUsdMonth', 'budget_usd_day', 'budget_usd_month']);
  const unknown = Object.keys(body).filter((f) => !known.has(f));
  if (unknown.length) throw badRequest(`Unknown field(s): ${unknown.join(', ')}. Allowed: mode, name, shadow, budgetUsdDay, budgetUsdMonth.`);
  if (body.shadow !== undefined && typeof body.shadow !== 'boolean') throw badRequest('shadow must be true or false.');
  if (typeof body.shadow === 'boolean') await deps.keys.setShadow(k.id, body.shadow);
  const mode = readMode(body.mode);
  const name = readName(body.name, false);
  const day = readBudget(body, 'budgetUsdDay', 'budget_usd_day');
  const month = readBudget(body, 'budgetUsdMonth', 'budget_usd_month');
  const clear = (camel: string, snake: string) => (camel in body && body[camel] === null) || (snake in body && body[snake] === null);
  if (mode) await deps.keys.setMode(k.id, mode);
  if (name) await deps.keys.rename(k.id, name);
  await deps.keys.setBudget(k.id, {
    ...(day !== undefined || clear('budgetUsdDay', 'budget_usd_day') ? { day: day ?? null } : {}),
    ...(month !== undefined || clear('budgetUsdMonth', 'budget_usd_month') ? { month: month ?? null } : {}),
  });
  sendAdminJson(res, 200, { record: keyView((await deps.keys.get(k.id))!, await q.keySpend(deps.clock.now())) });
}

// ---------------------------------------------------------------- reads

async function range(url: URL, deps: Deps): Promise<Range> {
  const now = deps.clock.now();
  let since: number | undefined;
  let until: number | undefined;
  try {
    since = parseTime(url.searchParams.get('since'), now);
    until = parseTime(url.searchParams.get('until'), now);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  if (since !== undefined && until !== undefined && until <= since) throw badRequest('until must be after since.');
  return { since, until, keyId: await keyParam(url, deps) };
}

/** `?key=`: a key's id, name or listed prefix (store/resolve-key-ref.ts), as its id; absent or empty for every key. */
async function keyParam(url: URL, deps: Deps): Promise<string | undefined> {
  const key = url.searchParams.get('key');
  if (!key) return undefined;
  const found = resolveKeyRef(key, await deps.keys.list());
  if (!found.ok) throw badRequest(found.message, found.code);
  return found.key.id;
}

const rangeView = (r: Range) => ({ since: r.since ?? null, until: r.until ?? null, key: r.keyId ?? null });

async function listSessions({ res, deps, url, q }: Ctx): Promise<void> {
  const r = await range(url, deps);
  const p = url.searchParams;
  const sort = oneOf(p, 'sort', SESSION_SORTS, 'last');
  const order = oneOf(p, 'order', ['asc', 'desc'] as const, 'desc');
  const limit = intParam(p, 'limit', 1, 1000) ?? 50;
  const offset = intParam(p, 'offset', 0, 1e9) ?? 0;
  const { total, sessions } = await q.sessions({ ...r, sort, order, limit, offset });
  sendAdminJson(res, 200, { range: rangeView(r), sort, order, limit, offset, total, sessions });
}

async function getSession({ res, deps, url, params, q }: Ctx): Promise<void> {
  const sessionId = params[0]!;
  const keys = await q.sessionKeys(sessionId);
  const wanted = await keyParam(url, deps);
  const keyId = wanted ?? keys[0];
  if (!keyId || !keys.includes(keyId)) throw new AdminError(404, 'session_not_found', `No session ${sessionId}${wanted ? ` for key ${wanted}` : ''}.`);
  const limit = intParam(url.searchParams, 'limit', 1, 5000) ?? 1000;
  const offset = intParam(url.searchParams, 'offset', 0, 1e9) ?? 0;
  const found = (await q.session(keyId, sessionId, { limit, offset }))!;
  const costs = missCosts(found.turns, found.previous, (m) => deps.registry.pricesFor(m));
  const turns = found.turns.map((t, i) => ({ ...t, ...costs[i]! }));
  const priced = costs.filter((c) => c.missCostUsd !== null);
  sendAdminJson(res, 200, {
    session: found.summary,
    otherKeys: keys.filter((k) => k !== keyId),
    limit, offset, rows: found.summary.turns + found.summary.keepalives,
    /** Sum of the miss costs of the turns on this page (see admin/miss-cost.ts for the definition). */
    missCostUsd: priced.reduce((a, c) => a + c.missCostUsd!, 0),
    misses: turns.filter((t) => t.missReason !== null).length,
    turns,
  });
}

async function totals({ res, deps, url, q }: Ctx): Promise<void> {
  const r = await range(url, deps);
  const by = oneOf(url.searchParams, 'by', GROUPINGS, 'key');
  sendAdminJson(res, 200, { by, range: rangeView(r), total: await q.totals(r), rows: await q.totalsBy(by, r) });
}

async function overview({ res, deps, url, q }: Ctx): Promise<void> {
  const r = await range(url, deps);
  const top = intParam(url.searchParams, 'top', 1, 100) ?? 10;
  sendAdminJson(res, 200, {
    range: rangeView(r),
    totals: await q.totals(r),
    hitRateSeries: await q.series(r),
    topSessions: (await q.sessions({ ...r, sort: 'cost', order: 'desc', limit: top })).sessions,
    byModel: (await q.totalsBy('model', r)).slice(0, 10),
    shadow: await q.shadow(r),
  });
}
