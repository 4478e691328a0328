// Extended / adaptive thinking, as the simulated upstream plays it (protocols.md 1.2-1.5):
// - With thinking on, a reply opens with a thinking block carrying a signature, or with none when the
//   model chose not to think (ThinkingMode below); `display: "omitted"` leaves the text empty and
//   keeps the signature (1.5).
// - Signatures are deterministic (a hash of the thinking text), so replies stay byte-stable and a
//   block the simulator signed can be checked when it comes back: thinking blocks must be passed back
//   byte-for-byte, a modified block is a 400 (1.3). A signature the simulator did not make (another
//   upstream's, a hand-written fixture's) cannot be checked and is let through.
// - With thinking on and a tool loop in progress (the last user turn holds tool_result blocks), the
//   final assistant turn must start with the thinking or redacted_thinking block the model opened it
//   with; Anthropic's 400 says "To avoid this requirement, disable `thinking`" (the text below is
//   the API's, typo included). A turn the model answered without thinking has no block to give back
//   and is accepted as it was sent (Anthropic's rule is "echo the assistant message exactly as
//   received": an agent that replays faithfully, as Claude Code does with adaptive thinking always
//   on, cannot be refused because the model chose not to think). The simulator knows which turns it
//   thought on: its replies are deterministic (ThinkingMode).
// - That opening block must be the one the model wrote for that very turn, as it was sent: a block
//   of the simulator's moved to another turn (a proxy carrying blocks for a client that cannot, and
//   matching them to the wrong turn) is refused. Anthropic's preserved thinking checks a block's
//   prefix with its signature, and "it also fails if a thinking block between others was left out
//   or moved", with a 400 "Invalid `signature` in `thinking` block. The block is bound to a
//   different conversation." (platform.claude.com build-with-claude/preserved-thinking/prefix-checks
//   and fix-bound-to-a-different-conversation; Opus 5.5 is on its list). The simulator's signatures
//   cover the text only, but its replies are deterministic, so it knows which block each tool round
//   opened with (toolStepThought) and checks that on every model.
// - Thinking cannot be combined with a forced tool choice (tool_choice any / tool).
// - The model's own rules are the registry's facts (src/route/model-facts.ts), read by id in any
//   spelling. A model that always thinks (Opus 5.5, Fable 5.1: "adaptive, always on (cannot be
//   disabled)", vendor-caching.md) thinks adaptively when the request says `disabled` or nothing:
//   the reference gives no error for it, so the simulator plays "it thinks anyway". On a model where
//   "forced tool use returns an error" (vendor-caching.md: Opus 5.5, Sonnet 5.5, Fable 5.1),
//   tool_choice any / tool is a 400 invalid_request_error even with thinking off (the wording is the
//   simulator's own: the reference does not quote Anthropic's).

import { createHash } from 'node:crypto';
import { isObject, type JsonObject } from '../json/json-object.ts';
import type { MessagesRequest } from '../protocols/anthropic/wire.ts';
import { modelFacts } from '../route/model-facts.ts';

/** Prefix of the simulator's own signatures: only these can be verified. */
export const SIM_SIGNATURE_PREFIX = 'SimSig1';

/** What the scripted model thinks before its `n`-th tool call (script.ts), and before its final answer. */
export const toolStepThought = (n: number, tool: string) => `Step ${n} of the task: ${tool} is the tool for it.`;
export const answerThought = (toolCalls: number) => `${toolCalls} tool calls ran; time to answer.`;

export function signThinking(thinking: string): string {
  return SIM_SIGNATURE_PREFIX + createHash('sha256').update(`sim-thinking\u0000${thinking}`).digest('base64url');
}

/**
 * When the model thinks while thinking is on. `enabled` (a fixed budget) always thinks. `adaptive`
 * lets the model decide (protocols.md 1.2; Anthropic: at medium or low effort Claude may skip
 * thinking, and with interleaved thinking it may or may not think between tool calls):
 * - 'every-reply': every reply opens with thinking (the default);
 * - 'turn-start': only the first reply of an assistant turn (after a user prompt, not after tool
 *   results) thinks, none between tool calls;
 * - 'never': the model answers without thinking every time.
 */
export type ThinkingMode = 'every-reply' | 'turn-start' | 'never';
export const THINKING_MODES: readonly ThinkingMode[] = ['every-reply', 'turn-start', 'never'];

