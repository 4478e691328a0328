/**
 * Rewriting an Anthropic-format request: the upstream's model id and fast mode, and (for Claude
 * models) the cache engine. All edits are spliced into the client's own bytes in one pass; the same
 * inputs give the same bytes.
 */
import { forgetScan, MESSAGES_SKELETON_DEPTH, scanned, structure, type ObjectNode } from '../json/scan-json.ts';
import { insertMember, replaceValue, splice, type Edit, type Spliced } from '../json/splice.ts';
import type { MessagesRequest } from '../protocols/anthropic/wire.ts';
import { minCacheableTokens } from '../protocols/anthropic/cache-rules.ts';
import type { Prompt } from '../protocols/anthropic/prompt.ts';
import type { Route } from '../route/resolve-route.ts';
import type { SessionCacheState } from '../session/session-state.ts';
import type { Fingerprint } from '../session/fingerprint.ts';
import type { KeyMode } from '../store/keys.ts';
import { engineSteps, type Change, type EngineConfig, type MissReason } from './cache-engine.ts';
import { runToEnd, type Steps } from '../time-slices.ts';
import type { KeepAliveTerms } from './choose-ttl.ts';

export interface Rewritten {
  body: Spliced;
  changes: Change[];
  /** Present when the cache engine ran. */
  engine?: { nextState: SessionCacheState; expectedMiss: MissReason | null; clientPrompt?: Prompt };
}


export type RewriteOptions = Parameters<typeof rewriteSteps>[0];

export function rewriteAnthropicRequest(opts: RewriteOptions): Rewritten {
  return runToEnd(rewriteSteps(opts));
}

/** rewriteAnthropicRequest as steps: the cache engine renders a long conversation in pieces (time-slices.ts). */
export function* rewriteSteps(opts: {
  raw: Buffer;
  request: MessagesRequest;
  route: Pick<Route, 'upstreamModel' | 'speed' | 'entry'>;
  cache?: { mode: KeyMode; state: SessionCacheState | undefined; now: number; config: EngineConfig; fingerprint: Fingerprint; keepAlive?: KeepAliveTerms };
  /** Keep the body's skeleton for a second rewrite of the same bytes (shadow keys); the last one drops it. */
  keepScan?: boolean;
}): Steps<Rewritten> {
  const { raw, request, route } = opts;
  const edits: Edit[] = [];
  const changes: Change[] = [];
  const needsModel = request.model !== route.upstreamModel;
  const needsSpeed = route.speed !== undefined && request.speed === undefined;
  // Cache breakpoints are an Anthropic-model feature; other models cache by prefix on their own (protocols.md §7).
  const useEngine = opts.cache !== undefined && route.entry.anthropicId !== undefined;
  if (!needsModel && !needsSpeed && !useEngine) { forgetScan(raw); return { body: splice(raw, []), changes }; }

  // Usually scanned already, when the body was parsed (json/parse-json.ts). Only the engine hashes
  // blocks, so only it needs the audit of where the bytes differ from JSON.stringify's form.
  const { root: scannedRoot, canonical } = useEngine ? scanned(raw, MESSAGES_SKELETON_DEPTH) : { root: structure(raw, 1), canonical: undefined };
  const root = scannedRoot as ObjectNode;
  if (needsModel) {
    edits.push(replaceValue(root.entries.get('model')!, JSON.stringify(route.upstreamModel)));
    changes.push({ kind: 'model', detail: `${request.model} -> ${route.upstreamModel}` });
  }
  if (needsSpeed) {
    edits.push(insertMember(root, 'speed', JSON.stringify(route.speed)));
    changes.push({ kind: 'speed', detail: `speed: ${route.speed}` });
  }
  let engine: Rewritten['engine'];
  if (useEngine) {
    const c = opts.cache!;
    const out = yield* engineSteps({
      raw, root, canonical, request, mode: c.mode, state: c.state, now: c.now, config: c.config, fingerprint: c.fingerprint, ...(c.keepAlive ? { keepAlive: c.keepAlive } : {}),
      minTokens: minCacheableTokens(route.upstreamModel),
    });
    edits.push(...out.edits);
    changes.push(...out.changes);
    engine = { nextState: out.nextState, expectedMiss: out.expectedMiss, ...(out.clientPrompt ? { clientPrompt: out.clientPrompt } : {}) };
  }
  // The skeleton is not needed after this (a later use scans again): it should not stay in memory
  // while the response streams, nor for minutes with an unchanged body kept for keep-alive.
  if (!opts.keepScan) forgetScan(raw);
  return { body: splice(raw, edits), changes, ...(engine ? { engine } : {}) };
}
