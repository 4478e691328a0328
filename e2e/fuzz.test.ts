/**
 * Fuzz (issue 8, "Tests that must exist"): thousands of malformed, truncated, wrongly typed, deeply
 * nested, oversized and oddly framed requests against every POST front door of both protocols, and
 * odd headers. For every answer: a 4xx in the caller's protocol error shape, or a 200 the upstream
 * (the simulator) also gave; never a 5xx of Synrouter's own, a hang, a dropped connection or a crash
 * (health check after every round). Every authenticated turn has exactly one ledger row with the
 * status the client saw, and memory stays bounded over the rounds.
 *
 * Deterministic: FUZZ_SEED (default below) drives everything; FUZZ_ROUNDS and FUZZ_PER_ROUND size it.
 * Failures are listed grouped by kind with one reproducible example each; the full list is written
 * to test-output/fuzz-violations.json.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent, request } from 'undici';
import { startStack, eventually, type Stack } from './support/stack.ts';
import { createPool } from '../src/store/postgres/connect.ts';
import {
  DOORS, NON_OBJECT_BODIES, damageText, deepArrayText, deepObjectText, everyPosition, isTurnOp, mutate, rng, validBody,
  type Door, type Op, type Protocol, type Rng,
} from './support/fuzz-bodies.ts';
import { chunked, rawExchange, rawRequest } from './support/raw-http.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_2026);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 5);
const PER_ROUND = Number(process.env.FUZZ_PER_ROUND ?? 400);
const CONCURRENCY = 8;
const BODY_LIMIT_MB = 4;
const OUT = fileURLToPath(new URL('../test-output/', import.meta.url));

// A real GC between rounds, so heap numbers compare live data, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

type Auth = 'valid' | 'none' | 'invalid';

interface Case {
  /** Sent as x-fuzz-id; Synrouter forwards it, so the upstream's log says what the simulator answered. */
  id: string;
  door: Door;
  /** The protocol the answer must be in (the door's); 'any' for paths that belong to neither base. */
  protocol: Protocol | 'any';
  label: string;
  body: Buffer;
  auth: Auth;
  /** Extra headers (after the defaults; an empty string value removes a default). */
  headers?: Record<string, string>;
  method?: string;
  path?: string;
  /** Send the body as a chunked stream without content-length. */
  stream?: boolean;
  /** Send these bytes over a raw socket instead (requests undici refuses to make). */
  raw?: Buffer[];
  /** An authenticated request to a turn endpoint that reaches the handler: exactly one ledger row. */
  turn: boolean;
  /** A valid, untouched request: must be 200. */
  mustSucceed?: boolean;
  /** Node's HTTP parser refuses it before Synrouter sees it (no ledger row). */
  httpLevel?: boolean;
}

interface Outcome { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; error?: string }
interface Violation { id: string; path: string; label: string; status: number; problem: string; request: string; answer: string }

/**
 * Synrouter runs in this process: its "internal error" log lines are captured (and kept out of the
 * test output) so that every 500 in the report names the exception and the source line behind it.
 */
