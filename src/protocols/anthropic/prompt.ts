// The rendered prompt as the cache sees it: a flat sequence of positions in the order
// tools[0..] -> system[0..] -> messages[m].content[0..] (protocols.md 2.3), each with its tokens, the
// cumulative tokens of the prefix ending there, and a chained sha256 of that prefix.
//
// Hash chain: h(-1) = seed; h(i) = sha256(h(i-1) | segment | extra | canonical JSON of block i).
// `extra` carries what the block alone does not show:
//   * the role of the message, on the first block of each message;
//   * on the first message block of the request, the top-level parameters that change the rendered
//     conversation: tool_choice, thinking, output_config (protocols.md 2.8: changing them invalidates
//     the messages cache but not the tools/system caches). Explicit defaults count as omitted
//     (tool_choice {type:"auto"}, thinking {type:"disabled"}, output_config.effort "high").
// Since every hash covers all positions before it, any byte change at or before a block changes that
// block's hash and all later ones, and nothing else.
//
// With a `PromptSource` (the request's own bytes and their skeleton), a block whose bytes are already
// in JSON.stringify's form is hashed and counted from those bytes, minus its `cache_control` members,
// instead of being re-serialised: the same bytes, so the same hashes and token counts, at a fraction
// of the cost. Any other block is rendered with canonicalJson as before.

import { createHash } from 'node:crypto';
import {
  MESSAGE_OVERHEAD_TOKENS,
  canonicalJson,
  contentBlocks,
  isCacheableBlock,
  tokensForBytes,
} from './canonical.ts';
import { isObject, type JsonObject } from '../../json/json-object.ts';
import type { MessagesRequest, Ttl } from './wire.ts';
import { child, isCanonicalRange, memberCut, MESSAGES_SKELETON_DEPTH, piecesWithout, scanned, view, type Canonical, type JsonNode, type ObjectNode } from '../../json/scan-json.ts';
import { parsedFrom } from '../../json/parse-json.ts';
import { runToEnd, type Steps } from '../../time-slices.ts';

export type Segment = 'tools' | 'system' | 'messages';

export interface PromptPosition {
  index: number;
  segment: Segment;
  /** Path of the block in the request body, e.g. `tools.0`, `system.1`, `messages.3.content.0`. */
  path: string;
  /** The block's `type`; `tool` for a tool definition. */
  type: string;
  /** Tokens of this position (the first block of a message also carries the message overhead). */
  tokens: number;
  /** Tokens of the whole prefix 0..index. */
  cumulativeTokens: number;
  /** Chained sha256 (hex) of the prefix 0..index: the identity of a cache entry ending here. */
  hash: string;
  /** May carry a breakpoint (not thinking / redacted_thinking / empty text). */
  cacheable: boolean;
}

/** One explicit `cache_control` field found in the request. */
export interface CacheMarker {
  /** Index of the prompt position the marker belongs to (a marker nested in a tool_result's content
   *  belongs to the tool_result's position). */
  position: number;
  /** Path of the `cache_control` field, e.g. `messages.3.content.0.cache_control`. */
  path: string;
  /** The raw value, for shape validation. */
  value: unknown;
  ttl: Ttl;
  /** `type` of the block that carries the field. */
  blockType: string;
  /** True when the block is an empty text block. */
  emptyText: boolean;
}

export interface Prompt {
  positions: PromptPosition[];
  totalTokens: number;
  /** Explicit markers in prompt order (nested tool_result markers come before the tool_result's own). */
  markers: CacheMarker[];
  /** The top-level (automatic) `cache_control`, if present and not null. */
  topLevel: { value: unknown; ttl: Ttl } | null;
}

const SEED = createHash('sha256').update('synrouter-simulator/prefix/v1').digest('hex');

/** sha256(previous | NUL segment | NUL extra | NUL canonical): one update per piece of the canonical text. */
function chain(previous: string, segment: string, extra: string, canonical: ReadonlyArray<string | Uint8Array>): string {
  const hash = createHash('sha256').update(`${previous}\u0000${segment}\u0000${extra}\u0000`);
  for (const part of canonical) hash.update(part);
  return hash.digest('hex');
}

/**
 * What a block rendered to last time, by the block object: the request parser hands back the same
 * objects for the part of a conversation a session already sent (json/parse-json.ts), and a
 * position's hash and tokens follow from the block, the hash before it, its segment and its extra.
 */
