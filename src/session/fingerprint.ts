/**
 * The fingerprint of a request's stable prefix: a hash of tools + system, leaving out volatile
 * client blocks. Same fingerprint, same cache scope (same upstream key, same shared prefix).
 *
 * Volatile blocks: Claude Code's first system block is a billing line
 * `x-anthropic-billing-header: cc_version=…; cc_entrypoint=…;` whose suffix changes per prompt and
 * per version (clients.md, "Across invocations"); it says nothing about the agent's identity.
 */
import { createHash } from 'node:crypto';
import type { ContentBlock, MessagesRequest } from '../protocols/anthropic/types.ts';

const VOLATILE_SYSTEM = /^x-anthropic-billing-header:/;

export function isVolatileSystemBlock(b: ContentBlock): boolean {
  return b.type === 'text' && typeof b.text === 'string' && VOLATILE_SYSTEM.test(b.text);
}

/** JSON of a value with every `cache_control` removed: markers do not change a prefix's identity. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (k, val) => (k === 'cache_control' ? undefined : val));
}

export function systemBlocks(system: MessagesRequest['system']): ContentBlock[] {
  if (system === undefined) return [];
  return typeof system === 'string' ? [{ type: 'text', text: system }] : system;
}

export interface Fingerprint {
  /** tools + system (the cache scope) */
  prefix: string;
  tools: string;
  system: string;
}

const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

export function fingerprint(req: Pick<MessagesRequest, 'tools' | 'system'>): Fingerprint {
  const tools = h(stableJson(req.tools ?? []));
  const system = h(stableJson(systemBlocks(req.system).filter((b) => !isVolatileSystemBlock(b))));
  return { prefix: h(`${tools}:${system}`), tools, system };
}

/**
 * A session id for clients that send none (OpenClaw, plain SDK scripts): the stable prefix plus the
 * first user turn, which every later request of the same conversation repeats verbatim.
 */
export function derivedSessionId(fp: Fingerprint, messages: MessagesRequest['messages']): string {
  const firstUser = messages.find((m) => m.role === 'user');
  return 'drv_' + h(`${fp.prefix}:${stableJson(firstUser?.content ?? '')}`).slice(0, 24);
}
