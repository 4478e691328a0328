/**
 * Anthropic thinking blocks <-> Responses reasoning items, so that a Responses client (Codex, Kilo,
 * OpenClaw: `store:false, include:["reasoning.encrypted_content"]`, clients.md) carries Claude's
 * signed thinking from one request to the next, and thinking can stay on in a tool loop.
 *
 * With thinking on, Anthropic refuses a tool-loop continuation whose final assistant turn does not
 * start with a thinking block, and thinking blocks must come back byte-for-byte (protocols.md §1.3).
 * A reasoning item's `encrypted_content` is opaque to the client and replayed as it was received
 * (§5.1 input items), so it can hold the blocks themselves:
 *
 *   encrypted_content = "srant1:" + base64url(JSON of the blocks)
 *
 * `srant1:` names the carrier ("Synrouter, Anthropic thinking, version 1"): no other provider's blob
 * starts that way (OpenAI's are Fernet-like `gAAAA...` tokens), and a later format gets `srant2:`.
 * The JSON is rebuilt with a fixed key order ({type, thinking, signature} / {type, data}), so the
 * same blocks always give the same string whatever key order the upstream used, and decoding rebuilds
 * the same objects, so the same input always gives the same request bytes (the cache depends on it).
 * A string is accepted only if it is exactly what encode() makes of what it decodes to (canonical);
 * anything else with the prefix is corrupt, not ours to guess at.
 *
 * An answer Claude gave without thinking while thinking was on (adaptive thinking lets the model
 * skip it, protocols.md §1.2) gets a carrier of no blocks, `srant1:W10` (NO_THINKING): it tells the
 * next request that the assistant turn has no thinking block because the model wrote none, not
 * because the client lost it, so thinking can stay on there (Anthropic asks for the blocks the model
 * wrote, and a client that replays its items faithfully has none to send). Without it the two cases
 * look the same, and the only safe answer was to switch thinking off, which changes the thinking
 * config and with it the cached messages (§2.8) twice per prompt.
 *
 * Not encryption: the thinking text is the same text the summary shows. The signature is what makes
 * the block unforgeable, and Anthropic checks it (a modified block is a 400).
 */
import type { RedactedThinkingBlockParam, ThinkingBlockParam } from '../../protocols/anthropic/wire.ts';

export type CarriedBlock = ThinkingBlockParam | RedactedThinkingBlockParam;

export const CARRIER_PREFIX = 'srant1:';

/** Blocks in a fixed key order: the one JSON form they are encoded (and sent upstream) in. */
export function canonicalBlock(b: CarriedBlock): CarriedBlock {
  return b.type === 'thinking'
    ? { type: 'thinking', thinking: b.thinking, signature: b.signature }
    : { type: 'redacted_thinking', data: b.data };
}

/**
 * Whether a block can be replayed: a thinking block needs its signature, a redacted one its data.
 * One without (a stream cut before signature_delta) would be refused by Anthropic, so it is not
 * carried at all; the client then sends no carrier and the request side treats the turn as
 * thinking-less.
 */
export function replayable(b: CarriedBlock): boolean {
  const proof: unknown = b.type === 'thinking' ? b.signature : b.data;
  return typeof proof === 'string' && proof !== '' && (b.type !== 'thinking' || typeof b.thinking === 'string');
}

export function encodeThinking(blocks: readonly CarriedBlock[]): string {
  return CARRIER_PREFIX + Buffer.from(JSON.stringify(blocks.map(canonicalBlock)), 'utf8').toString('base64url');
}

/** The carrier of an answer without thinking (see the header). */
export const NO_THINKING = encodeThinking([]);

export type Decoded =
  /** No blocks: the answer had no thinking (NO_THINKING). */
  | { kind: 'ours'; blocks: CarriedBlock[] }
  /** Another provider's encrypted_content (or none): nothing Anthropic can use. */
  | { kind: 'foreign' }
  /** Our prefix, but not something encode() produced. */
  | { kind: 'corrupt'; reason: string };

export function decodeThinking(encrypted: unknown): Decoded {
  if (typeof encrypted !== 'string' || !encrypted.startsWith(CARRIER_PREFIX)) return { kind: 'foreign' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(encrypted.slice(CARRIER_PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return { kind: 'corrupt', reason: 'not base64url JSON' };
  }
  if (!Array.isArray(parsed)) return { kind: 'corrupt', reason: 'not a list of blocks' };
  const blocks: CarriedBlock[] = [];
  for (const b of parsed as unknown[]) {
    const o = typeof b === 'object' && b !== null ? (b as Record<string, unknown>) : {};
    if (o.type === 'thinking' && typeof o.thinking === 'string' && typeof o.signature === 'string') blocks.push({ type: 'thinking', thinking: o.thinking, signature: o.signature });
    else if (o.type === 'redacted_thinking' && typeof o.data === 'string') blocks.push({ type: 'redacted_thinking', data: o.data });
    else return { kind: 'corrupt', reason: 'a block is neither thinking nor redacted_thinking' };
  }
  if (!blocks.every(replayable)) return { kind: 'corrupt', reason: 'a block has no signature' };
  if (encodeThinking(blocks) !== encrypted) return { kind: 'corrupt', reason: 'not in canonical form' };
  return { kind: 'ours', blocks };
}