interface Rendered { previous: string; segment: Segment; extra: string; overhead: number; hash: string; tokens: number }
const rendered = new WeakMap<object, Rendered>();

/**
 * What a whole message rendered to last time, by the message object: its positions and markers
 * (shared, never modified after they are built), valid at the same message index after the same
 * hash (which covers every earlier position, so also their number and tokens), with the same
 * top-level parameters still to place. Most of a turn is messages the session already sent:
 * replaying them skips the per-block work (paths, lookups, position objects), which was most of
 * buildPrompt's time.
 */
interface RenderedMessage {
  m: number; previous: string; params: string | null; paramsAfter: string | null;
  positions: PromptPosition[]; markers: CacheMarker[]; hash: string; cumulativeAfter: number;
}
const renderedMessages = new WeakMap<object, RenderedMessage>();

/** The bytes a request was parsed from, to hash blocks from (see the top of this file). */
export interface PromptSource {
  raw: Buffer;
  /** Skeleton of `raw`, scanned to MESSAGES_SKELETON_DEPTH at least. */
  root: ObjectNode;
  canonical: Canonical;
  /** What `raw` parses to. Blocks of the rendered request that are not this request's own objects
   *  (edited by the engine) are rendered from their objects. */
  request: MessagesRequest;
  /** tools[i] of the rendered request is tools[toolOrder[i]] of `request`. */
  toolOrder?: readonly number[];
}

/** The PromptSource of a request as parsed from a body (json/parse-json.ts), when it was. */
export function promptSourceOf(request: MessagesRequest): PromptSource | undefined {
  const raw = parsedFrom(request);
  if (!raw) return undefined;
  const { root, canonical } = scanned(raw, MESSAGES_SKELETON_DEPTH);
  return root.kind === 'object' ? { raw, root, canonical, request } : undefined;
}

const CACHE_CONTROL_MEMBER = '"cache_control":';
const TEXT_OPEN = '{"type":"text","text":';

/** [start, end) of a `"cache_control":value` member and the comma that goes with it. */
function memberSpan(raw: Buffer, value: JsonNode): [number, number] | undefined {
  const start = value.start - CACHE_CONTROL_MEMBER.length;
  if (raw.toString('latin1', start, value.start) !== CACHE_CONTROL_MEMBER) return undefined;
  return memberCut(raw, start, value.end);
}

/**
 * canonicalJson(block) as pieces of `raw`, or undefined when the bytes are not in canonical form or
 * the block is one whose stripping this does not follow (a tool_result nested in a tool_result).
 */
function blockBytes(source: PromptSource, node: JsonNode | undefined, block: JsonObject): Uint8Array[] | undefined {
  if (node?.kind !== 'object' || !isCanonicalRange(source.canonical, node.start, node.end)) return undefined;
  const { raw } = source;
  const cuts: Array<[number, number]> = [];
  const own = node.entries.get('cache_control');
  if (own) { const span = memberSpan(raw, own); if (!span) return undefined; cuts.push(span); }
  if (block.type === 'tool_result' && Array.isArray(block.content)) {
    const inner = node.entries.get('content');
    if (inner?.kind !== 'array' || inner.items.length !== block.content.length) return undefined;
    for (let i = 0; i < inner.items.length; i++) {
      const value = block.content[i] as unknown;
      if (!isObject(value)) continue;
      const item = inner.items[i]!;
      if (item.kind !== 'object' || (value.type === 'tool_result' && Array.isArray(value.content))) return undefined;
      const marker = item.entries.get('cache_control');
      if (marker) { const span = memberSpan(raw, marker); if (!span) return undefined; cuts.push(span); }
    }
    cuts.sort((a, b) => a[0] - b[0]);
  }
  return piecesWithout(raw, node.start, node.end, cuts);
}

/** canonicalJson of a string turned text block, from the string's bytes. */
function textBytes(source: PromptSource, node: JsonNode | undefined): Array<string | Uint8Array> | undefined {
  if (node?.kind !== 'leaf' || source.raw[node.start] !== 0x22 || !isCanonicalRange(source.canonical, node.start, node.end)) return undefined;
  return [TEXT_OPEN, view(source.raw, node.start, node.end), '}'];
}

export function markerTtl(value: unknown): Ttl {
  return isObject(value) && value.ttl === '1h' ? '1h' : '5m';
}

function hasMarker(block: JsonObject): boolean {
  return block.cache_control !== undefined && block.cache_control !== null;
}

