/**
 * Shape checks on an Anthropic Messages body, before anything is forwarded. Only what Synrouter
 * needs to route and rewrite safely is checked; everything else is the provider's to judge, so a
 * request the provider would accept is never rejected here.
 */
import { JsonLimitError, ProxyError } from '../../errors.ts';
import { parseJsonBuffer } from '../../json/parse-json.ts';
import { isObject } from '../../json/json-object.ts';
import { checkBlocksInAll, checkBlocksInMessage, checkMessageCount, checkToolCount } from '../request-limits.ts';
import type { MessagesRequest } from './wire.ts';

/** `depth`: how deep to scan the byte skeleton that large bodies are parsed along; `slot`: the
 *  conversation whose previous body this one repeats (json/parse-json.ts). */
export function parseJsonBody(raw: Buffer, depth?: number, slot?: string): unknown {
  try {
    return parseJsonBuffer(raw, depth, slot);
  } catch (err) {
    if (err instanceof JsonLimitError) throw new ProxyError('BODY_LIMIT', err.message);
    throw new ProxyError('BODY_NOT_JSON', `The request body is not valid JSON: ${(err as Error).message}`);
  }
}

const invalid = (param: string, message: string) => new ProxyError('BODY_INVALID', message, { param });

/** Real model ids are short; a longer one is a mistake or an attack on every place a model id is kept. */
export const MAX_MODEL_ID = 256;

const isBlock = (v: unknown) => isObject(v) && typeof v.type === 'string';

export function validateMessagesRequest(body: unknown, op: 'messages' | 'count_tokens'): MessagesRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', 'The request body must be a JSON object.');
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model === '') throw invalid('model', 'model: Field required and must be a non-empty string.');
  if (b.model.length > MAX_MODEL_ID) throw invalid('model', `model: must be at most ${MAX_MODEL_ID} characters.`);
  if (!Array.isArray(b.messages)) throw invalid('messages', 'messages: Field required and must be an array.');
  // Loops, not forEach callbacks, on the per-turn paths: see json/scan-json.ts (Scanner) on closures.
  const messages: unknown[] = b.messages;
  checkMessageCount('messages', messages.length);
  let blocks = Array.isArray(b.system) ? b.system.length : 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw invalid(`messages.${i}`, `messages.${i}: must be an object with role and content.`);
    const { role, content } = m as Record<string, unknown>;
    if (role !== 'user' && role !== 'assistant' && role !== 'system') throw invalid(`messages.${i}.role`, `messages.${i}.role: must be "user", "assistant" or "system".`);
    if (typeof content !== 'string' && !Array.isArray(content)) throw invalid(`messages.${i}.content`, `messages.${i}.content: must be a string or an array of content blocks.`);
    if (Array.isArray(content)) {
      checkBlocksInMessage(`messages.${i}.content`, content.length);
      blocks += content.length;
      for (let j = 0; j < content.length; j++) {
        const block = content[j];
        if (!isBlock(block)) throw invalid(`messages.${i}.content.${j}`, `messages.${i}.content.${j}: must be a content block object with a string "type".`);
        // A tool result's own blocks are prompt positions' worth of work too (rendered and hashed with it).
        const inner = (block as Record<string, unknown>).content;
        if (Array.isArray(inner)) blocks += inner.length;
      }
    } else blocks++;
  }
  checkBlocksInAll('messages', blocks);
  if (op === 'messages') {
    if (typeof b.max_tokens !== 'number' || !Number.isInteger(b.max_tokens) || b.max_tokens < 0) {
      throw invalid('max_tokens', 'max_tokens: Field required and must be a non-negative integer.');
    }
  }
  if (b.stream !== undefined && typeof b.stream !== 'boolean') throw invalid('stream', 'stream: must be a boolean.');
  if (b.system !== undefined && typeof b.system !== 'string' && !Array.isArray(b.system)) throw invalid('system', 'system: must be a string or an array of text blocks.');
  if (Array.isArray(b.system)) b.system.forEach((blk, i) => { if (!isBlock(blk)) throw invalid(`system.${i}`, `system.${i}: must be a content block object with a string "type".`); });
  if (b.tools !== undefined && !Array.isArray(b.tools)) throw invalid('tools', 'tools: must be an array.');
  if (Array.isArray(b.tools)) checkToolCount('tools', b.tools.length);
  if (Array.isArray(b.tools)) b.tools.forEach((t, i) => { if (!isObject(t)) throw invalid(`tools.${i}`, `tools.${i}: must be a tool object.`); });
  if (b.metadata !== undefined && (typeof b.metadata !== 'object' || b.metadata === null || Array.isArray(b.metadata))) throw invalid('metadata', 'metadata: must be an object.');
  return b as MessagesRequest;
}
