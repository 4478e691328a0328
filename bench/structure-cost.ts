/**
 * What a request's structure costs Synrouter (issue 21): for bodies of many small blocks, the
 * largest request within the caps and long agent sessions, the longest time the event loop was
 * held while serving it, the heap it grew by, and its latency against the same body sent straight
 * to the upstream in the same run. Synrouter runs in this process (so its event loop can be watched
 * with monitorEventLoopDelay); the simulator runs in a child process, so its own work is not counted.
 * Each body is sent twice under one session: the first turn is cold (nothing of it rendered yet),
 * the second is what every later turn of a session costs.
 *
 * Usage: node --expose-gc bench/structure-cost.ts [shape ...]   (npm run bench:structure)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { startSynrouter } from '../src/server/http-server.ts';
import { requestAtTheCaps } from '../src/testing/request-at-the-caps.ts';

const MODEL = 'claude-sonnet-4-6';
const TINY = '{"type":"text","text":"x"}';

/** One user message of `n` one-character text blocks (the issue's body at n = 1,165,077). */
const tinyBlocks = (n: number) => `{"model":"${MODEL}","max_tokens":16,"messages":[{"role":"user","content":[${`${TINY},`.repeat(n - 1)}${TINY}]}]}`;

/** `n` alternating messages of one tiny block each, then a prompt. */
const tinyMessages = (n: number) => `{"model":"${MODEL}","max_tokens":16,"messages":[${Array.from({ length: n }, (_, i) => `{"role":"${i % 2 ? 'assistant' : 'user'}","content":[${TINY}]}`).join(',')},{"role":"user","content":"go"}]}`;

/** A coding-agent session: `rounds` tool rounds (text + tool_use, then a tool_result of `resultBytes`), 20 tools, a long system prompt. */
function session(rounds: number, resultBytes: number): string {
  const messages: unknown[] = [{ role: 'user', content: [{ type: 'text', text: 'Fix the failing test in src/app.ts. '.repeat(20) }] }];
  for (let i = 0; i < rounds; i++) {
    messages.push({ role: 'assistant', content: [{ type: 'text', text: `Reading file ${i}.` }, { type: 'tool_use', id: `toolu_${i}`, name: 'Read', input: { file_path: `/repo/src/file${i}.ts` } }] });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${i}`, content: 'const x = 1; // a line of code\n'.repeat(Math.ceil(resultBytes / 31)) }] });
  }
  const tools = Array.from({ length: 20 }, (_, i) => ({ name: `Tool${i}`, description: 'Does one thing well. '.repeat(40), input_schema: { type: 'object', properties: { a: { type: 'string' } } } }));
  return JSON.stringify({ model: MODEL, max_tokens: 16, system: [{ type: 'text', text: 'You are a coding agent. '.repeat(300) }], tools, messages });
}

const SHAPES: Record<string, { what: string; body: () => string }> = {
  'issue-30mb': { what: "the issue's 30 MB of 1.16 M tiny blocks (refused)", body: () => tinyBlocks(1_165_077) },
  'tiny-10k': { what: '10,000 tiny blocks in one message', body: () => tinyBlocks(10_000) },
  'tiny-msgs-40k': { what: '40,000 messages of one tiny block', body: () => tinyMessages(40_000) },
  'at-the-caps': { what: '1,000 tools + 50,000 blocks (the largest within the caps)', body: () => JSON.stringify(requestAtTheCaps(MODEL)) },
  'session-300': { what: 'agent session, 300 rounds of 2 KB results', body: () => session(300, 2000) },
  'session-3000': { what: 'agent session, 3,000 rounds of 500 B results', body: () => session(3000, 500) },
};

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) console.error('[bench] run with --expose-gc for heap figures (npm run bench:structure does)');

const child = spawn(process.execPath, ['--input-type=module', '-e', `
  const { startSimulator } = await import(${JSON.stringify(new URL('../src/simulator/simulator.ts', import.meta.url).href)});
  const sim = await startSimulator({ port: 0 });
  console.log(sim.url);`], { stdio: ['ignore', 'pipe', 'inherit'] });
const simUrl = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
const dir = mkdtempSync(join(tmpdir(), 'synrouter-structure-'));
const config = loadConfig({ env: { SYNROUTER_LOG_LEVEL: 'silent', SYNROUTER_ANTHROPIC_API_KEY: 'sim-key', SYNROUTER_ANTHROPIC_BASE_URL: simUrl, SYNROUTER_KEEPALIVE: '0' }, overrides: { port: 0, host: '127.0.0.1', dbPath: join(dir, 'synrouter.db') } });
const app = await startSynrouter(config);
const { key } = await app.deps.keys.create({ name: 'bench', mode: 'coding' });

const loop = monitorEventLoopDelay({ resolution: 1 });
async function send(url: string, headers: Record<string, string>, body: Uint8Array<ArrayBuffer>) {
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  loop.reset();
  loop.enable();
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  await res.arrayBuffer();
  const ms = performance.now() - started;
  loop.disable();
  const peak = process.memoryUsage().heapUsed - heapBefore;
  gc?.();
  return { status: res.status, ms, blockMs: loop.max / 1e6, peakMb: peak / 1e6, keptMb: (process.memoryUsage().heapUsed - heapBefore) / 1e6 };
}

const picked = process.argv.slice(2);
const rows: string[] = [];
for (const [name, shape] of Object.entries(SHAPES)) {
  if (picked.length > 0 && !picked.includes(name)) continue;
  const body = new Uint8Array(Buffer.from(shape.body()));
  process.stderr.write(`[bench] ${name}: ${(body.length / 1e6).toFixed(1)} MB ...\n`);
  const direct = await send(`${simUrl}/v1/messages`, { 'x-api-key': 'sim-key', 'anthropic-version': '2023-06-01' }, body);
  for (const turn of ['cold', 'warm']) {
    const r = await send(`${app.url}/api/anthropic/v1/messages`, { 'x-api-key': key, 'x-session-id': `bench-${name}` }, body);
    rows.push(`| ${shape.what} | ${(body.length / 1e6).toFixed(1)} | ${turn} | ${r.status} | ${r.blockMs.toFixed(0)} | ${r.ms.toFixed(0)} | ${direct.ms.toFixed(0)} | ${(r.ms / direct.ms).toFixed(2)} | ${r.peakMb.toFixed(0)} | ${r.keptMb.toFixed(0)} |`);
  }
}
console.log(`Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. Event loop: the longest it was held while the request was served (monitorEventLoopDelay, 1 ms resolution).`);
console.log('| body | MB | turn | status | event loop held, ms | latency, ms | direct, ms | latency / direct | heap peak, MB | heap kept, MB |');
console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|');
for (const row of rows) console.log(row);
await app.close({ graceMs: 100 });
child.kill();
rmSync(dir, { recursive: true, force: true });