/** Top-level parameters that are part of the rendered conversation, with defaults dropped. */
export function renderedParams(request: MessagesRequest): string {
  const params: JsonObject = {};
  const choice = request.tool_choice;
  if (isObject(choice) && !(choice.type === 'auto' && Object.keys(choice).length === 1)) {
    params.tool_choice = choice;
  }
  const thinking = request.thinking;
  if (isObject(thinking) && thinking.type !== 'disabled') params.thinking = thinking;
  const output = request.output_config;
  if (isObject(output)) {
    const kept: JsonObject = {};
    for (const [key, value] of Object.entries(output)) {
      if (key === 'effort' && value === 'high') continue;
      kept[key] = value;
    }
    if (Object.keys(kept).length > 0) params.output_config = kept;
  }
  return JSON.stringify(params);
}

/**
 * Renders a (shape-valid) request into prompt positions and collects its cache markers. With
 * `source`, blocks are hashed from the request's bytes where that gives the same result.
 */
export function buildPrompt(request: MessagesRequest, source?: PromptSource): Prompt {
  return runToEnd(promptSteps(request, source));
}

/** Positions rendered between two pauses of promptSteps: a few milliseconds of work at most. */
const PAUSE_EVERY = 256;

/** buildPrompt as steps that pause every PAUSE_EVERY positions, to be run in slices (time-slices.ts). */
export function* promptSteps(request: MessagesRequest, source?: PromptSource): Steps<Prompt> {
  const b = new PromptBuilder(source);
  let pauseAt = PAUSE_EVERY;
  const original = source?.request;

  const tools = request.tools ?? [];
  const toolNodes = source ? child(source.root, 'tools') : undefined;
  for (let i = 0; i < tools.length; i++) {
    const tool = tools[i];
    if (!isObject(tool)) continue;
    const from = source?.toolOrder ? source.toolOrder[i] : i;
    const parent = from !== undefined && original?.tools?.[from] === tool ? toolNodes : undefined;
    const index = b.add('tools', `tools.${i}`, tool, '', 0, tool, parent, from, false);
    if (hasMarker(tool)) b.markers.push({ ...marker(index, `tools.${i}`, tool), blockType: 'tool' });
  }

  const systemNode = original && original.system === request.system ? child(source!.root, 'system') : undefined;
  if (typeof request.system === 'string') {
    b.add('system', 'system', { type: 'text', text: request.system }, '', 0, undefined, systemNode, undefined, true);
  } else if (Array.isArray(request.system)) {
    for (let i = 0; i < request.system.length; i++) {
      const block = request.system[i];
      if (!isObject(block)) continue;
      const index = b.add('system', `system.${i}`, block, '', 0, block, systemNode, i, false);
      b.addMarkers(index, `system.${i}`, block);
    }
  }

  let params: string | null = renderedParams(request);
  const messageNodes = source ? child(source.root, 'messages') : undefined;
  for (let m = 0; m < request.messages.length; m++) {
    if (b.positions.length >= pauseAt) { pauseAt = b.positions.length + PAUSE_EVERY; yield; }
    const message = request.messages[m]!;
    const memo = renderedMessages.get(message);
    if (memo && memo.m === m && memo.previous === b.hash && memo.params === params) {
      b.replay(memo);
      params = memo.paramsAfter;
      continue;
    }
    const start = b.positions.length, markersFrom = b.markers.length, previous = b.hash, paramsBefore = params;
    const stringContent = typeof message.content === 'string';
    const blocks = contentBlocks(message.content);
    const originalContent = original?.messages[m]?.content;
    const contentNode = originalContent !== undefined && (stringContent ? originalContent === message.content : blocks.length === message.content.length)
      ? child(child(messageNodes, m), 'content') : undefined;
    for (let i = 0; i < blocks.length; i++) {
      if (b.positions.length >= pauseAt) { pauseAt = b.positions.length + PAUSE_EVERY; yield; }
      const block = blocks[i]!;
      const path = stringContent ? `messages.${m}.content` : `messages.${m}.content.${i}`;
      let extra = '';
      if (i === 0) extra = `role:${String(message.role)}`;
      if (params !== null) {
        extra = `params:${params}\u0000${extra}`;
        params = null;
      }
      // A block's bytes are the client's own only where the block is the parsed object itself.
      const parent = stringContent || (Array.isArray(originalContent) && originalContent[i] === block) ? contentNode : undefined;
      const index = b.add('messages', path, block, extra, i === 0 ? MESSAGE_OVERHEAD_TOKENS : 0, stringContent ? message : block, parent, stringContent ? undefined : i, stringContent);
      if (!stringContent) b.addMarkers(index, path, block);
    }
    renderedMessages.set(message, {
      m, previous, params: paramsBefore, paramsAfter: params,
      positions: b.positions.slice(start), markers: b.markers.slice(markersFrom), hash: b.hash, cumulativeAfter: b.cumulative,
    });
  }

  const top = request.cache_control;
  return {
    positions: b.positions,
    totalTokens: b.cumulative,
    markers: b.markers,
    topLevel: top === undefined || top === null ? null : { value: top, ttl: markerTtl(top) },
  };
}