const internalErrors = new Map<string, string>();
const consoleError = console.error;
console.error = (...args: unknown[]) => {
  const m = typeof args[0] === 'string' ? /^\[synrouter\] (req_sr_\w+) internal error:/.exec(args[0]) : null;
  if (!m) return consoleError(...args);
  const err = args[1] as Error | undefined;
  const frame = err?.stack?.split('\n').find((l) => l.includes('/src/'))?.trim().replace(/^at /, '').replace(/\(?file:\/\/\S*?\/src\//, 'src/').replace(/\)$/, '') ?? '';
  internalErrors.set(m[1]!, `${err?.name}: ${err?.message} @ ${frame}`);
};

let stack: Stack;
let dispatcher: Agent;
let port: number;
const violations: Violation[] = [];
/** Answers by door and status, for the report. */
const statuses = new Map<string, Map<number, number>>();
/** 5xx answers that the simulator itself produced (upstream errors keep their status): not Synrouter's, reported. */
const upstream5xx: Violation[] = [];
let expectedTurnRows = 0;
let sent = 0;

before(async () => {
  stack = await startStack({
    bodyLimitMb: BODY_LIMIT_MB,
    env: { SYNROUTER_OPENROUTER_API_KEY: 'sim-or', SYNROUTER_RPM_LIMIT: '0', SYNROUTER_CONCURRENCY_LIMIT: '0' },
    openrouterToSimulator: true,
  });
  port = Number(new URL(stack.app.url).port);
  dispatcher = new Agent({ connections: CONCURRENCY * 2, headersTimeout: 60_000, bodyTimeout: 60_000 });
});
after(async () => {
  await dispatcher.close();
  await stack.close();
  console.error = consoleError;
});

// ---------------------------------------------------------------------------------------------
// Sending and checking

function authHeaders(c: Case, r?: Rng): Record<string, string> {
  const key = c.auth === 'valid' ? stack.key : c.auth === 'invalid' ? 'sk-sr-0000000000000000000000000000000000000000000' : undefined;
  if (!key) return {};
  const bearer = c.protocol === 'openai' || (r ? r.chance(0.3) : false);
  return bearer ? { authorization: `Bearer ${key}` } : { 'x-api-key': key };
}

async function send(c: Case): Promise<Outcome> {
  sent++;
  try {
    if (c.raw) return await rawExchange(port, c.raw, 60_000);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-fuzz-id': c.id, ...c.headers };
    for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
    const body = c.stream ? Readable.from((function* () { for (let i = 0; i < c.body.length; i += 4096) yield c.body.subarray(i, i + 4096); })()) : c.body;
    const res = await request(stack.app.url + (c.path ?? c.door.path), { method: (c.method ?? 'POST') as 'POST', headers, body, dispatcher });
    return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
  } catch (err) {
    return { status: 0, headers: {}, body: Buffer.alloc(0), error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

const header = (o: Outcome, name: string): string => { const v = o.headers[name]; return Array.isArray(v) ? v.join(', ') : (v ?? ''); };

function parseJson(b: Buffer): any {
  try { return JSON.parse(b.toString('utf8')); } catch { return undefined; }
}

function isProtocolError(protocol: Protocol | 'any', j: any): boolean {
  if (protocol === 'any') return isProtocolError('anthropic', j) || isProtocolError('openai', j);
  if (typeof j !== 'object' || j === null) return false;
  if (protocol === 'anthropic') return j.type === 'error' && typeof j.error?.type === 'string' && typeof j.error?.message === 'string';
  const e = j.error;
  return typeof e === 'object' && e !== null && typeof e.message === 'string' && typeof e.type === 'string'
    && 'param' in e && (e.param === null || typeof e.param === 'string') && 'code' in e && (e.code === null || typeof e.code === 'string');
}

function isSuccessBody(op: Op, j: any): boolean {
  if (typeof j !== 'object' || j === null) return false;
  if (op === 'messages') return j.type === 'message' && Array.isArray(j.content);
  if (op === 'count_tokens') return typeof j.input_tokens === 'number';
  if (op === 'chat') return j.object === 'chat.completion' && Array.isArray(j.choices);
  return j.object === 'response' && Array.isArray(j.output);
}

/** What is wrong with an answer, or an empty list. */
function problems(c: Case, o: Outcome, upstreamStatuses: number[]): string[] {
  if (o.error) return [`no answer: ${o.error}`];
  const s = o.status;
  const out: string[] = [];
  if (c.mustSucceed && s !== 200) out.push(`a valid request was refused with ${s}`);
  if (s === 200) {
    if ((c.method ?? 'POST') !== 'POST') return [`200 for ${c.method}`];
    if (!upstreamStatuses.length) out.push('200 without any upstream request');
    else if (upstreamStatuses.at(-1) !== 200) out.push(`200 although the upstream answered ${upstreamStatuses.at(-1)}`);
    const text = o.body.toString('utf8');
    if (header(o, 'content-type').includes('text/event-stream')) {
      if (/^event: error$/m.test(text) || /"type":"error"/.test(text) || /^data: \{"error":/m.test(text)) out.push('200 stream ended with an in-band error event');
    } else if (!isSuccessBody(c.door.op, parseJson(o.body))) out.push('200 whose body is not a success body of the protocol');
    return out;
  }
  if (s >= 400 && s < 500) {
    if (c.method === 'HEAD') return out;
    if (!header(o, 'content-type').includes('application/json')) out.push(`${s} without a JSON content-type (${header(o, 'content-type') || 'none'})`);
    if (!isProtocolError(c.protocol, parseJson(o.body))) out.push(`${s} whose body is not the ${c.protocol} error shape`);
    return out;
  }
  // The simulator's own crash handler answers 500 "simulator error" (its log keeps status 0).
  if (s >= 500 && upstreamStatuses.length && (upstreamStatuses.some((u) => u >= 500) || o.body.includes('simulator error'))) return [`upstream-5xx ${s}`];
  const rid = header(o, 'request-id');
  const cause = internalErrors.get(rid) ?? (typeof parseJson(o.body)?.request_id === 'string' ? internalErrors.get(parseJson(o.body).request_id) : undefined);
  return [...out, `status ${s}${s >= 500 ? ' from Synrouter itself' : ''}${cause ? ` (${cause})` : ''}`];
}

function summariseBody(b: Buffer): string {
  const t = b.toString('utf8');
  return t.length > 300 ? `${t.slice(0, 240)} …(${b.length} bytes)` : t;
}

/** Sends the cases (CONCURRENCY at a time), checks every answer, and the ledger afterwards. */
async function runCases(cases: Case[]): Promise<void> {
  const outcomes = new Array<Outcome>(cases.length);
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < cases.length) {
      const i = next++;
      outcomes[i] = await send(cases[i]!);
    }
  }));
  const upstream = new Map<string, number[]>();
  for (const r of stack.sim.requests) {
    const id = r.headers['x-fuzz-id'];
    if (typeof id === 'string') upstream.set(id, [...(upstream.get(id) ?? []), r.status]);
  }
  // The simulator keeps every request with its parsed body, and its caches live for their TTLs (longer
  // than this test): drop them so that memory measures Synrouter.
  stack.sim.requests.length = 0;
  stack.sim.cache.entries.clear();
  stack.sim.openaiCache.entries.clear();

  const ids = new Map<string, { c: Case; o: Outcome }>();
  cases.forEach((c, i) => {
    const o = outcomes[i]!;
    const byStatus = statuses.get(c.door.path) ?? new Map<number, number>();
    statuses.set(c.door.path, byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1));
    for (const p of problems(c, o, upstream.get(c.id) ?? [])) {
      const v: Violation = { id: c.id, path: `${c.method ?? 'POST'} ${c.path ?? c.door.path}`, label: c.label, status: o.status, problem: p, request: summariseBody(c.raw ? Buffer.concat(c.raw) : c.body), answer: summariseBody(o.body) };
      (p.startsWith('upstream-5xx') ? upstream5xx : violations).push(v);
    }
    if (c.turn) expectedTurnRows++;
    const j = o.status >= 400 ? parseJson(o.body) : undefined;
    const rid = header(o, 'synrouter-request-id') || (header(o, 'request-id').startsWith('req_sr_') ? header(o, 'request-id') : '') || (typeof j?.request_id === 'string' && j.request_id.startsWith('req_sr_') ? j.request_id : '');
    if (rid && c.turn) ids.set(rid, { c, o });
    if (c.turn && !o.error && !rid && o.status >= 400 && !(upstream.get(c.id) ?? []).length) {
      violations.push({ id: c.id, path: c.path ?? c.door.path, label: c.label, status: o.status, problem: 'an error of Synrouter\'s own without its request id', request: summariseBody(c.body), answer: summariseBody(o.body) });
    }
  });

  // One ledger row per authenticated turn (rows land after the answer ends: wait for them).
  const turnRows = async () => (await stack.turns()).filter((r) => r.kind === 'turn' && r.key_id === stack.keyId);
  await eventually(async () => (await turnRows()).length >= expectedTurnRows, `${expectedTurnRows} ledger rows`, 15_000).catch(() => undefined);
  const rows = await turnRows();
  if (rows.length !== expectedTurnRows) {
    violations.push({ id: '(ledger)', path: '', label: '', status: 0, problem: `ledger has ${rows.length} turn rows for ${expectedTurnRows} authenticated turns sent so far`, request: '', answer: '' });
  }
  const byId = new Map<string, number[]>();
  for (const r of rows) byId.set(r.request_id, [...(byId.get(r.request_id) ?? []), r.status]);
  for (const [rid, { c, o }] of ids) {
    const got = byId.get(rid) ?? [];
    if (got.length !== 1 || got[0] !== o.status) {
      violations.push({ id: c.id, path: c.path ?? c.door.path, label: c.label, status: o.status, problem: `ledger rows for ${rid}: ${JSON.stringify(got)} (client saw ${o.status})`, request: summariseBody(c.body), answer: '' });
    }
  }
  const countTokenRows = rows.filter((r) => r.endpoint === 'count_tokens').length;
  if (countTokenRows) violations.push({ id: '(ledger)', path: '', label: '', status: 0, problem: `${countTokenRows} ledger rows for count_tokens`, request: '', answer: '' });
}

async function healthy(): Promise<void> {
  const res = await request(`${stack.app.url}/health`, { dispatcher });
  assert.equal(res.statusCode, 200, 'Synrouter answers /health');
  assert.deepEqual(await res.body.json(), { status: 'ok' });
}

function report(list: Violation[], title: string): string {
  const groups = new Map<string, Violation[]>();
  for (const v of list) {
    const k = `${v.path} -> ${v.problem.replace(/(?<![:\d])\d{2,}(?![:\d])/g, 'N')}`;
    groups.set(k, [...(groups.get(k) ?? []), v]);
  }
  const lines = [...groups].map(([k, vs]) => `  ${vs.length} x ${k}\n     e.g. ${vs[0]!.id} [${vs[0]!.label}]\n     request: ${vs[0]!.request.slice(0, 300)}\n     answer:  ${vs[0]!.answer.slice(0, 300)}`);
  return `${title}: ${list.length} in ${groups.size} groups\n${lines.join('\n')}`;
}

// ---------------------------------------------------------------------------------------------
// Case generators

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const PLACEHOLDER = '\u0001DEEP\u0001';

/** A valid body with a deeply nested value (built as text) somewhere the proxy will or will not look. */
function deepBody(op: Op, r: Rng, marker: string): { body: Buffer; label: string } {
  const depth = r.pick([1000, 10_000, 100_000]);
  const deep = r.chance(0.5) ? deepArrayText(depth) : deepObjectText(depth);
  const kind = deep.startsWith('[') ? 'arrays' : 'objects';
  if (r.chance(0.25)) {
    const cut = r.chance(0.3);
    return { body: Buffer.from(cut ? deep.slice(0, -1) : deep), label: `whole body: ${depth}-deep ${kind}${cut ? ', unclosed' : ''}` };
  }
  const b = validBody(op, r, marker) as Record<string, any>;
  const sites: Array<[string, () => void]> = [['top-level extra field', () => { b.x_extra = PLACEHOLDER; }]];
  if (op === 'messages' || op === 'count_tokens') {
    sites.push(
      ['tools[].input_schema', () => { b.tools = [{ name: 'deep', input_schema: PLACEHOLDER }]; }],
      ['a text block field', () => { b.messages[0] = { role: 'user', content: [{ type: 'text', text: 'hi', x: PLACEHOLDER }] }; }],
      ['message content', () => { b.messages[0] = { role: 'user', content: PLACEHOLDER }; }],
      ['system block field', () => { b.system = [{ type: 'text', text: 'sys', x: PLACEHOLDER }]; }],
      ['tool_use input', () => { b.messages = [{ role: 'user', content: 'go' }, { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'deep', input: { v: PLACEHOLDER } }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok' }] }]; }],
      ['metadata field', () => { b.metadata = { user_id: 'u', x: PLACEHOLDER }; }],
    );
  } else if (op === 'chat') {
    sites.push(
      ['tools[].function.parameters', () => { b.tools = [{ type: 'function', function: { name: 'deep', parameters: PLACEHOLDER } }]; }],
      ['message content', () => { b.messages.at(-1).content = PLACEHOLDER; }],
      ['tool_calls arguments object', () => { b.messages.push({ role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'bash', arguments: PLACEHOLDER } }] }, { role: 'tool', tool_call_id: 'c1', content: 'x' }); }],
    );
  } else {
    sites.push(
      ['tools[].parameters', () => { b.tools = [{ type: 'function', name: 'deep', parameters: PLACEHOLDER }]; }],
      ['input', () => { b.input = PLACEHOLDER; }],
      ['an input item field', () => { b.input = [{ role: 'user', content: 'hi', x: PLACEHOLDER }]; }],
    );
  }
  const [where, place] = r.pick(sites);
  place();
  const text = JSON.stringify(b).replace(JSON.stringify(PLACEHOLDER), deep);
  return { body: Buffer.from(text), label: `${depth}-deep ${kind} at ${where}` };
}

/** Oversized strings and arrays, under and over the body limit. */
function hugeBody(op: Op, r: Rng, marker: string): { body: Buffer; label: string } {
  const b = validBody(op, r, marker) as Record<string, any>;
  const mb = r.pick([0.5, 1.5, 3.5, 4.5]);
  const kind = r.int(6);
  const n = Math.floor(mb * 1024 * 1024);
  let label: string;
  const text = () => { const ch = r.pick(['a', 'é', '🙂', '\\']); return ch.repeat(Math.floor(n / Buffer.byteLength(JSON.stringify(ch).slice(1, -1)))) + marker; };
  if (kind === 0) {
    const s = text();
    if (op === 'responses') b.input = s;
    else if (op === 'chat') b.messages.push({ role: 'user', content: s });
    else b.messages = [{ role: 'user', content: s }];
    label = `a ~${mb} MB string`;
  } else if (kind === 1) {
    const count = r.pick([2000, 20_000, 60_000]);
    const blocks = Array.from({ length: count }, (_, i) => (op === 'responses' ? { role: 'user', content: `item ${i}` } : { type: 'text', text: `block ${i} ${marker}` }));
    if (op === 'responses') b.input = blocks;
    else b.messages = [{ role: 'user', content: blocks }];
    label = `${count} content blocks / items`;
  } else if (kind === 2) {
    const count = r.pick([1000, 5000, 20_000]);
    const msgs = Array.from({ length: count }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i} ${marker}` }));
    if (op === 'responses') b.input = msgs; else b.messages = msgs;
    label = `${count} messages`;
  } else if (kind === 3) {
    const count = r.pick([500, 3000]);
    b.tools = Array.from({ length: count }, (_, i) => (op === 'chat' ? { type: 'function', function: { name: `t${i}`, parameters: { type: 'object' } } } : op === 'responses' ? { type: 'function', name: `t${i}`, parameters: { type: 'object' } } : { name: `t${i}`, input_schema: { type: 'object' } }));
    label = `${count} tools`;
  } else if (kind === 4) {
    b.model = 'claude-sonnet-4-6' + 'x'.repeat(r.pick([1000, 100_000]));
    label = `model id of ${b.model.length} chars`;
  } else {
    // A large tool_result / tool output (the cache engine's trimming path).
    const out = 'line of tool output\n'.repeat(Math.floor(n / 20));
    if (op === 'chat') b.messages.push({ role: 'assistant', content: null, tool_calls: [{ id: 'big1', type: 'function', function: { name: 'bash', arguments: '{}' } }] }, { role: 'tool', tool_call_id: 'big1', content: out });
    else if (op === 'responses') b.input = [{ role: 'user', content: 'go' }, { type: 'function_call', call_id: 'big1', name: 'exec_command', arguments: '{}' }, { type: 'function_call_output', call_id: 'big1', output: out }];
    else b.messages = [{ role: 'user', content: 'go' }, { role: 'assistant', content: [{ type: 'tool_use', id: 'big1', name: 'Bash', input: {} }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'big1', content: out }] }];
    label = `a ~${mb} MB tool result`;
  }
  return { body: json(b), label };
}

/** Header oddities fetch can send; each says whether the key still authenticates. */
const HEADER_ODDITIES: Array<{ label: string; headers: (key: string) => Record<string, string>; authOk: boolean; stream?: boolean }> = [
  { label: 'no content-type', headers: () => ({ 'content-type': '' }), authOk: true },
  { label: 'content-type text/plain', headers: () => ({ 'content-type': 'text/plain' }), authOk: true },
  { label: 'content-type form', headers: () => ({ 'content-type': 'application/x-www-form-urlencoded' }), authOk: true },
  { label: 'content-type multipart', headers: () => ({ 'content-type': 'multipart/form-data; boundary=zzz' }), authOk: true },
  { label: 'content-type json utf-16', headers: () => ({ 'content-type': 'application/json; charset=utf-16' }), authOk: true },
  { label: 'chunked, no content-length', headers: () => ({}), authOk: true, stream: true },
  { label: '12 KB header value', headers: () => ({ 'x-padding': 'p'.repeat(12_000) }), authOk: true },
  { label: '300 small headers', headers: () => Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`x-h-${i}`, `v${i}`])), authOk: true },
  { label: 'latin1 header value', headers: () => ({ 'x-note': 'caf\u00e9 \u00ff' }), authOk: true },
  { label: 'huge session header', headers: () => ({ 'x-claude-code-session-id': 's'.repeat(9000) }), authOk: true },
  { label: 'empty session headers', headers: () => ({ 'session-id': ' ', 'x-session-id': '' }), authOk: true },
  { label: 'odd anthropic-beta', headers: () => ({ 'anthropic-beta': ',,a,'.repeat(1500) }), authOk: true },
  { label: 'odd anthropic-version', headers: () => ({ 'anthropic-version': '\u00e9-1999' }), authOk: true },
  { label: 'accept text/html, accept-encoding gzip, br', headers: () => ({ accept: 'text/html', 'accept-encoding': 'gzip, br, zstd' }), authOk: true },
  { label: 'bearer lower-case scheme, padded', headers: (k) => ({ 'x-api-key': '', authorization: `bearer    ${k}   ` }), authOk: true },
  { label: 'x-api-key blank, bearer valid', headers: (k) => ({ 'x-api-key': '   ', authorization: `Bearer ${k}` }), authOk: true },
  { label: 'x-api-key valid, authorization garbage', headers: (k) => ({ 'x-api-key': k, authorization: 'Basic Zm9vOmJhcg==' }), authOk: true },
  { label: 'x-api-key garbage, bearer valid', headers: (k) => ({ 'x-api-key': 'sk-sr-nope', authorization: `Bearer ${k}` }), authOk: false },
  { label: 'bearer with two tokens', headers: (k) => ({ 'x-api-key': '', authorization: `Bearer ${k} ${k}` }), authOk: false },
  { label: 'authorization Basic only', headers: () => ({ 'x-api-key': '', authorization: 'Basic Zm9vOmJhcg==' }), authOk: false },
  { label: 'authorization "Bearer" alone', headers: () => ({ 'x-api-key': '', authorization: 'Bearer' }), authOk: false },
  { label: '8 KB api key', headers: () => ({ 'x-api-key': 'sk-sr-' + 'k'.repeat(8000), authorization: '' }), authOk: false },
  { label: 'api key with latin1 suffix', headers: (k) => ({ 'x-api-key': `${k}\u00e9`, authorization: '' }), authOk: false },
];

function makeRound(round: number): Case[] {
  const r = rng(SEED + round * 7919);
  const cases: Case[] = [];
  for (let i = 0; i < PER_ROUND; i++) {
    const door = DOORS[i % DOORS.length]!;
    const id = `r${round}-${i}`;
    const marker = `fz-${SEED}-${id}`;
    const auth: Auth = r.chance(0.88) ? 'valid' : r.chance(0.5) ? 'none' : 'invalid';
    const c: Case = { id, door, protocol: door.protocol, label: '', body: Buffer.alloc(0), auth, turn: false };
    const x = r.next();
    if (x < 0.08) {
      const b = validBody(door.op, r, marker);
      c.body = json(b);
      c.label = 'valid';
      // The simulator serves Anthropic-format requests for Claude ids only (a non-Claude one is its 404).
      c.mustSucceed = auth === 'valid' && !(door.protocol === 'anthropic' && !String(b.model).includes('claude'));
    } else if (x < 0.55) {
      const m = mutate(validBody(door.op, r, marker), r);
      c.body = json(m.value);
      c.label = `mutated: ${m.label}`;
    } else if (x < 0.75) {
      const d = damageText(JSON.stringify(validBody(door.op, r, marker)), r);
      c.body = d.body;
      c.label = `bytes: ${d.label}`;
    } else if (x < 0.82) {
      c.body = Buffer.from(r.pick(NON_OBJECT_BODIES));
      c.label = `non-object body ${JSON.stringify(c.body.toString().slice(0, 40))}`;
    } else if (x < 0.89) {
      const d = deepBody(door.op, r, marker);
      c.body = d.body;
      c.label = `deep: ${d.label}`;
    } else if (x < 0.92) {
      const d = hugeBody(door.op, r, marker);
      c.body = d.body;
      c.label = `huge: ${d.label}`;
    } else {
      const h = r.pick(HEADER_ODDITIES);
      const b = validBody(door.op, r, marker);
      const valid = r.chance(0.6) && (door.protocol !== 'anthropic' || String(b.model).includes('claude'));
      c.body = valid ? json(b) : json(mutate(b, r).value);
      c.label = `headers: ${h.label}${valid ? '' : ' + mutated body'}`;
      c.headers = { ...authHeaders(c, r), ...h.headers(auth === 'valid' ? stack.key : 'sk-sr-nope') };
      if (h.stream) c.stream = true;
      if (!h.authOk) c.auth = 'invalid';
      c.mustSucceed = valid && c.auth === 'valid';
    }
    c.headers ??= authHeaders(c, r);
    c.turn = c.auth === 'valid' && isTurnOp(door.op);
    cases.push(c);
  }
  return cases;
}

/**
 * Every position of every realistic seed body, replaced by a wrong type (or deleted), on every POST
 * door: deterministic, so each shape check the proxy relies on is exercised on every run.
 */
function systematicCases(): Case[] {
  const cases: Case[] = [];
  const r = rng(SEED ^ 0x5157);
  for (const op of ['messages', 'count_tokens', 'chat', 'responses'] as const) {
    const doors = DOORS.filter((d) => d.op === op);
    // One body per seed shape (validBody picks among them at random: draw until each shape was seen).
    const shapes = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < 200; i++) {
      const b = validBody(op, r, `sys-${op}-${i}-${SEED}`, { claudeOnly: true });
      shapes.set(JSON.stringify(Object.keys(b).sort()) + (Array.isArray(b.messages) ? b.messages.length : ''), b);
    }
    let n = 0;
    for (const body of shapes.values()) {
      for (const m of everyPosition(body as never, op === 'count_tokens' ? 1 : 3)) {
        const door = doors[n % doors.length]!;
        const id = `s-${op}-${n++}`;
        const c: Case = { id, door, protocol: door.protocol, label: `systematic: ${m.label}`, body: json(m.value), auth: 'valid', turn: isTurnOp(op) };
        c.headers = authHeaders(c, r);
        cases.push(c);
      }
    }
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Tests

const memory: Array<{ round: number; heapMB: number; rssMB: number; externalMB: number; arrayBuffersMB: number }> = [];
const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
function measure(round: number) {
  gc();
  gc();
  const m = process.memoryUsage();
  memory.push({ round, heapMB: mb(m.heapUsed), rssMB: mb(m.rss), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers) });
}

test('systematic: every field of every realistic request, in every wrong type, on every POST door: a protocol-shaped 4xx or an upstream-confirmed 200', async (t) => {
  const started = violations.length;
  const cases = systematicCases();
  await runCases(cases);
  await healthy();
  t.diagnostic(`${cases.length} requests`);
  const mine = violations.slice(started);
  if (mine.length) writeViolations();
  assert.equal(mine.length, 0, report(mine, 'violations'));
});

test(`${ROUNDS} rounds x ${PER_ROUND} fuzzed requests over all POST doors: protocol-shaped 4xx or an upstream-confirmed 200, one ledger row per turn, bounded memory`, async (t) => {
  const started = violations.length;
  measure(-1);
  for (let round = 0; round < ROUNDS; round++) {
    await runCases(makeRound(round));
    await healthy();
    measure(round);
  }
  t.diagnostic(`memory after GC per round (MB): ${JSON.stringify(memory)}`);
  t.diagnostic(`requests sent so far: ${sent}; authenticated turns: ${expectedTurnRows}`);
  for (const [path, m] of statuses) t.diagnostic(`${path}: ${[...m].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s} x${n}`).join(', ')}`);
  if (upstream5xx.length) t.diagnostic(report(upstream5xx, 'simulator 5xx passed through (not Synrouter\'s own; simulator robustness)'));
  const problems: string[] = [];
  const mine = violations.slice(started);
  if (mine.length) { writeViolations(); problems.push(report(mine, 'violations')); }
  // Round 0 warms every code path; after it, live memory (heap + external: Buffers) must not keep
  // growing with traffic. What does grow here is bounded by time (cache models: entries live 5 min to
  // 1 h) or by count (session states), so the allowance is generous but far below a leak of bodies.
  const warm = memory.find((m) => m.round === 0)!;
  const last = memory.at(-1)!;
  const liveGrowth = Math.round((last.heapMB + last.externalMB - warm.heapMB - warm.externalMB) * 10) / 10;
  t.diagnostic(`live memory (heap + external) after warm-up: +${liveGrowth} MB; rss +${Math.round(last.rssMB - warm.rssMB)} MB`);
  if (liveGrowth >= 64) problems.push(`heap + external grew ${liveGrowth} MB after warm-up (${JSON.stringify(memory)})`);
  if (last.rssMB - warm.rssMB >= 256) problems.push(`rss grew ${last.rssMB - warm.rssMB} MB after warm-up (${JSON.stringify(memory)})`);
  assert.ok(problems.length === 0, problems.join('\n\n'));
});

