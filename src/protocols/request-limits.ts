/**
 * Caps on a request's structure, checked while the body is validated. Every turn costs Synrouter
 * per content block (prompt positions, hashes, session state), so the number of blocks, not the
 * bytes, is what an attacker would multiply; the caps bound it, far above what agents send:
 *
 * - messages: Anthropic's own limit (100,000 per request), so no request it accepts is refused here.
 * - content blocks: a tool round adds two or three blocks and costs at least ~100 tokens, so even a
 *   1M-token context full of the smallest rounds holds about 30,000 blocks; agents compact long
 *   before (the longest recorded Claude Code and Codex sessions in bench/README.md hold a few
 *   thousand). 50,000 in all, 10,000 in one message.
 * - tools: Claude Code with a dozen MCP servers sends a few hundred.
 * Bodies over a cap get a 400 naming the cap and the value (BODY_LIMIT).
 */
import { ProxyError } from '../errors.ts';

export const REQUEST_LIMITS = {
  messages: 100_000,
  blocksPerMessage: 10_000,
  blocks: 50_000,
  tools: 1_000,
} as const;

const over = (param: string, message: string) => new ProxyError('BODY_LIMIT', message, { param });

export function checkMessageCount(param: string, n: number): void {
  if (n > REQUEST_LIMITS.messages) throw over(param, `${param}: ${n} messages is over Synrouter's limit of ${REQUEST_LIMITS.messages} per request.`);
}

export function checkBlocksInMessage(param: string, n: number): void {
  if (n > REQUEST_LIMITS.blocksPerMessage) throw over(param, `${param}: ${n} content blocks is over Synrouter's limit of ${REQUEST_LIMITS.blocksPerMessage} per message.`);
}

/** `n`: content blocks of the whole request (system, messages and the blocks nested in tool results). */
export function checkBlocksInAll(param: string, n: number): void {
  if (n > REQUEST_LIMITS.blocks) throw over(param, `The request has ${n} content blocks in all (system, messages and tool results), over Synrouter's limit of ${REQUEST_LIMITS.blocks}.`);
}

export function checkToolCount(param: string, n: number): void {
  if (n > REQUEST_LIMITS.tools) throw over(param, `${param}: ${n} tools is over Synrouter's limit of ${REQUEST_LIMITS.tools}.`);
}
