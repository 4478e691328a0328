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

import { createHash } from 'node:crypto';
import {
  MESSAGE_OVERHEAD_TOKENS,
  canonicalJson,
  contentBlocks,
  isCacheableBlock,
  tokensForBytes,
} from './canonical.ts';
import { isObject, type JsonObject, type MessagesRequest, type Ttl } from './wire-types.ts';

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

function chain(previous: string, parts: string[]): string {
  const hash = createHash('sha256').update(previous);
  for (const part of parts) hash.update('\u0000').update(part);
  return hash.digest('hex');
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

/** Renders a (shape-valid) request into prompt positions and collects its cache markers. */
export function buildPrompt(request: MessagesRequest): Prompt {
  const positions: PromptPosition[] = [];
  const markers: CacheMarker[] = [];
  let hash = SEED;
  let cumulative = 0;

  const add = (segment: Segment, path: string, block: JsonObject, extra: string, overhead: number): number => {
    const canonical = canonicalJson(block);
    const tokens = tokensForBytes(Buffer.byteLength(canonical, 'utf8')) + overhead;
    cumulative += tokens;
    hash = chain(hash, [segment, extra, canonical]);
    const index = positions.length;
    positions.push({
      index,
      segment,
      path,
      type: segment === 'tools' ? 'tool' : String(block.type),
      tokens,
      cumulativeTokens: cumulative,
      hash,
      cacheable: isCacheableBlock(block),
    });
    return index;
  };

  const addMarkers = (position: number, path: string, block: JsonObject): void => {
    // Blocks nested in a tool_result come before the end of the tool_result itself.
    if (block.type === 'tool_result' && Array.isArray(block.content)) {
      block.content.forEach((inner: unknown, i: number) => {
        if (isObject(inner) && hasMarker(inner)) {
          markers.push(marker(position, `${path}.content.${i}`, inner));
        }
      });
    }
    if (hasMarker(block)) markers.push(marker(position, path, block));
  };

  (request.tools ?? []).forEach((tool, i) => {
    if (!isObject(tool)) return;
    const index = add('tools', `tools.${i}`, tool, '', 0);
    if (hasMarker(tool)) markers.push({ ...marker(index, `tools.${i}`, tool), blockType: 'tool' });
  });

  if (typeof request.system === 'string') {
    add('system', 'system', { type: 'text', text: request.system }, '', 0);
  } else if (Array.isArray(request.system)) {
    request.system.forEach((block, i) => {
      if (!isObject(block)) return;
      const index = add('system', `system.${i}`, block, '', 0);
      addMarkers(index, `system.${i}`, block);
    });
  }

  let params: string | null = renderedParams(request);
  request.messages.forEach((message, m) => {
    const stringContent = typeof message.content === 'string';
    contentBlocks(message.content).forEach((block, b) => {
      const path = stringContent ? `messages.${m}.content` : `messages.${m}.content.${b}`;
      let extra = '';
      if (b === 0) extra = `role:${String(message.role)}`;
      if (params !== null) {
        extra = `params:${params}\u0000${extra}`;
        params = null;
      }
      const index = add('messages', path, block, extra, b === 0 ? MESSAGE_OVERHEAD_TOKENS : 0);
      if (!stringContent) addMarkers(index, path, block);
    });
  });

  const top = request.cache_control;
  return {
    positions,
    totalTokens: cumulative,
    markers,
    topLevel: top === undefined || top === null ? null : { value: top, ttl: markerTtl(top) },
  };
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
