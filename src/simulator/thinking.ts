// Extended / adaptive thinking, as the simulated upstream plays it (protocols.md 1.2-1.5):
// - With thinking on (`enabled` or `adaptive`), every reply starts with a thinking block carrying a
//   signature; `display: "omitted"` leaves the text empty and keeps the signature (1.5).
// - Signatures are deterministic (a hash of the thinking text), so replies stay byte-stable and a
//   block the simulator signed can be checked when it comes back: thinking blocks must be passed back
//   byte-for-byte, a modified block is a 400 (1.3). A signature the simulator did not make (another
//   upstream's, a hand-written fixture's) cannot be checked and is let through.
// - With thinking on and a tool loop in progress (the last user turn holds tool_result blocks), the
//   final assistant turn must start with a thinking or redacted_thinking block; Anthropic's 400 says
//   "To avoid this requirement, disable `thinking`" (the text below is the API's, typo included).
// - Thinking cannot be combined with a forced tool choice (tool_choice any / tool).

import { createHash } from 'node:crypto';
import { isObject, type JsonObject, type MessagesRequest } from '../protocols/anthropic/wire-types.ts';

/** Prefix of the simulator's own signatures: only these can be verified. */
export const SIM_SIGNATURE_PREFIX = 'SimSig1';

export function signThinking(thinking: string): string {
  return SIM_SIGNATURE_PREFIX + createHash('sha256').update(`sim-thinking\u0000${thinking}`).digest('base64url');
}

/** Whether the request turns thinking on (`disabled`, absent and unknown types do not). */
export function thinkingOn(request: MessagesRequest): boolean {
  const t = request.thinking;
  return isObject(t) && (t.type === 'enabled' || t.type === 'adaptive');
}

/** The thinking block a reply opens with, or none when thinking is off. */
export function thinkingBlock(request: MessagesRequest, thought: string): JsonObject[] {
  if (!thinkingOn(request)) return [];
  const omitted = isObject(request.thinking) && request.thinking.display === 'omitted';
  // The signature covers the full thinking even when the text is not shown.
  return [{ type: 'thinking', thinking: omitted ? '' : thought, signature: signThinking(thought) }];
}

const TOOL_LOOP_RULE =
  'When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of ' +
  '`tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this ' +
  'requirement, disable `thinking`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking';

/** Field checks of one thinking / redacted_thinking block; null when fine or not such a block. */
export function checkThinkingBlock(block: JsonObject, path: string): string | null {
  if (block.type === 'thinking') {
    if (typeof block.thinking !== 'string') return `${path}.thinking.thinking: Field required`;
    if (typeof block.signature !== 'string') return `${path}.thinking.signature: Field required`;
    if (block.signature.startsWith(SIM_SIGNATURE_PREFIX) && !signatureMatches(block.thinking, block.signature)) {
      return `${path}: Invalid \`signature\` in \`thinking\` block`;
    }
  }
  if (block.type === 'redacted_thinking' && typeof block.data !== 'string') return `${path}.redacted_thinking.data: Field required`;
  return null;
}

/** A displayed block must match its signature; an omitted one ("") carries the signature alone. */
function signatureMatches(thinking: string, signature: string): boolean {
  return thinking === '' || signThinking(thinking) === signature;
}

/** The request-level thinking rules; null when the request may go ahead. */
export function checkThinkingRules(request: MessagesRequest): string | null {
  if (!thinkingOn(request)) return null;
  const choice = isObject(request.tool_choice) ? request.tool_choice.type : undefined;
  if (choice === 'any' || choice === 'tool') return 'Thinking may not be enabled when tool_choice forces tool use.';
  const messages = request.messages;
  const last = messages.at(-1);
  const inToolLoop = last?.role === 'user' && Array.isArray(last.content) && last.content.some((b) => isObject(b) && b.type === 'tool_result');
  if (!inToolLoop) return null;
  for (let m = messages.length - 2; m >= 0; m--) {
    const message = messages[m]!;
    if (message.role !== 'assistant') continue;
    const first = Array.isArray(message.content) ? message.content[0] : undefined;
    const type = isObject(first) ? String(first.type) : 'text';
    if (type === 'thinking' || type === 'redacted_thinking') return null;
    return `messages.${m}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${type}\`. ${TOOL_LOOP_RULE}`;
  }
  return null;
}
