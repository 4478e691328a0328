/**
 * The cache engine for Anthropic-format requests: a pure function of (request bytes, session state,
 * mode, config) that returns byte edits, what it did, the next session state, and, when the cache
 * is expected to miss, why. Steps: replay/decide tool_result trims -> (general mode) order tools in
 * stable layers -> render the prompt as the cache sees it -> plan breakpoints -> edits.
 */
import type { KeyMode } from '../store/keys.ts';
import { promptSteps, type Prompt } from '../protocols/anthropic/prompt.ts';
import { runToEnd, type Steps } from '../time-slices.ts';
import { TTL_MS } from '../protocols/anthropic/cache-rules.ts';
import type { JsonObject } from '../json/json-object.ts';
import type { MessagesRequest, Ttl } from '../protocols/anthropic/wire.ts';
import { child, type Canonical, type JsonNode, type ObjectNode } from '../json/scan-json.ts';
import { applyEdits, insertMember, replaceValue, type Edit } from '../json/splice.ts';
import type { Fingerprint } from '../session/fingerprint.ts';
import { shortHash, type SessionCacheState } from '../session/session-state.ts';
import { planBreakpoints, type Placement } from './plan-breakpoints.ts';
import { chooseStableTtl, chooseTtl, type KeepAliveTerms } from './choose-ttl.ts';
import { trimToolResults, type TextEdit, type TrimPolicy } from './trim-tool-results.ts';
import { layerTools } from './layer-tools.ts';

export type MissReason = 'new_session' | 'model_changed' | 'tools_changed' | 'system_changed' | 'ttl_expired' | 'prefix_edited' | 'below_minimum';

export interface Change { kind: 'breakpoint' | 'trim' | 'reorder_tools' | 'model' | 'speed' | 'cache_key' | 'translate' | 'shadow'; detail: string }

export interface EngineConfig {
  trim: Readonly<Record<KeyMode, TrimPolicy>>;
  /** 'adaptive' (default): 5m or 1h per session by expected cost; '5m' / '1h' force one (benchmarks, operators). */
  ttl?: 'adaptive' | '5m' | '1h';
  layerPatterns?: Readonly<Record<string, string>>;
}

export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  trim: {
    coding: { thresholdChars: 40_000, headChars: 12_000, tailChars: 8_000, errorFactor: 4 },
    general: { thresholdChars: 16_000, headChars: 6_000, tailChars: 4_000, errorFactor: 4 },
  },
};

export interface EngineInput {
  raw: Buffer;
  /** The skeleton of `raw` (scan-json), shared with the other rewrite steps. */
  root: ObjectNode;
  /** Where `raw` is not in JSON.stringify's form (scan-json): with it, blocks are hashed from their bytes. */
  canonical?: Canonical;
  request: MessagesRequest;
  mode: KeyMode;
  state: SessionCacheState | undefined;
  now: number;
  minTokens: number;
  config: EngineConfig;
  fingerprint: Fingerprint;
  /** Set when this session's 5m entries will be kept warm by keep-alive pings (Anthropic direct). */
  keepAlive?: KeepAliveTerms;
}

export interface EngineResult {
  edits: Edit[];
  changes: Change[];
  nextState: SessionCacheState;
  /** Why the cache is expected to miss this turn, or null when a hit is expected. */
  expectedMiss: MissReason | null;
  fingerprint: Fingerprint;
  /** The client's own request as the cache sees it, when the engine rendered exactly that (no trims, no reordering). */
  clientPrompt?: Prompt;
}

const MAX_GAPS = 50;
const marker = (ttl: Ttl) => (ttl === '1h' ? '{"type":"ephemeral","ttl":"1h"}' : '{"type":"ephemeral"}');

export function runCacheEngine(input: EngineInput): EngineResult {
  return runToEnd(engineSteps(input));
}

