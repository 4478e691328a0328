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
import type { ChatRequest, ResponsesRequest } from '../protocols/openai/validate-request.ts';

const VOLATILE_SYSTEM = /^x-anthropic-billing-header:/;

/** The parts of a request, in any protocol, that identify the agent and the conversation. */
export interface StablePrefix { tools: unknown; system: unknown[]; firstUser: unknown }

export function isVolatileSystemText(text: unknown): boolean {
  return typeof text === 'string' && VOLATILE_SYSTEM.test(text);
}

/** JSON of a value with every `cache_control` removed: markers do not change a prefix's identity. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (k, val) => (k === 'cache_control' ? undefined : val));
}

export function systemBlocks(system: MessagesRequest['system']): ContentBlock[] {
  if (system === undefined) return [];
  return typeof system === 'string' ? [{ type: 'text', text: system }] : system;
}

export function anthropicStable(req: MessagesRequest): StablePrefix {
  return {
    tools: req.tools ?? [],
    system: systemBlocks(req.system).filter((b) => !(b.type === 'text' && isVolatileSystemText(b.text))),
    firstUser: req.messages.find((m) => m.role === 'user')?.content ?? '',
  };
}

export function chatStable(req: ChatRequest): StablePrefix {
  return {
    tools: req.tools ?? [],
    system: req.messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => m.content),
    firstUser: req.messages.find((m) => m.role === 'user')?.content ?? '',
  };
}

/** Codex sends its system prompt as developer items and per-item ids that differ per session (clients.md). */
export function responsesStable(req: ResponsesRequest): StablePrefix {
  const items = typeof req.input === 'string' ? [{ role: 'user', content: req.input }] : (req.input ?? []);
  const strip = (it: Record<string, unknown>) => { const { id: _id, ...rest } = it; return rest; };
  return {
    tools: req.tools ?? [],
    system: [req.instructions ?? '', ...items.filter((i) => i.role === 'system' || i.role === 'developer').map(strip)],
    firstUser: strip(items.find((i) => i.role === 'user') ?? {}),
  };
}

export interface Fingerprint {
  /** tools + system (the cache scope) */
  prefix: string;
  tools: string;
  system: string;
}

const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

export function fingerprint(stable: StablePrefix): Fingerprint {
  const tools = h(stableJson(stable.tools));
  const system = h(stableJson(stable.system));
  return { prefix: h(`${tools}:${system}`), tools, system };
}

/**
 * A session id for clients that send none (OpenClaw, plain SDK scripts): the stable prefix plus the
 * first user turn, which every later request of the same conversation repeats verbatim.
 */
export function derivedSessionId(fp: Fingerprint, stable: StablePrefix): string {
  return 'drv_' + h(`${fp.prefix}:${stableJson(stable.firstUser)}`).slice(0, 24);
}