/** Whether the request turns thinking on (`disabled`, absent and unknown types do not), or the model always thinks. */
export function thinkingOn(request: MessagesRequest): boolean {
  const t = request.thinking;
  return (isObject(t) && (t.type === 'enabled' || t.type === 'adaptive')) || modelFacts(request.model).thinking === 'always';
}

/** A user message that holds tool results: the conversation is inside a tool loop after it. */
function holdsToolResults(message: { content: unknown } | undefined): boolean {
  return Array.isArray(message?.content) && message.content.some((b) => isObject(b) && b.type === 'tool_result');
}

/**
 * Whether the model opens its reply with thinking, for a request whose messages end with
 * `lastUser`: thinking on, and `enabled`, or adaptive thinking as `mode` plays it.
 */
export function modelThinks(request: MessagesRequest, mode: ThinkingMode, lastUser: { content: unknown } | undefined): boolean {
  if (!thinkingOn(request)) return false;
  if (isObject(request.thinking) && request.thinking.type === 'enabled') return true;
  return mode === 'every-reply' || (mode === 'turn-start' && !holdsToolResults(lastUser));
}

/** The thinking block a reply opens with, or none when thinking is off or the model does not think. */
export function thinkingBlock(request: MessagesRequest, thought: string, mode: ThinkingMode = 'every-reply'): JsonObject[] {
  if (!modelThinks(request, mode, request.messages.at(-1))) return [];
  const omitted = isObject(request.thinking) && request.thinking.display === 'omitted';
  // The signature covers the full thinking even when the text is not shown.
  return [{ type: 'thinking', thinking: omitted ? '' : thought, signature: signThinking(thought) }];
}

const TOOL_LOOP_RULE =
  'When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of ' +
  '`tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this ' +
  'requirement, disable `thinking`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking';

const BOUND_RULE =
  'Invalid `signature` in `thinking` block. The block is bound to a different conversation. Remove the block, or set ' +
  '`thinking.block_binding.prefix_mismatch_behavior` to "drop_block".';

/**
 * Whether the thinking block opening assistant message `m` (a tool round) is the one the model
 * wrote for that round: for a block the simulator signed, the model thought there (`thought`) and
 * the signature is that of the round's scripted thought. Blocks signed elsewhere cannot be checked.
 */
function boundToTurn(messages: MessagesRequest['messages'], m: number, thought: boolean): boolean {
  const content = messages[m]!.content as JsonObject[];
  const first = content[0]!;
  if (first.type !== 'thinking' || typeof first.signature !== 'string' || !first.signature.startsWith(SIM_SIGNATURE_PREFIX)) return true;
  const use = content.find((b) => isObject(b) && b.type === 'tool_use');
  if (!use) return true; // not a tool round: the scripted answer's thought is not checked
  const round = messages.slice(0, m).filter((x) => x.role === 'assistant' && Array.isArray(x.content) && x.content.some((b) => isObject(b) && b.type === 'tool_use')).length + 1;
  return thought && first.signature === signThinking(toolStepThought(round, String(use.name)));
}

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
export function checkThinkingRules(request: MessagesRequest, mode: ThinkingMode = 'every-reply'): string | null {
  const choice = isObject(request.tool_choice) ? request.tool_choice.type : undefined;
  const forced = choice === 'any' || choice === 'tool';
  if (forced && !modelFacts(request.model).forcedToolChoice) return `tool_choice: forced tool use (type "${String(choice)}") is not supported for ${request.model}; use "auto" or "none".`;
  if (!thinkingOn(request)) return null;
  if (forced) return 'Thinking may not be enabled when tool_choice forces tool use.';
  const messages = request.messages;
  const last = messages.at(-1);
  const inToolLoop = last?.role === 'user' && holdsToolResults(last);
  if (!inToolLoop) return null;
  for (let m = messages.length - 2; m >= 0; m--) {
    const message = messages[m]!;
    if (message.role !== 'assistant') continue;
    const first = Array.isArray(message.content) ? message.content[0] : undefined;
    const type = isObject(first) ? String(first.type) : 'text';
    const thought = modelThinks(request, mode, messages.slice(0, m).findLast((u) => u.role === 'user'));
    if (type === 'thinking' || type === 'redacted_thinking') return boundToTurn(messages, m, thought) ? null : `messages.${m}.content.0: ${BOUND_RULE}`;
    // The model answered that turn without thinking: there was no block to give back.
    if (!thought) return null;
    return `messages.${m}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${type}\`. ${TOOL_LOOP_RULE}`;
  }
  return null;
}
