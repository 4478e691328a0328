/**
 * Deterministic generators for the fuzz test (e2e/fuzz.test.ts): realistic valid request bodies for
 * every POST front door, and the ways to break them (structural mutations of the parsed request,
 * byte-level damage to its text, deep nesting, huge strings, non-object bodies). Everything is
 * driven by a seeded PRNG, so a failing case is reproduced by its seed and index.
 */

export type Op = 'messages' | 'count_tokens' | 'chat' | 'responses';
export type Protocol = 'anthropic' | 'openai';
export interface Door { path: string; protocol: Protocol; op: Op }

/** Every POST front door: Anthropic format at both bases, OpenAI chat and Responses. */
export const DOORS: readonly Door[] = [
  { path: '/api/anthropic/v1/messages', protocol: 'anthropic', op: 'messages' },
  { path: '/api/anthropic/v1/messages/count_tokens', protocol: 'anthropic', op: 'count_tokens' },
  { path: '/api/v1/messages', protocol: 'anthropic', op: 'messages' },
  { path: '/api/v1/messages/count_tokens', protocol: 'anthropic', op: 'count_tokens' },
  { path: '/api/v1/chat/completions', protocol: 'openai', op: 'chat' },
  { path: '/api/v1/responses', protocol: 'openai', op: 'responses' },
];

/** Operations that are turns (one ledger row each); count_tokens is not. */
export const isTurnOp = (op: Op): boolean => op !== 'count_tokens';

// ---------------------------------------------------------------------------------------------
// PRNG

export interface Rng {
  /** [0, 1) */
  next(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: small, fast, good enough, and the same sequence on every machine. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    chance: (p) => next() < p,
  };
}

// ---------------------------------------------------------------------------------------------
// Valid, realistic seeds

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const SYSTEM_TEXT = 'You are an interactive CLI agent that helps with software engineering tasks. '.repeat(30);
const schema = (prop: string): Obj => ({ type: 'object', properties: { [prop]: { type: 'string', description: `the ${prop}` } }, required: [prop] });
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const CLAUDE_MODELS = ['claude-sonnet-4-6', 'anthropic/claude-sonnet-4.6', 'claude-opus-4-8', 'anthropic/claude-haiku-4.5', 'claude-opus-4.8-fast'];
/** Served by "OpenRouter" (the simulator's OpenAI routes): same-protocol pass-through or Anthropic<->chat translation. */
const OTHER_MODELS = ['deepseek/deepseek-v4-flash'];

function anthropicSeeds(r: Rng, marker: string, op: Op, claudeOnly: boolean): Obj[] {
  // Mostly Claude models: the simulator plays OpenRouter's Anthropic endpoint for Claude ids alone, so
  // a non-Claude model there is an upstream 404 (still through all of Synrouter's own stages).
  const model = claudeOnly || r.chance(0.9) ? r.pick(CLAUDE_MODELS) : r.pick(OTHER_MODELS);
  const tools: Json[] = [
    { name: 'Bash', description: 'Run a shell command.', input_schema: schema('command') },
    { name: 'Read', description: 'Read a file from disk.', input_schema: schema('file_path') },
    { name: 'Edit', description: 'Edit a file.', input_schema: schema('file_path'), cache_control: { type: 'ephemeral' } },
  ];
  const simple: Obj = { model, max_tokens: 256, messages: [{ role: 'user', content: `Hello ${marker}` }] };
  const claudeCode: Obj = {
    model, max_tokens: 8192, stream: r.chance(0.5),
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.0; cc_entrypoint=cli;' },
      { type: 'text', text: SYSTEM_TEXT, cache_control: { type: 'ephemeral' } },
    ],
    tools,
    metadata: { user_id: JSON.stringify({ device_id: 'dev', session_id: `sess-${marker}` }) },
    messages: [
      { role: 'user', content: [{ type: 'text', text: `Fix the failing test ${marker}` }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }, { type: 'tool_use', id: 'toolu_01', name: 'Bash', input: { command: 'npm test' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'FAIL src/a.test.ts\n  expected 1 got 2' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_02', name: 'Read', input: { file_path: 'src/a.ts' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_02', is_error: false, content: [{ type: 'text', text: 'export const a = 2;', cache_control: { type: 'ephemeral' } }] }] },
    ],
  };
  const thinking: Obj = {
    model, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 },
    tools: tools.slice(0, 2), tool_choice: { type: 'auto' },
    messages: [
      { role: 'user', content: `Think, then list files ${marker}` },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'I should run ls.', signature: 'EqQBCgIYAhIM' }, { type: 'tool_use', id: 'toolu_t1', name: 'Bash', input: { command: 'ls' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_t1', content: [{ type: 'text', text: 'a.ts b.ts' }] }] },
    ],
  };
  const media: Obj = {
    model, max_tokens: 512, cache_control: { type: 'ephemeral' }, system: `Describe things. ${SYSTEM_TEXT}`,
    temperature: 0.2, stop_sequences: ['\n\nHuman:'],
    messages: [{ role: 'user', content: [
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1PX } },
      { type: 'text', text: `What is this? ${marker}` },
    ] }],
  };
  const ttl: Obj = {
    model, max_tokens: 1024, stream: true,
    tools: [{ ...(tools[0] as Obj), cache_control: { type: 'ephemeral', ttl: '1h' } }],
    system: [{ type: 'text', text: SYSTEM_TEXT, cache_control: { type: 'ephemeral', ttl: '1h' } }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: `Run it ${marker}`, cache_control: { type: 'ephemeral' } }] },
      { role: 'assistant', content: 'Sure.' },
      { role: 'user', content: 'Go on.' },
    ],
  };
  const seeds = [simple, claudeCode, thinking, media, ttl];
  if (op === 'count_tokens') for (const s of seeds) { delete s.max_tokens; delete s.stream; }
  return seeds;
}

