/**
 * Agent-shaped Anthropic Messages request bodies for the overhead benchmark, generated
 * deterministically (same bytes every run): a Claude Code-like system (billing line + a long
 * prompt), ~20 tools with JSON schemas, and ~100 messages of tool_use / tool_result rounds whose
 * results hold source code with non-ASCII characters (so V8 strings are two-byte, as with real code).
 * Like Claude Code, the client marks its own cache breakpoints (end of system, last message); the
 * benchmark checks that the upstream saw more markers than the client sent (the cache engine added some).
 */

/** Small deterministic PRNG (mulberry32); the micro-benchmarks' inputs use it too. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['request', 'session', 'cache', 'prefix', 'token', 'stream', 'upstream', 'ledger', 'buffer', 'header', 'router',
  'budget', 'model', 'block', 'result', 'offset', 'parser', 'config', 'client', 'server', 'breakpoint', 'window', 'chunk'];
// Non-ASCII the way real code has it: typographic punctuation in comments, accented names, CJK strings, arrows, emoji.
const NON_ASCII = ['—', '→', '…', 'café', 'naïve', 'Zürich', '日本語', '✓', 'µs', '±', '“quoted”', 'Ω', '🚀', 'São Paulo'];

function sourceFile(r: () => number, approxChars: number, n: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const lines: string[] = [`// file ${n}: ${pick(WORDS)}-${pick(WORDS)}.ts ${pick(NON_ASCII)} generated for the overhead benchmark`,
    `import { ${pick(WORDS)}Store } from './${pick(WORDS)}.ts';`, ''];
  let size = 0;
  let f = 0;
  while (size < approxChars) {
    const a = pick(WORDS), b = pick(WORDS);
    const fn = [
      `/** Returns the ${a} for a ${b} ${pick(NON_ASCII)} (see "${pick(WORDS)}" in docs/${a}.md). */`,
      `export function ${a}${b[0]!.toUpperCase()}${b.slice(1)}${f++}(input: ${a[0]!.toUpperCase()}${a.slice(1)}, limit = ${Math.floor(r() * 4096)}): string | null {`,
      `  if (!input || input.length > limit) return null; // ${pick(NON_ASCII)} bounded`,
      `  const parts = input.${b}.split('\\t').map((s) => s.trim());`,
      `  for (let i = 0; i < parts.length; i++) {`,
      `    if (parts[i] === "${pick(WORDS)}") throw new Error(\`unexpected ${b} at \${i} — ${pick(NON_ASCII)}\`);`,
      `  }`,
      `  return JSON.stringify({ ${a}: parts, "${b}": ${Math.floor(r() * 1e6)}, note: '${pick(NON_ASCII)}' });`,
      `}`, '',
    ];
    for (const l of fn) { lines.push(l); size += l.length + 1; }
  }
  return lines.join('\n');
}

const TOOL_NAMES = ['Bash', 'Read', 'Edit', 'MultiEdit', 'Write', 'Glob', 'Grep', 'LS', 'NotebookEdit', 'NotebookRead', 'WebFetch',
  'WebSearch', 'TodoWrite', 'Task', 'ExitPlanMode', 'BashOutput', 'KillShell', 'SlashCommand', 'mcp__github__search_code', 'mcp__github__create_issue'];

function tool(r: () => number, name: string): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  const nProps = 3 + Math.floor(r() * 4);
  for (let i = 0; i < nProps; i++) {
    const w = WORDS[Math.floor(r() * WORDS.length)]!;
    props[`${w}_${i}`] = { type: i % 3 === 0 ? 'integer' : 'string', description: `The ${w} to use for ${name}. ${'Must be an absolute path or a relative one — never a URL. '.repeat(1 + Math.floor(r() * 3))}` };
  }
  return {
    name,
    description: `${name}: ${'Performs the operation on the local workspace and returns its output. Use it when the user asks for it; prefer it over guessing. '.repeat(3 + Math.floor(r() * 5))}`,
    input_schema: { type: 'object', properties: props, required: Object.keys(props).slice(0, 2), additionalProperties: false, $schema: 'http://json-schema.org/draft-07/schema#' },
  };
}

export interface BodyOptions {
  stream: boolean;
  /** Approximate size in bytes (the body is grown in whole tool rounds until it reaches this). */
  targetBytes: number;
  model?: string;
  seed?: number;
  /** Number of messages to aim for (tool_result sizes are derived from it). */
  messages?: number;
  /** Number of tool definitions (default 20). */
  tools?: number;
  /** Claude Code's own cache_control markers on the last system block and the last message (default true). */
  clientMarkers?: boolean;
}

/**
 * The Claude Code-style request body, its members in Claude Code's order (clients.md: model,
 * messages, system, tools, metadata, max_tokens, ..., stream).
 */
export function agentBody(opts: BodyOptions): Buffer {
  return agentConversation({ ...opts, turns: 1 })[0]!;
}