/** runCacheEngine as steps (its prompt is rendered in pieces), to be run in slices (time-slices.ts). */
export function* engineSteps(input: EngineInput): Steps<EngineResult> {
  const { request, state, mode } = input;
  const fp = input.fingerprint;
  const changes: Change[] = [];

  // 1. tool_result trims: old decisions replayed, new blocks decided once.
  const forwarded = new Set<string>();
  if (state) {
    for (let i = 0; i < Math.min(state.messageCount, request.messages.length); i++) {
      const m = request.messages[i]!;
      if (Array.isArray(m.content)) for (const b of m.content) if (b.type === 'tool_result' && typeof b.tool_use_id === 'string' && !state.trims[b.tool_use_id]) forwarded.add(b.tool_use_id);
    }
  }
  const trims = trimToolResults({ messages: request.messages, decisions: state?.trims ?? {}, policy: input.config.trim[mode], forwarded });
  for (const t of trims.edits) changes.push({ kind: 'trim', detail: `${t.path}: -${t.removedChars} chars` });

  // 2. general mode: stable tool layers (not when the client marks tools itself: its marker would move).
  const tools = request.tools ?? [];
  const clientMarksTools = tools.some((t) => t.cache_control != null);
  const layering = mode === 'general' && tools.length > 1 && !clientMarksTools ? layerTools(tools as Array<{ name?: unknown }>, input.config.layerPatterns) : undefined;
  const reordered = layering && layering.order.some((o, i) => o !== i) ? layering.order : undefined;
  if (reordered) changes.push({ kind: 'reorder_tools', detail: `tools in layers: ${Object.keys(layering!.layerEnds).join(', ')}` });

  // 3. the prompt as the cache will see it.
  const view = viewAfterEdits(request, trims.edits, reordered);
  const prompt = yield* promptSteps(view, input.canonical ? {
    raw: input.raw, root: input.root, canonical: input.canonical, request, ...(reordered ? { toolOrder: reordered } : {}),
  } : undefined);
  const hashes: string[] = new Array(prompt.positions.length);
  for (let i = 0; i < hashes.length; i++) hashes[i] = shortHash(prompt.positions[i]!.hash);
  const finalMessageFrom = firstPositionOfMessage(prompt, request.messages.length - 1);
  const lcp = state ? commonPrefix(state.lastHashes, hashes) : 0;
  // The last request's final message did not survive: predict that this one's will not either.
  const tailVolatile = !!state && lcp < state.lastHashes.length && lcp >= state.finalMessageFrom && state.finalMessageFrom > 0;

  // 4. plan
  const gaps = state ? [...state.gaps, input.now - state.lastAt].slice(-MAX_GAPS) : [];
  const prefixTokens = lcp > 0 ? prompt.positions[lcp - 1]!.cumulativeTokens : 0;
  const policy = input.config.ttl ?? 'adaptive';
  const conversationTtl = policy !== 'adaptive' ? policy : chooseTtl(gaps, prefixTokens, prompt.totalTokens - prefixTokens, input.keepAlive);
  const startedAt = state?.startedAt ?? input.now;
  // Keep-alive pings refresh the whole prefix, stable part included: it needs no 1h of its own then.
  const stableTtl = policy !== 'adaptive' || input.keepAlive ? conversationTtl : chooseStableTtl({ sessionAgeMs: input.now - startedAt, gapsMs: gaps });
  const ttl = { stable: stableTtl, conversation: conversationTtl };
  const systemEnd = lastIndex(prompt, 'system');
  const toolsEnd = lastIndex(prompt, 'tools');
  const layerEnd = layering ? Math.max(layering.layerEnds.core ?? -1, layering.layerEnds.extended ?? -1, layering.layerEnds.platform ?? -1) : -1;
  const stableEnds = mode === 'general' ? [layerEnd, systemEnd, toolsEnd] : [systemEnd, toolsEnd];
  const previousBreakpoints = state ? state.breakpoints.map((b) => b.hash) : [];
  const placements = planBreakpoints({
    prompt, hashes, minTokens: input.minTokens, ttl, previousBreakpoints, stableEnds,
    ...(tailVolatile && finalMessageFrom > 0 ? { volatileFrom: finalMessageFrom } : {}),
  });
  for (const p of placements) changes.push({ kind: 'breakpoint', detail: `${prompt.positions[p.index]!.path} ${p.role} ${p.ttl}` });

  // 5. edits into the client's bytes
  const edits = [...textEdits(input.root, trims.edits), ...markerEdits(input.raw, input.root, prompt, placements, reordered)];

  const nextState: SessionCacheState = {
    model: request.model, fingerprint: fp, lastAt: input.now, lastHashes: hashes, finalMessageFrom,
    messageCount: request.messages.length,
    breakpoints: allBreakpoints(prompt, placements).map((b) => ({ hash: hashes[b.index]!, ttl: b.ttl })),
    tailVolatile, trims: trims.decisions, gaps, ttl: conversationTtl, startedAt, turns: (state?.turns ?? 0) + 1,
  };
  const clientPrompt = trims.edits.length === 0 && !reordered ? prompt : undefined;
  return { edits, changes, nextState, expectedMiss: expectMiss(input, prompt, hashes, fp), fingerprint: fp, ...(clientPrompt ? { clientPrompt } : {}) };
}

function expectMiss(input: EngineInput, prompt: Prompt, hashes: string[], fp: Fingerprint): MissReason | null {
  const { state } = input;
  if (!state) return 'new_session';
  if (state.model !== input.request.model) return 'model_changed';
  if (state.fingerprint.tools !== fp.tools) return 'tools_changed';
  if (state.fingerprint.system !== fp.system) return 'system_changed';
  // The deepest write decides: a 1h stable prefix under a 5m conversation still loses the conversation.
  const ttl = state.breakpoints.at(-1)?.ttl ?? '5m';
  if (input.now - Math.max(state.lastAt, state.refreshedAt ?? 0) >= TTL_MS[ttl]) return 'ttl_expired';
  // The last turn's deepest write must be in this request, or the conversation is re-written from the edit on.
  const deepest = state.breakpoints.at(-1);
  if (deepest && !hashes.includes(deepest.hash)) return 'prefix_edited';
  if (prompt.totalTokens < input.minTokens) return 'below_minimum';
  return null;
}

