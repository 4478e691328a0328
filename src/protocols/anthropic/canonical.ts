// Canonical form of prompt blocks, the unit of both token counting and prefix hashing.
//
// Token rule (deterministic stand-in for the real tokenizer):
//   tokens(block) = ceil(UTF-8 byte length of JSON.stringify(canonical block) / 4)
// where the canonical block is the block as sent, with key order kept (protocols.md 2.3: key order
// changes the bytes and so the cache), minus `cache_control` on the block itself and on the blocks
// nested in `tool_result.content[]`. A string `system` or string message `content` is normalised to a
// single `{"type":"text","text":...}` block first. Removing `cache_control` is what lets a marker move
// between turns without changing the identity of the prefix it sits on.

import { isObject, type JsonObject } from '../../json/json-object.ts';

/** Fixed per-message overhead (role and turn framing), folded into the first block of each message. */
export const MESSAGE_OVERHEAD_TOKENS = 3;

export function tokensForBytes(bytes: number): number {
  return Math.ceil(bytes / 4);
}

export function tokensForJson(value: unknown): number {
  return tokensForBytes(Buffer.byteLength(JSON.stringify(value), 'utf8'));
}

/** Drops `cache_control` from a block, and from the blocks inside a `tool_result`'s content. */
export function stripCacheControl(block: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(block)) {
    if (key === 'cache_control') continue;
    out[key] = value;
  }
  if (out.type === 'tool_result' && Array.isArray(out.content)) {
    out.content = out.content.map((inner: unknown) => (isObject(inner) ? stripCacheControl(inner) : inner));
  }
  return out;
}

/** `string | block[]` content as a list of blocks: a string becomes one text block. */
export function contentBlocks(content: unknown): JsonObject[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (Array.isArray(content)) return content.filter(isObject);
  return [];
}

/** Whether stripCacheControl changes the block (or copies it differently: an own `__proto__` key). */
function needsStrip(block: JsonObject): boolean {
  if (Object.hasOwn(block, 'cache_control') || Object.hasOwn(block, '__proto__')) return true;
  return block.type === 'tool_result' && Array.isArray(block.content) && block.content.some((inner: unknown) => isObject(inner) && needsStrip(inner));
}

/** The JSON text that is hashed and counted for one block (most blocks carry no marker: no copy then). */
export function canonicalJson(block: JsonObject): string {
  return JSON.stringify(needsStrip(block) ? stripCacheControl(block) : block);
}

/**
 * Whether a block may carry a breakpoint (protocols.md 2.2): not thinking, not redacted_thinking, not
 * an empty text block. The automatic (top-level) breakpoint walks back over blocks that may not.
 */
export function isCacheableBlock(block: JsonObject): boolean {
  if (block.type === 'thinking' || block.type === 'redacted_thinking') return false;
  if (block.type === 'text' && block.text === '') return false;
  return true;
}