/**
 * The last `turns` requests of one Claude Code conversation that ends with the `agentBody` of the
 * same options: each is the one before with one more tool round (assistant tool_use + user
 * tool_result), and Claude Code's marker on the last message moves with it, as real sessions send.
 */
export function agentConversation(opts: BodyOptions & { turns: number }): Buffer[] {
  const r = rng(opts.seed ?? 42);
  const model = opts.model ?? 'claude-sonnet-4-6';
  const nMessages = opts.messages ?? 100;
  const system: Array<Record<string, unknown>> = [
    { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.0.bench; cc_entrypoint=cli;' },
    { type: 'text', text: 'You are Claude Code, Anthropic\'s official CLI for Claude.' },
    { type: 'text', text: ('You are an interactive CLI tool that helps users with software engineering tasks. Use the instructions below and the tools available to you to assist the user. '
      + 'IMPORTANT: Assist with defensive security tasks only. Keep answers short — fewer than 4 lines unless asked. Never guess a file’s contents: read it first.\n').repeat(Math.max(1, Math.round(opts.targetBytes / 20_000))) },
  ];
  const markers = opts.clientMarkers ?? true;
  if (markers) system.at(-1)!.cache_control = { type: 'ephemeral' };
  const tools = TOOL_NAMES.slice(0, opts.tools ?? 20).map((n) => tool(r, n));
  const tail = { system, tools,
    metadata: { user_id: JSON.stringify({ device_id: 'd3v1ce'.repeat(8), account_uuid: '00000000-0000-4000-8000-000000000000', session_id: '5e55104d-bench-4000-8000-000000000001' }) },
    max_tokens: 32000, stream: opts.stream };
  const fixed = Buffer.byteLength(JSON.stringify({ model, messages: [], ...tail }));
  const rounds = Math.max(1, Math.floor((nMessages - 1) / 2));
  // Per round: assistant (text + tool_use) and user (tool_result with a source file).
  const perRound = Math.max(200, Math.floor((opts.targetBytes - fixed - 400) / rounds));
  const messages: Array<{ role: string; content: Array<Record<string, unknown>> }> = [{ role: 'user', content: [{ type: 'text', text: 'Refactor the ledger so that rows are written in batches — keep the API the same, and run the tests. ✓' }] }];
  let size = fixed + Buffer.byteLength(JSON.stringify(messages));
  let i = 0;
  while (size < opts.targetBytes - 200) {
    const id = `toolu_01${(i * 7919 + 12345).toString(36).padStart(10, '0')}bench`;
    const assistant = { role: 'assistant', content: [
      { type: 'text', text: `I'll look at ${WORDS[i % WORDS.length]}.ts next — it holds the ${WORDS[(i + 3) % WORDS.length]} logic.` },
      { type: 'tool_use', id, name: TOOL_NAMES[i % 8]!, input: { file_path: `/work/project/src/${WORDS[i % WORDS.length]}/${WORDS[(i + 5) % WORDS.length]}.ts`, limit: 2000 } },
    ] };
    const aBytes = Buffer.byteLength(JSON.stringify(assistant));
    // Source text is mostly ASCII plus JSON escapes; aim the remainder of the round at the tool_result.
    const codeChars = Math.max(100, Math.min(perRound - aBytes - 120, opts.targetBytes - size - aBytes - 200));
    const user = { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: sourceFile(r, codeChars * 0.75, i) }] };
    messages.push(assistant, user);
    size += aBytes + Buffer.byteLength(JSON.stringify(user)) + 2;
    i++;
  }
  const out: Buffer[] = [];
  for (let t = opts.turns - 1; t >= 0; t--) {
    const upTo = Math.max(1, messages.length - 2 * t);
    const turn = messages.slice(0, upTo);
    if (markers) {
      const last = turn.at(-1)!;
      turn[turn.length - 1] = { ...last, content: [...last.content.slice(0, -1), { ...last.content.at(-1)!, cache_control: { type: 'ephemeral' } }] };
    }
    out.push(Buffer.from(JSON.stringify({ model, messages: turn, ...tail }), 'utf8'));
  }
  return out;
}

/** Facts about a body, for the report header. */
export function describeBody(buf: Buffer): string {
  const b = JSON.parse(buf.toString('utf8')) as { system: unknown[]; tools: unknown[]; messages: Array<{ content: unknown }> };
  const text = buf.toString('utf8');
  let nonAscii = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) nonAscii++;
  return `${buf.length.toLocaleString('en-US')} bytes, ${b.system.length} system blocks, ${b.tools.length} tools, ${b.messages.length} messages, ${nonAscii} non-ASCII chars, ${countMarkers(buf)} client cache_control markers`;
}

export function countMarkers(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf('"cache_control"'); i >= 0; i = buf.indexOf('"cache_control"', i + 1)) n++;
  return n;
}