/** Requests with header or framing oddities, against both front doors, one by one; raw where fetch refuses. */
function headerCases(): Case[] {
  const cases: Case[] = [];
  const key = stack.key;
  let n = 0;
  const r = rng(SEED ^ 0xabcdef);
  for (const door of DOORS.filter((d) => d.op !== 'count_tokens')) {
    const valid = () => json(validBody(door.op, r, `hdr-${n}-${SEED}`, { claudeOnly: true }));
    const add = (c: Omit<Case, 'id' | 'door' | 'protocol' | 'turn'> & { protocol?: Protocol | 'any'; turn?: boolean }) => {
      const id = `h-${n++}`;
      cases.push({ id, door, protocol: c.protocol ?? door.protocol, turn: c.turn ?? (c.auth === 'valid' && !c.httpLevel), ...c });
    };
    const target = door.path;
    const rawCase = (label: string, headers: Array<[string, string | Buffer]>, o: { auth: Auth; body?: Buffer; httpLevel?: boolean; mustSucceed?: boolean; method?: string; target?: string; version?: string; raw?: (id: string) => Buffer[] } ) => {
      const id = `h-${n}`;
      const body = o.body ?? valid();
      add({
        label, auth: o.auth, body, ...(o.httpLevel ? { httpLevel: true } : {}), ...(o.mustSucceed ? { mustSucceed: true } : {}), ...(o.method ? { method: o.method } : {}),
        raw: o.raw ? o.raw(id) : [rawRequest({ method: o.method ?? 'POST', target: o.target ?? target, version: o.version, headers: [['x-fuzz-id', id], ['content-type', 'application/json'], ...headers, ['content-length', String(body.length)]], body })],
      });
    };
    const bearer = (v: string | Buffer): [string, string | Buffer] => ['authorization', typeof v === 'string' ? `Bearer ${v}` : Buffer.concat([Buffer.from('Bearer '), v])];

    // Authentication headers, byte for byte.
    rawCase('authorization: Bearer + spaces around the key', [['authorization', `Bearer    ${key}   `]], { auth: 'valid', mustSucceed: true });
    rawCase('authorization: tab between scheme and key', [['authorization', `Bearer\t${key}`]], { auth: 'valid', mustSucceed: true });
    rawCase('authorization: key + UTF-8 bytes', [bearer(Buffer.concat([Buffer.from(key), Buffer.from('ключ', 'utf8')]))], { auth: 'invalid' });
    rawCase('authorization: UTF-8 only', [bearer(Buffer.from('🔑🔑🔑', 'utf8'))], { auth: 'invalid' });
    rawCase('authorization: Bearer with U+00A0 before the key', [bearer(Buffer.concat([Buffer.from([0xc2, 0xa0]), Buffer.from(key)]))], { auth: 'invalid' });
    rawCase('two x-api-key headers, both valid', [['x-api-key', key], ['x-api-key', key]], { auth: 'invalid' });
    rawCase('two authorization headers, valid first', [bearer(key), ['authorization', 'Bearer sk-sr-garbage']], { auth: 'valid', mustSucceed: true });
    rawCase('two authorization headers, garbage first', [['authorization', 'Bearer sk-sr-garbage'], bearer(key)], { auth: 'invalid' });
    rawCase('x-api-key with obs-text bytes', [['x-api-key', Buffer.concat([Buffer.from(key), Buffer.from([0xff, 0xfe])])]], { auth: 'invalid' });
    rawCase('empty x-api-key, empty authorization', [['x-api-key', ''], ['authorization', '']], { auth: 'none' });
    // Framing.
    rawCase('chunked body in 7-byte chunks, no content-length', [['x-api-key', key]], {
      auth: 'valid', mustSucceed: true,
      raw: (id) => { const body = valid(); return [rawRequest({ target, headers: [['x-fuzz-id', id], ['x-api-key', key], ['authorization', `Bearer ${key}`], ['content-type', 'application/json'], ['transfer-encoding', 'chunked']], body: chunked(body, 7) })]; },
    });
    rawCase('request written in 3 pieces with pauses', [], {
      auth: 'valid', mustSucceed: true,
      raw: (id) => { const body = valid(); const all = rawRequest({ target, headers: [['x-fuzz-id', id], ['authorization', `Bearer ${key}`], ['content-type', 'application/json'], ['content-length', String(body.length)]], body }); const k = Math.floor(all.length / 3); return [all.subarray(0, k), all.subarray(k, 2 * k), all.subarray(2 * k)]; },
    });
    rawCase('HTTP/1.0 request', [['authorization', `Bearer ${key}`]], { auth: 'valid', mustSucceed: true, version: 'HTTP/1.0' });
    rawCase('absolute-form request target', [['authorization', `Bearer ${key}`]], { auth: 'valid', mustSucceed: true, target: `http://127.0.0.1:${port}${target}` });
    rawCase('expect: 100-continue (as curl sends for large bodies)', [['authorization', `Bearer ${key}`], ['expect', '100-continue']], { auth: 'valid', mustSucceed: true });
    rawCase('content-encoding: gzip over a plain JSON body', [['authorization', `Bearer ${key}`], ['content-encoding', 'gzip']], { auth: 'valid' });
    {
      const gz = gzipSync(valid());
      rawCase('content-encoding: gzip with a real gzip body', [['authorization', `Bearer ${key}`], ['content-encoding', 'gzip']], { auth: 'valid', body: gz });
    }
    rawCase('content-encoding: br over garbage', [['authorization', `Bearer ${key}`], ['content-encoding', 'br']], { auth: 'valid', body: Buffer.from([0x1f, 0x8b, 0x08, 0, 1, 2, 3, 4]) });
    rawCase('content-length far over the body limit, small body', [], {
      auth: 'valid',
      raw: (id) => [rawRequest({ target, headers: [['x-fuzz-id', id], ['authorization', `Bearer ${key}`], ['content-type', 'application/json'], ['content-length', String(BODY_LIMIT_MB * 1024 * 1024 * 10)]], body: valid() })],
    });
    rawCase('Upgrade: websocket on a POST', [['authorization', `Bearer ${key}`], ['upgrade', 'websocket'], ['connection', 'Upgrade']], { auth: 'valid' });
    // Methods and paths (no turn: the route does not match a POST door).
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) add({ label: `${method} on a POST door`, method, auth: 'valid', body: method === 'GET' ? Buffer.alloc(0) : valid(), headers: { authorization: `Bearer ${key}` }, turn: false });
    add({ label: 'trailing slash and ?beta=true', path: `${target}/?beta=true`, auth: 'valid', body: valid(), headers: { authorization: `Bearer ${key}` }, mustSucceed: true });
    add({ label: 'bad percent-encoding in the query', path: `${target}?%zz=%`, auth: 'valid', body: valid(), headers: { authorization: `Bearer ${key}` }, mustSucceed: true });
    add({ label: 'doubled slashes', path: target.replace('/v1/', '//v1//'), auth: 'valid', body: valid(), headers: { authorization: `Bearer ${key}` }, turn: false, protocol: 'any' });
    add({ label: 'percent-encoded path', path: target.replace('messages', 'm%65ssages').replace('completions', 'c%6fmpletions').replace('responses', 'r%65sponses'), auth: 'valid', body: valid(), headers: { authorization: `Bearer ${key}` }, turn: false, protocol: 'any' });
  }
  return cases;
}