function chatSeeds(r: Rng, marker: string): Obj[] {
  const model = r.chance(0.7) ? r.pick(['anthropic/claude-sonnet-4.6', 'claude-sonnet-4-6', 'anthropic/claude-opus-4.8']) : r.pick(OTHER_MODELS);
  const tools: Json[] = [
    { type: 'function', function: { name: 'bash', description: 'Run a command.', parameters: schema('command') } },
    { type: 'function', function: { name: 'read_file', parameters: schema('path') } },
  ];
  const simple: Obj = { model, messages: [{ role: 'system', content: SYSTEM_TEXT }, { role: 'user', content: `Hello ${marker}` }] };
  const stream = r.chance(0.5);
  const loop: Obj = {
    model, stream, ...(stream ? { stream_options: { include_usage: true } } : {}), tools, tool_choice: 'auto', max_tokens: 2048,
    messages: [
      { role: 'system', content: SYSTEM_TEXT },
      { role: 'user', content: `List files ${marker}` },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'a.ts\nb.ts' },
      { role: 'assistant', content: 'Two files.' },
      { role: 'user', content: [{ type: 'text', text: 'Now read a.ts' }] },
    ],
  };
  const parts: Obj = {
    model, max_completion_tokens: 512, temperature: 0.5, stop: ['END'], reasoning_effort: 'low', user: 'u-1',
    response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object', properties: { a: { type: 'string' } } } } },
    messages: [
      { role: 'developer', content: [{ type: 'text', text: SYSTEM_TEXT }] },
      { role: 'user', content: [{ type: 'text', text: `Describe ${marker}` }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1PX}` } }] },
    ],
  };
  return [simple, loop, parts];
}

function responsesSeeds(r: Rng, marker: string): Obj[] {
  const model = r.chance(0.7) ? r.pick(['anthropic/claude-sonnet-4.6', 'claude-sonnet-4-6']) : r.pick(OTHER_MODELS);
  const simple: Obj = { model, input: `Hello ${marker}`, instructions: 'Be brief.' };
  const codex: Obj = {
    model, stream: r.chance(0.5), store: false, prompt_cache_key: `thread-${marker}`, parallel_tool_calls: true,
    reasoning: { effort: 'low', summary: 'auto' }, include: ['reasoning.encrypted_content'], tool_choice: 'auto',
    instructions: SYSTEM_TEXT,
    tools: [{ type: 'function', name: 'exec_command', description: 'Run a command.', parameters: schema('cmd'), strict: false }],
    input: [
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'sandbox: workspace-write' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: `Run the tests ${marker}` }] },
      { type: 'function_call', call_id: 'call_a', name: 'exec_command', arguments: '{"cmd":"npm test"}' },
      { type: 'function_call_output', call_id: 'call_a', output: 'ok 12 tests' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'All pass.' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Thanks, commit it.' }] },
    ],
  };
  const image: Obj = {
    model, max_output_tokens: 300, temperature: 0.1,
    input: [{ role: 'user', content: [{ type: 'input_text', text: `What is this ${marker}` }, { type: 'input_image', image_url: `data:image/png;base64,${PNG_1PX}` }] }],
  };
  return [simple, codex, image];
}

/**
 * A realistic valid body for `op` (one of several shapes), fresh each call. `claudeOnly`: no
 * non-Claude model on the Anthropic doors (which the simulator answers with a 404).
 */
export function validBody(op: Op, r: Rng, marker: string, opts: { claudeOnly?: boolean } = {}): Obj {
  const all = op === 'chat' ? chatSeeds(r, marker) : op === 'responses' ? responsesSeeds(r, marker) : anthropicSeeds(r, marker, op, opts.claudeOnly ?? false);
  return r.pick(all);
}

// ---------------------------------------------------------------------------------------------
// Odd values

/** `[[[...]]]` `depth` deep, as JSON text (built as text: JSON.stringify itself overflows on it). */
export const deepArrayText = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
export const deepObjectText = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

const CACHE_CONTROLS: Json[] = [
  { type: 'ephemeral' }, { type: 'ephemeral', ttl: '1h' }, { type: 'ephemeral', ttl: '5m' }, { type: 'ephemeral', ttl: 5 },
  { type: 'ephemeral', ttl: '2h' }, { type: 'persistent' }, { type: 5 }, {}, 'ephemeral', null, [], true, 0, { type: 'ephemeral', scope: 'global' },
];

/** Plain wrong types: what breaks code that trusts a shape the validator did not check. */
const BASIC: readonly Json[] = [null, true, false, 0, -1, 1.5, '', 'x', [], {}, [null], [1], ['x'], [[]], { x: 1 }];

function oddValue(r: Rng, original: Json | undefined): Json {
  if (r.chance(0.5)) return structuredClone(r.pick(BASIC));
  const choices: Array<() => Json> = [
    () => null, () => true, () => false, () => 0, () => -1, () => 1.5, () => -0.000001, () => 1e308, () => -1e308,
    () => 2 ** 53 + 2, () => '', () => ' ', () => 'x', () => '\u0000', () => '\ud800', () => '\udfff\ud800', () => '\u202e\u200b',
    () => '🙂'.repeat(20), () => 'é'.repeat(3000), () => 'a'.repeat(70_000), () => '{"a":1}', () => 'null', () => 'true', () => '42',
    () => [], () => ({}), () => [null], () => [[]], () => [{}], () => [1, 'a', null], () => ({ type: null }), () => ({ type: 5 }),
    () => ({ type: '' }), () => ({ type: 'text' }), () => ({ type: 'text', text: 5 }), () => ({ type: 'text', text: '' }),
    () => ({ type: 'text', text: null, cache_control: { type: 'ephemeral' } }), () => ({ type: 'tool_result' }),
    () => ({ type: 'tool_result', tool_use_id: 'toolu_x', content: { type: 'text', text: 'x' } }),
    () => ({ type: 'tool_use' }), () => ({ type: 'tool_use', id: 5, name: null, input: 'x' }), () => ({ type: 'thinking' }),
    () => ({ type: 'thinking', thinking: 'hm', signature: 5, cache_control: { type: 'ephemeral' } }), () => ({ type: 'redacted_thinking', data: null }),
    () => ({ type: 'image', source: null }), () => ({ type: 'image', source: { type: 'url', url: 5 } }), () => ({ type: 'document', source: 'x' }),
    () => ({ role: 'user' }), () => ({ role: 'user', content: null }), () => ({ role: 'tool' }), () => ({ role: 'assistant', tool_calls: 'x' }),
    () => ({ role: 'assistant', tool_calls: [{}] }), () => ({ role: 'assistant', tool_calls: [{ type: 'function' }] }),
    () => ({ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'bash', arguments: '{not json' } }] }),
    () => ({ type: 'function' }), () => ({ type: 'function', function: null }), () => ({ type: 'function', name: 5 }),
    () => ({ type: 'function_call' }), () => ({ type: 'function_call_output', output: { a: 1 } }), () => ({ type: 'message', content: 5 }),
    () => ({ type: 'input_text' }), () => ({ type: 'input_image', image_url: 5 }), () => ({ type: 'reasoning', encrypted_content: 5 }),
    () => ({ cache_control: r.pick(CACHE_CONTROLS) }), () => JSON.parse('{"__proto__":{"polluted":true},"type":"text","text":"p"}') as Json,
    () => ({ constructor: { prototype: { polluted: true } } }), () => ({ toString: 1, valueOf: 'x', hasOwnProperty: null, length: 1e9 }),
    () => nestArrays(r.int(300) + 10), () => nestObjects(r.int(300) + 10), () => Array.from({ length: 200 }, () => ({ type: 'text', text: 'y' })),
  ];
  if (original !== undefined) {
    choices.push(() => flipType(original), () => flipType(original), () => [original], () => ({ value: original }));
  }
  return r.pick(choices)();
}

function nestArrays(depth: number): Json {
  let v: Json = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}
function nestObjects(depth: number): Json {
  let v: Json = { type: 'text', text: 'deep' };
  for (let i = 0; i < depth; i++) v = { type: 'text', content: v };
  return v;
}

/** The same information in the wrong JSON type. */
function flipType(v: Json): Json {
  if (v === null) return 'null';
  if (typeof v === 'string') return v === '' ? 0 : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : [v];
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 0;
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  return Object.values(v);
}

// ---------------------------------------------------------------------------------------------
// Structural mutations

type Path = Array<string | number>;

function allPaths(v: Json, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => allPaths(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) allPaths(v[k]!, [...prefix, k], out);
  return out;
}

function getAt(v: Json, path: Path): Json | undefined {
  let cur: Json | undefined = v;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, Json>)[k];
  }
  return cur;
}

function setAt(root: Json, path: Path, value: Json | undefined): Json {
  if (path.length === 0) return value === undefined ? null : value;
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, Json> | Json[];
  const k = path.at(-1)!;
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(k as number, 1);
    else delete (parent as Record<string, Json>)[k];
  } else (parent as Record<string | number, Json>)[k] = value;
  return root;
}

/** Fields the proxy inspects itself (validation, routing, session id, cache engine, translation): mutated more often. */
const HOT = new Set([
  'model', 'messages', 'content', 'role', 'system', 'tools', 'cache_control', 'max_tokens', 'stream', 'stream_options', 'metadata',
  'user_id', 'thinking', 'tool_choice', 'input', 'instructions', 'tool_calls', 'function', 'arguments', 'tool_call_id', 'type',
  'text', 'tool_use_id', 'prompt_cache_key', 'reasoning', 'reasoning_effort', 'max_completion_tokens', 'max_output_tokens',
  'input_schema', 'parameters', 'name', 'id', 'call_id', 'output', 'source', 'signature', 'ttl', 'response_format', 'n', 'stop',
]);

const MUTATIONS = ['replace', 'replace', 'replace', 'flip', 'delete', 'add-cache-control', 'add-key', 'duplicate', 'insert-block', 'wrap'] as const;

/** One to three structural mutations of a valid body; returns the new body and a short description. */
export function mutate(body: Obj, r: Rng): { value: Json; label: string } {
  let value: Json = structuredClone(body);
  const labels: string[] = [];
  const n = r.chance(0.6) ? 1 : 2 + r.int(2);
  for (let m = 0; m < n; m++) {
    const paths = allPaths(value);
    // A hot field, or an element of a hot array (tools.0, messages.2, content.1, tool_calls.0).
    const isHot = (p: Path) => p.length > 0 && (HOT.has(String(p.at(-1))) || (typeof p.at(-1) === 'number' && HOT.has(String(p.at(-2)))));
    const hot = paths.filter(isHot);
    const path = hot.length && r.chance(0.7) ? r.pick(hot) : r.pick(paths);
    const where = path.length ? path.join('.') : '(root)';
    const current = getAt(value, path);
    const kind = r.pick(MUTATIONS);
    switch (kind) {
      case 'replace': {
        const v = oddValue(r, current);
        value = setAt(value, path, v);
        labels.push(`${where}=${describe(v)}`);
        break;
      }
      case 'flip':
        if (current === undefined) break;
        value = setAt(value, path, flipType(current));
        labels.push(`flip ${where}`);
        break;
      case 'delete':
        if (!path.length) break;
        value = setAt(value, path, undefined);
        labels.push(`delete ${where}`);
        break;
      case 'add-cache-control': {
        const objects = paths.filter((p) => { const v = getAt(value, p); return v !== null && typeof v === 'object' && !Array.isArray(v); });
        if (!objects.length) break;
        const at = r.pick(objects);
        const cc = r.pick(CACHE_CONTROLS);
        (getAt(value, at) as Obj).cache_control = cc;
        labels.push(`${at.join('.') || '(root)'}.cache_control=${describe(cc)}`);
        break;
      }
      case 'add-key': {
        const objects = paths.filter((p) => { const v = getAt(value, p); return v !== null && typeof v === 'object' && !Array.isArray(v); });
        if (!objects.length) break;
        const at = r.pick(objects);
        const key = r.pick(['type', 'role', 'content', 'text', 'cache_control', 'input', 'tool_use_id', 'id', 'name', 'signature', 'citations', 'speed', 'stream', 'constructor', 'prototype', '']);
        const v = oddValue(r, undefined);
        (getAt(value, at) as Obj)[key] = v;
        labels.push(`${at.join('.') || '(root)'}.${key}+=${describe(v)}`);
        break;
      }
      case 'duplicate': {
        const arrays = paths.filter((p) => Array.isArray(getAt(value, p)) && (getAt(value, p) as Json[]).length > 0);
        if (!arrays.length) break;
        const at = r.pick(arrays);
        const arr = getAt(value, at) as Json[];
        const times = r.pick([1, 2, 5, 40]);
        for (let i = 0; i < times; i++) arr.push(structuredClone(arr[r.int(arr.length)]!));
        labels.push(`duplicate ${at.join('.')} x${times}`);
        break;
      }
      case 'insert-block': {
        const arrays = paths.filter((p) => { const k = String(p.at(-1)); return (k === 'content' || k === 'messages' || k === 'system' || k === 'tools' || k === 'input') && Array.isArray(getAt(value, p)); });
        if (!arrays.length) break;
        const at = r.pick(arrays);
        const v = oddValue(r, undefined);
        const arr = getAt(value, at) as Json[];
        arr.splice(r.int(arr.length + 1), 0, v);
        labels.push(`insert ${describe(v)} into ${at.join('.')}`);
        break;
      }
      case 'wrap':
        if (current === undefined) break;
        value = setAt(value, path, r.chance(0.5) ? [current] : { [String(path.at(-1) ?? 'v')]: current });
        labels.push(`wrap ${where}`);
        break;
    }
  }
  return { value, label: labels.join('; ') || 'unchanged' };
}

/** The plain wrong types the systematic pass puts at every position. */
export const WRONG_TYPES: readonly Json[] = [null, 'x', 0, [], {}, [null]];

/**
 * Systematic mutations: for every position of `body` (every field, array element and leaf), the body
 * with that one position replaced by `perPath` of WRONG_TYPES (null always, the others rotating so
 * that across positions each is used as often), and for every third position the body without it.
 */
export function everyPosition(body: Obj, perPath: number): Array<{ value: Json; label: string }> {
  const out: Array<{ value: Json; label: string }> = [];
  allPaths(body).slice(1).forEach((path, i) => {
    const where = path.join('.');
    for (let j = 0; j < perPath; j++) {
      // null at every position (what most unchecked reads trip on), the others rotating.
      const v = j === 0 ? null : WRONG_TYPES[1 + ((i * (perPath - 1) + j - 1) % (WRONG_TYPES.length - 1))]!;
      out.push({ value: setAt(structuredClone(body), path, structuredClone(v)), label: `${where}=${JSON.stringify(v)}` });
    }
    if (i % 3 === 0) out.push({ value: setAt(structuredClone(body), path, undefined), label: `delete ${where}` });
  });
  return out;
}

function describe(v: Json): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 40)}…(${s.length} chars)` : s;
}

// ---------------------------------------------------------------------------------------------
// Byte-level damage to valid JSON text

export function damageText(text: string, r: Rng): { body: Buffer; label: string } {
  const buf = Buffer.from(text, 'utf8');
  const at = r.int(buf.length);
  switch (r.int(14)) {
    case 0: return { body: buf.subarray(0, at), label: `truncated at ${at}/${buf.length}` };
    case 1: { const b = Buffer.from(buf); b[at] = r.int(256); return { body: b, label: `byte ${at} := ${b[at]}` }; }
    case 2: {
      const bad = r.pick([[0xff], [0xc0, 0x80], [0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]);
      // Inside a string value where possible, so the JSON stays well-formed text around invalid UTF-8.
      const q = buf.indexOf(0x22, at);
      const pos = q >= 0 && q < buf.length - 1 ? q + 1 : at;
      return { body: Buffer.concat([buf.subarray(0, pos), Buffer.from(bad), buf.subarray(pos)]), label: `invalid UTF-8 ${Buffer.from(bad).toString('hex')} at ${pos}` };
    }
    case 3: {
      const dup = r.pick(['"model":123,', '"model":"claude-sonnet-4-6",', '"messages":"x",', '"stream":true,', '"max_tokens":-5,', '"model":null,', '"input":5,']);
      return { body: Buffer.from(text.replace('{', `{${dup}`)), label: `duplicate key first: ${dup}` };
    }
    case 4: {
      const dup = r.pick([',"model":123', ',"model":"deepseek/deepseek-v4-flash"', ',"messages":[]', ',"stream":"yes"', ',"max_tokens":1.5', ',"messages":null', ',"input":{}']);
      const end = text.lastIndexOf('}');
      return { body: Buffer.from(text.slice(0, end) + dup + text.slice(end)), label: `duplicate key last: ${dup}` };
    }
    case 5: {
      const num = r.pick(['1e400', '-1e400', '99999999999999999999999999999', '-0', '1E+2', '4294967297', '9007199254740993', '0.0000000000000000000001', '-9223372036854775809', '1.0']);
      const t = text.replace(/("max_tokens"|"max_completion_tokens"|"max_output_tokens"|"budget_tokens"|"temperature"):\s*-?[\d.eE+]+/, `$1:${num}`);
      return { body: Buffer.from(t === text ? text.replace('{', `{"max_tokens":${num},`) : t), label: `number out of range ${num}` };
    }
    case 6: return { body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf]), label: 'UTF-8 BOM' };
    case 7: return { body: Buffer.concat([buf, Buffer.from(r.pick([' garbage', '}', ']', ',', '\u0000', '{}', '\n\n']))]), label: 'trailing bytes' };
    case 8: return { body: Buffer.from(text.replace(/,"/, ',/*c*/"')), label: 'comment' };
    case 9: return { body: Buffer.from(text.replace(/:(\d+)/, ':NaN')), label: 'NaN' };
    case 10: return { body: Buffer.from(text.replace(/"/g, "'")), label: 'single quotes' };
    case 11: return { body: Buffer.from(text.replace(/\}$/, ',}')), label: 'trailing comma' };
    case 12: return { body: Buffer.from(' \n\t'.repeat(r.int(20000)) + text + ' '.repeat(r.int(20000))), label: 'whitespace padding' };
    default: {
      // A string value turned into a lone surrogate escape / control escapes.
      const esc = r.pick(['\\ud800', '\\udc00\\ud800', '\\u0000', '\\uFFFF', '\\uD83D\\uDE00', '\\x41', '\\q']);
      return { body: Buffer.from(text.replace(/"text":"/, `"text":"${esc}`).replace(/"content":"/, `"content":"${esc}`)), label: `string escape ${esc}` };
    }
  }
}

/** Whole bodies that are not a request object at all. */
export const NON_OBJECT_BODIES: readonly string[] = [
  '', ' ', '\n', 'null', 'true', 'false', '0', '-1', '1e999', '"a string"', '""', '[]', '[{}]', '[null]', '{}', '{"model":null}',
  '{"model":"claude-sonnet-4-6"}', '{"messages":[]}', '{"model":"claude-sonnet-4-6","messages":[]}', '{"model":"","messages":[{"role":"user","content":"x"}],"max_tokens":1}',
  'undefined', 'NaN', '{', '}', '[', '{"a":', '{"model":"claude-sonnet-4-6",', '\u0000', '\uFEFF{}', 'model=claude&max_tokens=1',
  '<?xml version="1.0"?><a/>', '--boundary\r\nContent-Disposition: form-data; name="model"\r\n\r\nx\r\n--boundary--',
];