/** The request as it will be forwarded (trimmed, tools reordered), for rendering; shares unchanged parts. */
function viewAfterEdits(request: MessagesRequest, edits: TextEdit[], order: number[] | undefined): MessagesRequest {
  const view: MessagesRequest = { ...request };
  if (order) view.tools = order.map((i) => request.tools![i]!);
  if (edits.length) {
    const messages = [...request.messages];
    for (const e of edits) {
      const [, mi, , bi, , ii] = e.path.split('.');
      const m = { ...messages[Number(mi)]! };
      const content = [...(m.content as JsonObject[])];
      const block = { ...content[Number(bi)]! };
      if (ii === undefined) block.content = e.text;
      else {
        const inner = [...(block.content as JsonObject[])];
        inner[Number(ii)] = { ...inner[Number(ii)]!, text: e.text };
        block.content = inner;
      }
      content[Number(bi)] = block;
      m.content = content;
      messages[Number(mi)] = m;
    }
    view.messages = messages;
  }
  return view;
}

function textEdits(root: ObjectNode, edits: TextEdit[]): Edit[] {
  return edits.map((e) => replaceValue(nodeAt(root, e.path)!, JSON.stringify(e.text)));
}

/** Inserts our markers; reordered tools are re-emitted from their original bytes in the new order. */
function markerEdits(raw: Buffer, root: ObjectNode, prompt: Prompt, placements: Placement[], order: number[] | undefined): Edit[] {
  const edits: Edit[] = [];
  const toolMarkers = new Map<number, Ttl>();
  for (const p of placements) {
    const path = prompt.positions[p.index]!.path;
    if (path.startsWith('tools.')) { toolMarkers.set(Number(path.split('.')[1]), p.ttl); continue; }
    const node = nodeAt(root, path)!;
    if (node.kind === 'object') edits.push(insertMember(node, 'cache_control', marker(p.ttl)));
    else edits.push(replaceValue(node, `[{"type":"text","text":${raw.toString('utf8', node.start, node.end)},"cache_control":${marker(p.ttl)}}]`));
  }
  if (!order && toolMarkers.size === 0) return edits;
  const toolsNode = child(root, 'tools');
  if (toolsNode?.kind !== 'array') return edits;
  if (!order) {
    for (const [i, ttl] of toolMarkers) edits.push(insertMember(toolsNode.items[i] as ObjectNode, 'cache_control', marker(ttl)));
    return edits;
  }
  const items = order.map((orig, i) => {
    const item = toolsNode.items[orig]!;
    const ttl = toolMarkers.get(i);
    if (!ttl) return raw.toString('utf8', item.start, item.end);
    // The same splice as in place, relative to the item's own bytes.
    const edit = insertMember(item as ObjectNode, 'cache_control', marker(ttl));
    return applyEdits(raw.subarray(item.start, item.end), [{ ...edit, start: edit.start - item.start, end: edit.end - item.start }]).toString('utf8');
  });
  edits.push(replaceValue(toolsNode, `[${items.join(',')}]`));
  return edits;
}

export function nodeAt(root: JsonNode, path: string): JsonNode | undefined {
  let node: JsonNode | undefined = root;
  for (const part of path.split('.')) node = child(node, /^\d+$/.test(part) ? Number(part) : part);
  return node;
}

/** Every breakpoint of the forwarded request, in prompt order (deepest last). */
function allBreakpoints(prompt: Prompt, ours: Placement[]): Array<{ index: number; ttl: Ttl }> {
  const all: Array<{ index: number; ttl: Ttl }> = [];
  for (const m of prompt.markers) all.push({ index: m.position, ttl: m.ttl });
  for (const p of ours) all.push(p);
  if (prompt.topLevel) {
    for (let i = prompt.positions.length - 1; i >= 0; i--) if (prompt.positions[i]!.cacheable) { all.push({ index: i, ttl: prompt.topLevel.ttl }); break; }
  }
  return all.sort(byIndex);
}

const byIndex = (a: { index: number }, b: { index: number }) => a.index - b.index;

function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function lastIndex(prompt: Prompt, segment: 'tools' | 'system'): number {
  for (let i = prompt.positions.length - 1; i >= 0; i--) if (prompt.positions[i]!.segment === segment) return i;
  return -1;
}

/** Index of the first position of message `m`, -1 when it has none; searched from the end (it is asked for the last message). */
function firstPositionOfMessage(prompt: Prompt, m: number): number {
  const prefix = `messages.${m}.`, whole = `messages.${m}.content`;
  const { positions } = prompt;
  let first = -1;
  for (let i = positions.length - 1; i >= 0; i--) {
    const path = positions[i]!.path;
    if (path.startsWith(prefix) || path === whole) first = i;
    else if (first >= 0 || positions[i]!.segment !== 'messages') break;
  }
  return first;
}