test('odd headers and framing against both front doors (raw bytes where fetch refuses): protocol 4xx or 200, one ledger row per turn', async (t) => {
  const started = violations.length;
  const cases = headerCases();
  await runCases(cases);
  await healthy();
  t.diagnostic(`${cases.length} requests`);
  const mine = violations.slice(started);
  if (mine.length) writeViolations();
  assert.equal(mine.length, 0, report(mine, 'violations'));
});

test('Synrouter never forwards a content-encoding header that does not describe the body it sends upstream', async () => {
  for (const door of [DOORS[0]!, DOORS[4]!]) {
    const body = json(validBody(door.op, rng(7), 'ce'));
    const before = stack.sim.requests.length;
    expectedTurnRows++;
    const res = await request(stack.app.url + door.path, { method: 'POST', dispatcher, headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.key}`, 'content-encoding': 'gzip' }, body });
    await res.body.dump();
    const forwarded = stack.sim.requests.slice(before).map((r) => r.headers['content-encoding']);
    assert.ok(res.statusCode >= 400 || forwarded.every((v) => v === undefined), `${door.path}: plain JSON labelled gzip was answered ${res.statusCode}, and the upstream got content-encoding ${JSON.stringify(forwarded)} on a plain body`);
  }
});

/** Requests Node's HTTP parser refuses (before any handler runs, or while the handler reads the body). */
function httpLevelCases(): Array<Case & { reachesHandler: boolean }> {
  const cases: Array<Case & { reachesHandler: boolean }> = [];
  const key = stack.key;
  let n = 0;
  for (const door of DOORS.filter((d) => d.op === 'messages' || d.op === 'chat')) {
    const body = json(validBody(door.op, rng(n + 1), `http-${n}`));
    const add = (label: string, headers: Array<[string, string | Buffer]>, extra: { body?: Buffer; reachesHandler?: boolean } = {}) => {
      const id = `x-${n++}`;
      const b = extra.body ?? body;
      cases.push({ id, door, protocol: door.protocol, label, body: b, auth: 'valid', turn: false, httpLevel: true, reachesHandler: extra.reachesHandler ?? false, raw: [rawRequest({ target: door.path, headers: [['x-fuzz-id', id], ['authorization', `Bearer ${key}`], ['content-type', 'application/json'], ...headers], body: b })] });
    };
    add('a 20 KB header value (over Node\'s 16 KB header limit)', [['x-padding', 'p'.repeat(20_000)], ['content-length', String(body.length)]]);
    add('a 20 KB authorization header', [['authorization', `Bearer ${'k'.repeat(20_000)}`], ['content-length', String(body.length)]]);
    add('both transfer-encoding: chunked and content-length', [['transfer-encoding', 'chunked'], ['content-length', String(body.length)]], { body: chunked(body, 100) });
    add('content-length: abc', [['content-length', 'abc']]);
    add('content-length: -1', [['content-length', '-1']]);
    add('NUL byte in a header value', [['x-note', Buffer.from([0x61, 0x00, 0x62])], ['content-length', String(body.length)]]);
    add('space in a header name', [['x bad', 'v'], ['content-length', String(body.length)]]);
    add('two different content-length values', [['content-length', String(body.length)], ['content-length', String(body.length + 1)]]);
    // The head is fine, so the handler runs; the chunked body is broken while it reads it.
    add('bad chunk size in the body', [['transfer-encoding', 'chunked']], { body: Buffer.from('zz\r\n{}\r\n0\r\n\r\n'), reachesHandler: true });
  }
  return cases;
}

test('HTTP-level garbage that Node refuses: a 4xx in the protocol shape, Synrouter keeps serving, a ledger row only when the handler ran (and not as an internal error)', async (t) => {
  const started = violations.length;
  const rowsBefore = (await stack.turns()).length;
  const cases = httpLevelCases();
  const shapes: string[] = [];
  for (const c of cases) {
    const o = await send(c);
    if (o.error) { violations.push({ id: c.id, path: c.door.path, label: c.label, status: 0, problem: `no answer: ${o.error}`, request: '', answer: '' }); continue; }
    if (o.status < 400 || o.status >= 500) violations.push({ id: c.id, path: c.door.path, label: c.label, status: o.status, problem: `status ${o.status}`, request: '', answer: summariseBody(o.body) });
    else if (!isProtocolError(c.protocol, parseJson(o.body))) shapes.push(`${c.door.path} ${c.label}: ${o.status} ${JSON.stringify(summariseBody(o.body))} headers ${JSON.stringify(o.headers)}`);
  }
  await healthy();
  const reached = cases.filter((c) => c.reachesHandler).length;
  expectedTurnRows += reached;
  await eventually(async () => (await stack.turns()).length >= rowsBefore + reached, 'rows of the requests the handler saw').catch(() => undefined);
  const rows = (await stack.turns()).slice(rowsBefore);
  t.diagnostic(`${cases.length} requests; ${shapes.length} answered by Node without a protocol body; ledger rows: ${JSON.stringify(rows.map((r) => [r.status, r.error_code]))}`);
  const mine = violations.slice(started);
  assert.equal(mine.length, 0, report(mine, 'violations'));
  assert.equal(rows.length, reached, 'a ledger row exactly for the requests whose handler ran');
  assert.deepEqual(rows.filter((r) => r.status >= 500 || r.error_code === 'INTERNAL').map((r) => [r.status, r.error_code]), [], 'a body the client broke is the client\'s error (400 or 499), not an internal 500');
  assert.deepEqual(shapes, [], 'Node\'s own 4xx answers (clientError) are not in the caller\'s protocol shape');
});

test('a client that goes away mid-upload: one ledger row, recorded as a client abort (499), not an internal error', async () => {
  for (const door of [DOORS[0]!, DOORS[4]!]) {
    const before = (await stack.turns()).length;
    const body = json(validBody(door.op, rng(99), 'abort-upload'));
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => {
        socket.write(rawRequest({ target: door.path, headers: [['authorization', `Bearer ${stack.key}`], ['content-type', 'application/json'], ['content-length', String(body.length * 10)]], body: body.subarray(0, 100) }));
        setTimeout(() => { socket.destroy(); resolve(); }, 100);
      });
      socket.on('error', reject);
    });
    expectedTurnRows++;
    await eventually(async () => (await stack.turns()).length > before, 'the aborted upload\'s ledger row');
    const rows = (await stack.turns()).slice(before);
    assert.deepEqual(rows.map((r) => [r.kind, r.status, r.error_code]), [['turn', 499, 'CLIENT_ABORTED']], `${door.path}: ledger row of an upload the client abandoned`);
  }
});

test('memory stays bounded when many sessions send large bodies: 60 sessions x 2 MB leave < 32 MB behind', async (t) => {
  const live = () => { gc(); gc(); const m = process.memoryUsage(); return m.heapUsed + m.external; };
  const before = live();
  for (let i = 0; i < 60; i++) {
    // A distinct first user message: a distinct (derived) session each time, as 60 agents would be.
    const body = json({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: `session ${i} of the memory test: ${'x'.repeat(2 * 1024 * 1024)}` }] });
    expectedTurnRows++;
    const res = await request(`${stack.anthropicBase}/v1/messages`, { method: 'POST', dispatcher, headers: { 'content-type': 'application/json', 'x-api-key': stack.key }, body });
    assert.equal(res.statusCode, 200);
    await res.body.dump();
  }
  stack.sim.requests.length = 0;
  stack.sim.cache.entries.clear();
  const retained = live() - before;
  t.diagnostic(`retained after 60 x 2 MB turns: ${mb(retained)} MB (heap + external, after GC)`);
  assert.ok(retained < 32 * 1024 * 1024, `${mb(retained)} MB of the 120 MB of request bodies are still held after the turns ended`);
});

test('model ids are bounded: 8 distinct 256 KB model ids do not stay in memory, the ledger or /metrics', async (t) => {
  // Its own stack: the ledger file and the metrics are measured from zero.
  const own = await startStack({ env: { SYNROUTER_RPM_LIMIT: '0', SYNROUTER_CONCURRENCY_LIMIT: '0' } });
  // The store's size: the SQLite file and its WAL, or the PostgreSQL database.
  const pool = own.databaseUrl ? createPool(own.databaseUrl, { max: 1 }) : undefined;
  try {
    const live = () => { gc(); gc(); const m = process.memoryUsage(); return m.heapUsed + m.external; };
    const dbBytes = async () => {
      (await own.turns());
      if (pool) return Number((await pool.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n')).rows[0]!.n);
      return [own.dbPath, `${own.dbPath}-wal`].reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);
    };
    const before = { live: live(), db: (await dbBytes()) };
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      // A Claude-looking id the registry does not know passes through to the provider (README, Routing).
      const body = json({ model: `claude-${i}-${'x'.repeat(256 * 1024)}`, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
      const res = await request(`${own.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': own.key }, body });
      statuses.push(res.statusCode);
      await res.body.dump();
    }
    own.sim.requests.length = 0;
    own.sim.cache.entries.clear();
    const retained = live() - before.live;
    const ledger = (await dbBytes()) - before.db;
    const admin = (await own.app.deps.keys.create({ name: 'metrics', role: 'admin' })).key;
    const metrics = await request(`${own.app.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } });
    let metricsBytes = 0;
    for await (const chunk of metrics.body) metricsBytes += (chunk as Buffer).length;
    t.diagnostic(`answers ${JSON.stringify([...new Set(statuses)])}; retained ${mb(retained)} MB; ledger file +${mb(ledger)} MB; GET /metrics ${metrics.statusCode}, ${mb(metricsBytes)} MB`);
    assert.ok(statuses.every((s) => s === 200 || (s >= 400 && s < 500)), `answers: ${JSON.stringify(statuses)}`);
    assert.equal(metrics.statusCode, 200, 'GET /metrics still renders');
    assert.ok(metricsBytes < 1024 * 1024, `GET /metrics is ${mb(metricsBytes)} MB`);
    assert.ok(ledger < 2 * 1024 * 1024, `the ledger grew ${mb(ledger)} MB for 8 turns`);
    assert.ok(retained < 8 * 1024 * 1024, `${mb(retained)} MB stay in memory after 8 turns`);
  } finally {
    await pool?.end();
    await own.close();
  }
});

test('in the end: the ledger has exactly one turn row per authenticated turn sent in this file, and none for count_tokens', async () => {
  await eventually(async () => (await stack.turns()).filter((r) => r.kind === 'turn').length >= expectedTurnRows, `${expectedTurnRows} rows`).catch(() => undefined);
  const rows = (await stack.turns()).filter((r) => r.kind === 'turn');
  assert.equal(rows.length, expectedTurnRows);
  assert.equal(rows.filter((r) => r.endpoint === 'count_tokens').length, 0);
});

function writeViolations(): void {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}fuzz-violations.json`, JSON.stringify({ seed: SEED, violations, upstream5xx }, null, 1));
}
