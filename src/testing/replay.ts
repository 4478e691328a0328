/**
 * Replays a scripted session through the cache engine and the simulator's cache model in-process
 * (no HTTP): what the provider would bill, turn by turn. Used by the engine's tests; the savings
 * benchmark does the same over HTTP through a real Synrouter.
 */
import { rewriteAnthropicRequest } from '../rewrite/rewrite-request.ts';
import { DEFAULT_ENGINE_CONFIG } from '../rewrite/cache-engine.ts';
import { anthropicStable, fingerprint } from '../session/fingerprint.ts';
import type { SessionCacheState } from '../session/session-state.ts';
import type { KeyMode } from '../store/keys.ts';
import type { InputUsage, MessagesRequest } from '../protocols/anthropic/wire.ts';
import { validateRequest } from '../simulator/validate-request.ts';
import type { ThinkingMode } from '../simulator/thinking.ts';
import { CacheStore, evaluateCache, markResponseBegun } from '../protocols/anthropic/cache-model.ts';
import type { ScriptedTurn } from './agent-sessions.ts';

export interface ReplayedTurn { usage: InputUsage; sent: Record<string, unknown>; changes: string[]; expectedMiss: string | null; state: SessionCacheState }

export function replaySession(turns: ScriptedTurn[], opts: { mode: KeyMode; store?: CacheStore; startMs?: number; engine?: boolean }): ReplayedTurn[] {
  const store = opts.store ?? new CacheStore();
  const start = opts.startMs ?? Date.UTC(2026, 0, 1);
  let state: SessionCacheState | undefined;
  return turns.map((t) => {
    const now = start + t.atMs;
    const raw = Buffer.from(JSON.stringify(t.body));
    const request = JSON.parse(raw.toString()) as MessagesRequest;
    const out = opts.engine === false
      ? { body: raw, changes: [], engine: undefined }
      : rewriteAnthropicRequest({
        raw, request,
        route: { upstreamModel: request.model, entry: { id: request.model, name: '', context: 0, anthropicId: request.model, prices: null } },
        cache: { mode: opts.mode, state, now, config: DEFAULT_ENGINE_CONFIG, fingerprint: fingerprint(anthropicStable(request)) },
      });
    const sent = JSON.parse(out.body.toString()) as Record<string, unknown>;
    const v = validateRequest(sent);
    if (!v.ok) throw new Error(`the simulator rejected the rewritten request: ${v.status} ${v.message}`);
    const plan = evaluateCache(store, { scope: 'key', model: request.model, prompt: v.prompt, startMs: now });
    markResponseBegun(store, plan, now);
    if (out.engine) state = out.engine.nextState;
    return { usage: plan.usage, sent, changes: out.changes.map((c) => `${c.kind} ${c.detail}`), expectedMiss: out.engine?.expectedMiss ?? null, state: state! };
  });
}

/** Token-weighted hit rate: cache read / all input tokens. */
export function hitRate(turns: Array<{ usage: InputUsage }>): number {
  let read = 0, all = 0;
  for (const { usage: u } of turns) {
    read += u.cache_read_input_tokens;
    all += u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
  }
  return all ? read / all : 0;
}

/**
 * The best any placement could do: each turn reads the longest prefix it shares with an earlier turn
 * that is still alive (last used within `ttlMs`, 1h being the longest the provider offers), provided
 * that prefix reaches the model's minimum. Computed on the prompts as sent (`thinking`: how the
 * simulated model thought on them, for the simulator's tool-loop rule, thinking.ts).
 */
export function oracleHitRate(turns: Array<{ sent: Record<string, unknown> }>, atMs: readonly number[], opts: { ttlMs?: number; minTokens?: number; thinking?: ThinkingMode } = {}): number {
  const ttl = opts.ttlMs ?? 60 * 60_000;
  const min = opts.minTokens ?? 1024;
  const prompts = turns.map((t) => {
    const v = validateRequest(t.sent, 'messages', { thinking: opts.thinking });
    if (!v.ok) throw new Error(v.message);
    return v.prompt.positions;
  });
  let read = 0, all = 0;
  prompts.forEach((p, i) => {
    all += p.at(-1)?.cumulativeTokens ?? 0;
    let best = 0;
    for (let s = 0; s < i; s++) {
      if (atMs[i]! - atMs[s]! >= ttl) continue;
      let k = 0;
      while (k < p.length && k < prompts[s]!.length && p[k]!.hash === prompts[s]![k]!.hash) k++;
      const tokens = k > 0 ? p[k - 1]!.cumulativeTokens : 0;
      if (tokens >= min) best = Math.max(best, tokens);
    }
    read += best;
  });
  return all ? read / all : 0;
}
