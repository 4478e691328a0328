/**
 * Summarises a V8 .cpuprofile (node --cpu-prof) of Synrouter under load: main-thread time per
 * request split into pipeline stages (the deepest Synrouter stage function on each sampled stack
 * wins, so the stages partition the time), top self-time functions, and inclusive time of chosen
 * functions. Usage: node bench/overhead/profile-summary.ts FILE.cpuprofile [requests]
 */
import { readFileSync } from 'node:fs';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/**
 * Stage rules, tried on each frame from the leaf up; the deepest frame that matches names the stage.
 * `fn` (function name) and `file` (URL suffix) are regexes. File-based so that the summary keeps
 * working while the code moves.
 */
interface Rule { fn?: RegExp; file: RegExp; label: string }
const STAGES: Rule[] = [
  { fn: /^parseJsonBody$/, file: /validate-request\.ts$/, label: 'parse body (Buffer toString + JSON.parse)' },
  { file: /server\/read-body\.ts$/, label: 'readBody (collect chunks)' },
  { file: /protocols\/.*validate-request\.ts$|client-protocols\.ts$/, label: 'validate request' },
  { file: /session\/session-state\.ts$/, fn: /^flush$/, label: 'SQLite: session state upsert (JSON.stringify)' },
  { file: /session\/session-state\.ts$/, label: 'session state lookup' },
  { file: /session\//, label: 'session identity (fingerprint: stableJson + sha256)' },
  { file: /auth\/authenticate\.ts$/, label: 'authenticate (sha256 + SQLite key lookup)' },
  { file: /auth\/limits\.ts$/, label: 'per-key limits' },
  { file: /route\//, label: 'route' },
  { file: /translate\//, label: 'translate' },
  { file: /json\/(rescan|recent-bodies)\.ts$/, label: 'rescan (compare with the previous body, reuse its nodes)' },
  { file: /json\/scan-json\.ts$/, label: 'scanJson (byte skeleton)' },
  { file: /json\/splice\.ts$/, label: 'applyEdits (splice, Buffer.concat)' },
  { fn: /^buildPrompt$/, file: /anthropic\/prompt\.ts$/, label: 'buildPrompt (canonical JSON + sha256 chain per block)' },
  { file: /rewrite\/trim-tool-results\.ts$/, label: 'cache engine: trimToolResults' },
  { file: /rewrite\/plan-breakpoints\.ts$/, label: 'cache engine: planBreakpoints' },
  { file: /rewrite\//, label: 'cache engine / rewrite: rest' },
  { file: /keepalive\//, label: 'keep-alive bookkeeping' },
  { fn: /^routeHeaders$/, file: /send-upstream\.ts$/, label: 'routeHeaders' },
  { file: /upstream\/send-(upstream|with-retries)\.ts$/, label: 'sendUpstream (undici dispatch, body write)' },
  { file: /meter\/anthropic-usage\.ts$|meter\/openai-usage\.ts$/, label: 'meter: SSE watcher (parse events)' },
  { fn: /^tryParse$/, file: /read-bounded\.ts$/, label: 'meter: JSON response parse' },
  { file: /sse\//, label: 'stream back (relay, meter glue)' },
  { file: /store\/ledger\.ts$/, label: 'SQLite: ledger batch insert' },
  { file: /src\/turn\.ts$/, label: 'ledger row (toLedgerRow)' },
  { file: /meter\/metrics\.ts$/, label: 'metrics' },
  { file: /src\/handle-request\.ts$/, label: 'handleRequest: rest' },
  { file: /server\//, label: 'server glue' },
];
/** Ancestors that give context to everything under them (e.g. a second buildPrompt for the meter). */
const CONTEXTS: Rule[] = [
  { fn: /^evaluate$/, file: /meter\/(client-only-model|provider-cache-model)\.ts$/, label: 'client-only cost model' },
  { fn: /^(pingBody|keepWarm)$/, file: /(ping-body|handle-request)\.ts$/, label: 'keep-alive ping body' },
  { fn: /^rewriteAnthropicRequest$|^runCacheEngine$/, file: /rewrite\//, label: 'cache engine' },
];
const matches = (r: Rule, f: CallFrame) => r.file.test(f.url) && (!r.fn || r.fn.test(f.functionName));

/** Inclusive time of these (name, url fragment) is reported separately: the building blocks. */
const INCLUSIVE: Array<[string, string]> = [
  ['parseJsonBody', 'validate-request.ts'], ['toString', 'buffer'], ['utf8Slice', ''], ['identifySession', 'identify-session.ts'],
  ['stableJson', 'fingerprint.ts'], ['derivedSessionId', 'fingerprint.ts'], ['scanJson', 'scan-json.ts'], ['runCacheEngine', 'cache-engine.ts'],
  ['buildPrompt', 'prompt.ts'], ['canonicalJson', 'canonical.ts'], ['stripCacheControl', 'canonical.ts'], ['chain', 'prompt.ts'],
  ['tokensForBytes', ''], ['byteLength', ''], ['createHash', 'crypto'], ['update', 'crypto'], ['digest', 'crypto'],
  ['applyEdits', 'splice.ts'], ['concat', 'buffer'], ['sendUpstream', 'send-upstream.ts'], ['evaluate', 'meter/'],
  ['evaluateCache', 'cache-model.ts'], ['flush', 'ledger.ts'], ['flush', 'session-state.ts'], ['toLedgerRow', 'turn.ts'],
  ['push', 'anthropic-usage.ts'], ['pingBody', 'ping-body.ts'], ['admit', 'limits.ts'], ['(garbage collector)', ''],
];

function shortUrl(url: string): string {
  const i = url.indexOf('/src/');
  if (i >= 0) return url.slice(i + 1);
  const u = url.indexOf('/node_modules/');
  if (u >= 0) return url.slice(u + 14).replace(/^(undici)\/lib\//, 'undici/');
  return url.replace(/^node:internal\//, 'node:');
}

function otherLabel(leaf: CallFrame, stack: CallFrame[]): string {
  if (leaf.functionName === '(garbage collector)') return '(garbage collector)';
  if (leaf.functionName === '(idle)') return '(idle)';
  if (leaf.functionName === '(program)') return '(program: V8/native, not attributed)';
  if (stack.some((f) => /compileForInternalLoader|processTypeScriptCode|moduleEvaluation|compileSourceTextModule/.test(f.functionName))) return 'start-up (module loading, type stripping; not per request)';
  if (stack.some((f) => f.url.includes('crypto/hash'))) return 'sha256 (calling Synrouter frame lost to inlining)';
  if (stack.some((f) => f.url.includes('undici'))) return 'undici (response/socket handling outside the stages)';
  if (stack.some((f) => /_http_|node:http/.test(f.url))) return 'node:http server internals';
  if (stack.some((f) => /net|stream/.test(f.url))) return 'node net/streams internals';
  return 'other (timers, promises, misc)';
}

export function summarizeProfile(path: string, requests: number): string {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of prof.nodes) byId.set(n.id, n);
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stackOf = (id: number): CallFrame[] => {
    const out: CallFrame[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) out.push(byId.get(cur)!.callFrame);
    return out; // leaf first
  };
  const stackCache = new Map<number, { stage: string; selfKey: string; inclusive: string[] }>();
  const classify = (id: number) => {
    let c = stackCache.get(id);
    if (c) return c;
    const stack = stackOf(id);
    let stage: string | undefined;
    let depth = -1;
    for (let i = 0; i < stack.length && !stage; i++) {
      const r = STAGES.find((x) => matches(x, stack[i]!));
      if (r) { stage = r.label; depth = i; }
    }
    if (stage) {
      const ctx = stack.slice(depth + 1).map((f) => CONTEXTS.find((x) => matches(x, f))).find((x) => x !== undefined);
      if (ctx && !stage.startsWith(ctx.label)) stage = `${ctx.label}: ${stage}`;
    }
    const leaf = stack[0]!;
    const inclusive = new Set<string>();
    for (const f of stack) for (const [name, frag] of INCLUSIVE) if (f.functionName === name && f.url.includes(frag)) inclusive.add(`${name} ${frag}`.trim());
    // A nameless frame without a script is a native callback (e.g. Buffer.byteLength's UTF-8 count): name it by its caller.
    const caller = stack[1];
    const selfKey = !leaf.functionName && !leaf.url && caller
      ? `(native) in ${caller.functionName || '(anonymous)'}  ${shortUrl(caller.url)}`
      : `${leaf.functionName || '(anonymous)'}  ${shortUrl(leaf.url)}${leaf.url ? ':' + (leaf.lineNumber + 1) : ''}`;
    c = { stage: stage ?? otherLabel(leaf, stack), selfKey, inclusive: [...inclusive] };
    stackCache.set(id, c);
    return c;
  };

  const stage = new Map<string, number>();
  const self = new Map<string, { ms: number; stage: string }>();
  const incl = new Map<string, number>();
  let total = 0, idle = 0, startup = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const ms = (prof.timeDeltas[i + 1] ?? prof.timeDeltas[i] ?? 0) / 1000;
    const c = classify(prof.samples[i]!);
    total += ms;
    if (c.stage === '(idle)') { idle += ms; continue; }
    if (c.stage.startsWith('start-up')) { startup += ms; continue; }
    stage.set(c.stage, (stage.get(c.stage) ?? 0) + ms);
    const s = self.get(c.selfKey) ?? { ms: 0, stage: c.stage };
    s.ms += ms;
    self.set(c.selfKey, s);
    for (const k of c.inclusive) incl.set(k, (incl.get(k) ?? 0) + ms);
  }
  const busy = total - idle - startup;
  const per = (ms: number) => (ms / requests).toFixed(3);
  const pct = (ms: number) => ((100 * ms) / busy).toFixed(1) + '%';
  const lines: string[] = [];
  lines.push(`main thread: ${(total / 1000).toFixed(2)} s profiled, ${(busy / 1000).toFixed(2)} s busy serving (start-up ${(startup / 1000).toFixed(2)} s and idle left out), ${requests} requests -> ${per(busy)} ms busy per request`);
  lines.push('', 'Where the time goes (stages; deepest Synrouter stage on the stack wins; ms per request):', '');
  lines.push('| stage | ms/req | share |', '|---|---:|---:|');
  for (const [k, v] of [...stage].sort((a, b) => b[1] - a[1])) if (v / busy >= 0.002) lines.push(`| ${k} | ${per(v)} | ${pct(v)} |`);
  lines.push('', 'Top self-time functions (leaf frames; builtins such as JSON.parse/stringify count as their caller\'s self time):', '');
  lines.push('| function | ms/req | share | stage |', '|---|---:|---:|---|');
  for (const [k, v] of [...self].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) lines.push(`| \`${k}\` | ${per(v.ms)} | ${pct(v.ms)} | ${v.stage} |`);
  lines.push('', 'Inclusive time of building blocks (a function and everything it calls):', '');
  lines.push('| function | ms/req | share |', '|---|---:|---:|');
  for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1])) lines.push(`| \`${k}\` | ${per(v)} | ${pct(v)} |`);
  return lines.join('\n');
}

if (import.meta.main) {
  const [file, n] = process.argv.slice(2);
  if (!file) { console.error('usage: node bench/overhead/profile-summary.ts FILE.cpuprofile [requests]'); process.exit(2); }
  console.log(summarizeProfile(file, Number(n ?? 1)));
}