/**
 * buildPrompt's running state (the hash chain, the token total, positions and markers) as an
 * object with methods rather than closures made per call: V8 drops the optimized code of closures
 * whose instances died at a full GC, and these ran ~300 times per turn (json/scan-json.ts, Scanner).
 */
class PromptBuilder {
  readonly positions: PromptPosition[] = [];
  readonly markers: CacheMarker[] = [];
  hash = SEED;
  cumulative = 0;
  readonly #source: PromptSource | undefined;

  constructor(source: PromptSource | undefined) {
    this.#source = source;
  }

  /**
   * `key`: the object the block's rendering is remembered by (the block, or the message of a string
   * content). The block's canonical JSON is taken from the request's bytes, where they will do, when
   * `parent` is given: from its child `at`, or (`at` undefined) from `parent` itself; `text`: the
   * node is a string that the block is the text block of.
   */
  add(segment: Segment, path: string, block: JsonObject, extra: string, overhead: number, key: object | undefined, parent: JsonNode | undefined, at: string | number | undefined, text: boolean): number {
    const known = key && rendered.get(key);
    let tokens: number;
    if (known && known.previous === this.hash && known.segment === segment && known.extra === extra && known.overhead === overhead) {
      tokens = known.tokens;
      this.hash = known.hash;
    } else {
      const source = this.#source;
      const node = parent && at !== undefined ? child(parent, at) : parent;
      const pieces = !source || !parent ? undefined : text ? textBytes(source, node) : blockBytes(source, node, block);
      let length = 0;
      let canonical: ReadonlyArray<string | Uint8Array>;
      if (pieces) {
        for (const part of pieces) length += part.length; // string parts are ASCII
        canonical = pieces;
      } else {
        const json = canonicalJson(block);
        length = Buffer.byteLength(json, 'utf8');
        canonical = [json];
      }
      tokens = tokensForBytes(length) + overhead;
      const previous = this.hash;
      this.hash = chain(previous, segment, extra, canonical);
      if (key) rendered.set(key, { previous, segment, extra, overhead, hash: this.hash, tokens });
    }
    this.cumulative += tokens;
    const index = this.positions.length;
    this.positions.push({
      index,
      segment,
      path,
      type: segment === 'tools' ? 'tool' : String(block.type),
      tokens,
      cumulativeTokens: this.cumulative,
      hash: this.hash,
      cacheable: isCacheableBlock(block),
    });
    return index;
  }

  replay(memo: RenderedMessage): void {
    for (let i = 0; i < memo.positions.length; i++) this.positions.push(memo.positions[i]!);
    for (let i = 0; i < memo.markers.length; i++) this.markers.push(memo.markers[i]!);
    this.hash = memo.hash;
    this.cumulative = memo.cumulativeAfter;
  }

  addMarkers(position: number, path: string, block: JsonObject): void {
    // Blocks nested in a tool_result come before the end of the tool_result itself.
    if (block.type === 'tool_result' && Array.isArray(block.content)) {
      for (let i = 0; i < block.content.length; i++) {
        const inner: unknown = block.content[i];
        if (isObject(inner) && hasMarker(inner)) this.markers.push(marker(position, `${path}.content.${i}`, inner));
      }
    }
    if (hasMarker(block)) this.markers.push(marker(position, path, block));
  }
}

function marker(position: number, path: string, block: JsonObject): CacheMarker {
  return {
    position,
    path: `${path}.cache_control`,
    value: block.cache_control,
    ttl: markerTtl(block.cache_control),
    blockType: String(block.type),
    emptyText: block.type === 'text' && block.text === '',
  };
}
