/**
 * Synrouter's own work on a turn, in process, without the transport: parse (with the session's
 * previous body), session identity, and the rewrite (cache engine and splice) of the overhead
 * benchmark's conversation, replayed turn after turn. The transport and the scheduler make the
 * full benchmark's per-request figures vary by up to a millisecond between runs; this isolates the
 * part the code controls. Prints CPU per turn (all threads, collector included) and wall time.
 * Usage: node bench/overhead/stages.ts [seconds]
 */
import { agentConversation } from './body.ts';
import { CLIENT_PROTOCOLS } from '../../src/protocols/client-protocols.ts';
import { identifySession } from '../../src/session/identify-session.ts';
import { rewriteAnthropicRequest } from '../../src/rewrite/rewrite-request.ts';
import { DEFAULT_ENGINE_CONFIG } from '../../src/rewrite/cache-engine.ts';
import type { MessagesRequest } from '../../src/protocols/anthropic/wire.ts';
import type { SessionCacheState } from '../../src/session/session-state.ts';

const seconds = Number(process.argv[2] ?? 5);
const turns = agentConversation({ stream: false, targetBytes: 218_000, turns: 10, model: 'claude-sonnet-4-6' });
const headers = { 'x-claude-code-session-id': '5e55104d-bench-4000-8000-000000000001', 'user-agent': 'claude-cli/2.1.0 (external, cli)' };
const route = { upstreamModel: 'claude-sonnet-4-6', entry: { id: 'anthropic/claude-sonnet-4.6', name: '', context: 0, anthropicId: 'claude-sonnet-4-6', prices: null } };
const client = CLIENT_PROTOCOLS.messages!;
let state: SessionCacheState | undefined;
let now = Date.UTC(2026, 0, 1);

function turn(i: number): number {
  // A copy, as a socket read would hand over: the previous body must not be the same buffer.
  const raw = Buffer.from(turns[i % turns.length]!);
  const request = client.parse(raw, 'bench-slot') as MessagesRequest;
  const session = identifySession(headers, request, client.stable(request));
  now += 20_000;
  const out = rewriteAnthropicRequest({ raw, request, route, cache: { mode: 'coding', state, now, config: DEFAULT_ENGINE_CONFIG, fingerprint: session.fingerprint } });
  state = out.engine!.nextState;
  return out.body.length;
}

for (let i = 0; i < 300; i++) turn(i); // warm-up: compiled code, a full session state
const cpu0 = process.cpuUsage(), t0 = performance.now();
let n = 0;
while (performance.now() - t0 < seconds * 1000) turn(n++);
const wall = performance.now() - t0, cpu = process.cpuUsage(cpu0);
console.log(`${n} turns (${turns.length} bodies of ${Math.min(...turns.map((b) => b.length))}-${Math.max(...turns.map((b) => b.length))} bytes, replayed): `
  + `wall ${(wall / n).toFixed(3)} ms/turn, CPU ${((cpu.user + cpu.system) / 1000 / n).toFixed(3)} ms/turn (user ${(cpu.user / 1000 / n).toFixed(3)}, system ${(cpu.system / 1000 / n).toFixed(3)})`);
