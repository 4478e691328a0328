// The request parser hands back the previous turn's objects for the part of a conversation a
// session already sent (json/parse-json.ts), and prompt hashes are remembered by block object
// (protocols/anthropic/prompt.ts). Both are safe only if nothing on the request path changes a
// parsed request, and only if the remembered results are the ones computed afresh. Checked here
// over whole scripted sessions: the parsed requests are frozen (a change throws), and every
// rewrite from a shared parse is byte-identical to the rewrite of a fresh JSON.parse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scriptSession, type SessionShape } from '../testing/agent-sessions.ts';
import { rewriteAnthropicRequest } from './rewrite-request.ts';
import { DEFAULT_ENGINE_CONFIG } from './cache-engine.ts';
import { anthropicStable, fingerprint } from '../session/fingerprint.ts';
import { parseJsonBody, validateMessagesRequest } from '../protocols/anthropic/validate-request.ts';
import { MESSAGES_SKELETON_DEPTH } from '../json/scan-json.ts';
import { PAIRS } from '../translate/pairs.ts';
import type { MessagesRequest } from '../protocols/anthropic/wire.ts';
import type { SessionCacheState } from '../session/session-state.ts';
import type { KeyMode } from '../store/keys.ts';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

const route = (model: string) => ({ upstreamModel: model, entry: { id: model, name: '', context: 0, anthropicId: model, prices: null } });

const SHAPES: Record<string, SessionShape> = {
  'Claude Code markers, results trimmed': { model: 'claude-sonnet-4-6', turns: 25, tools: 12, toolChars: 1500, systemChars: 12_000, resultChars: 60_000, markers: 'claude-code' },
  'no markers, wide turns': { model: 'claude-sonnet-4-6', turns: 20, tools: 8, toolChars: 800, systemChars: 6_000, resultChars: 3_000, markers: 'none', callsPerTurn: 12 },
};

for (const [name, shape] of Object.entries(SHAPES)) {
  for (const mode of ['coding', 'general'] as KeyMode[]) {
    test(`a shared parse is never changed and rewrites to the same bytes as a fresh one: ${name}, ${mode}`, () => {
      const slot = `shared-parse ${name} ${mode}`;
      let shared: SessionCacheState | undefined;
      let fresh: SessionCacheState | undefined;
      let reused = 0;
      let previous: MessagesRequest | undefined;
      for (const turn of scriptSession(shape)) {
        const raw = Buffer.from(JSON.stringify(turn.body));
        const request = deepFreeze(validateMessagesRequest(parseJsonBody(raw, MESSAGES_SKELETON_DEPTH, slot), 'messages'));
        if (previous && request.messages[0] === previous.messages[0]) reused++;
        previous = request;
        const plain = JSON.parse(raw.toString()) as MessagesRequest;
        assert.deepEqual(request, plain);
        const now = Date.UTC(2026, 0, 1) + turn.atMs;
        const a = rewriteAnthropicRequest({ raw, request, route: route(request.model), cache: { mode, state: shared, now, config: DEFAULT_ENGINE_CONFIG, fingerprint: fingerprint(anthropicStable(request)) } });
        const b = rewriteAnthropicRequest({ raw: Buffer.from(raw), request: plain, route: route(plain.model), cache: { mode, state: fresh, now, config: DEFAULT_ENGINE_CONFIG, fingerprint: fingerprint(anthropicStable(plain)) } });
        assert.equal(a.body.toString(), b.body.toString());
        assert.deepEqual(a.engine!.nextState, b.engine!.nextState);
        shared = a.engine!.nextState;
        fresh = b.engine!.nextState;
        // The Anthropic client on an OpenAI-chat upstream: the translator reads the same frozen objects.
        PAIRS['anthropic->openai-chat']!.translateRequest(request, { upstreamModel: 'deepseek/deepseek-v4-flash' });
      }
      assert.ok(reused > shape.turns / 2, `turns that reused the previous parse: ${reused}`);
    });
  }
}
