// Canonical rendering of an OpenAI-format prompt (Chat Completions or Responses), the unit of both
// token counting and automatic prefix caching (openai-cache.ts).
//
// The prompt is a sequence of units, in this order:
//   Chat Completions: [tools?] then one unit per message.
//   Responses:        [tools?] [instructions?] then one unit per input item (a string `input` is one
//                     user message).
// tokens(unit) = ceil(UTF-8 bytes of JSON.stringify(canonical unit) / 4), the project's deterministic
// rule (protocols/anthropic/canonical.ts), and the prompt's token count is the sum over its units.
// The canonical unit is the value as sent, key order kept, except:
//   * markers that are not prompt text are dropped: `cache_control` and `prompt_cache_breakpoint` on a
//     message/item, a tool or a content part;
//   * Responses item bookkeeping is dropped: `id` and `status` (Codex's per-session `msg_…`/`fc_…` ids
//     are not tokens the model sees);
//   * string content becomes one text part (`text` for chat, `input_text`/`output_text` for Responses)
//     and an easy-form Responses message gets `type:"message"`, so the two spellings of the same
//     message count and hash the same.
// Each unit carries the chained hash of the prefix that ends with it, so "the longest shared prefix"
// is a lookup of these hashes (openai-cache.ts).

import { createHash } from 'node:crypto';
import { tokensForBytes } from '../protocols/anthropic/canonical.ts';
import { isObject, type JsonObject } from '../json/json-object.ts';

/** Tokens of the prompt head that OpenAI hashes to route a request when no prompt_cache_key is given. */
export const ROUTING_PREFIX_TOKENS = 256;

export interface PromptUnit {
  /** `tools`, `instructions`, `message:<role>` or the Responses item type. */
  kind: string;
  /** Canonical JSON of the unit. */
  json: string;
  tokens: number;
  /** Tokens of units 0..this one. */
  cumulativeTokens: number;
  /** Chained hash of units 0..this one. */
  hash: string;
}

export interface OpenAIPrompt {
  units: PromptUnit[];
  totalTokens: number;
  /** Hash of the first ROUTING_PREFIX_TOKENS tokens (4 bytes each) of the canonical rendering. */
  routingHash: string;
}

const MARKER_KEYS = new Set(['cache_control', 'prompt_cache_breakpoint']);
const ITEM_BOOKKEEPING_KEYS = new Set(['id', 'status']);

function without(value: JsonObject, keys: ReadonlySet<string>): JsonObject {
  const out: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) if (!keys.has(key)) out[key] = inner;
  return out;
}

function canonicalParts(content: unknown, textType: string): unknown {
  if (typeof content === 'string') return [{ type: textType, text: content }];
  if (Array.isArray(content)) return content.map((part: unknown) => (isObject(part) ? without(part, MARKER_KEYS) : part));
  return content;
}

/** Builds units from canonical values, with chained hashes and cumulative token counts. */
export function buildOpenAIPrompt(values: { kind: string; value: unknown }[]): OpenAIPrompt {
  const units: PromptUnit[] = [];
  let cumulative = 0;
  let previous = '';
  for (const { kind, value } of values) {
    const json = JSON.stringify(value);
    const tokens = tokensForBytes(Buffer.byteLength(json, 'utf8'));
    cumulative += tokens;
    previous = createHash('sha256').update(previous).update('\n').update(json).digest('hex');
    units.push({ kind, json, tokens, cumulativeTokens: cumulative, hash: previous });
  }
  const head = Buffer.from(units.map((u) => u.json).join('\n'), 'utf8').subarray(0, ROUTING_PREFIX_TOKENS * 4);
  return { units, totalTokens: cumulative, routingHash: createHash('sha256').update(head).digest('hex') };
}

function canonicalTools(tools: unknown): { kind: string; value: unknown }[] {
  if (!Array.isArray(tools) || tools.length === 0) return [];
  return [{ kind: 'tools', value: tools.map((t: unknown) => (isObject(t) ? without(t, MARKER_KEYS) : t)) }];
}

/** The prompt of a Chat Completions request (already validated: `messages` is an array of objects). */
export function chatPrompt(body: JsonObject): OpenAIPrompt {
  const values = canonicalTools(body.tools);
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const message of messages) {
    if (!isObject(message)) continue;
    const canonical = without(message, MARKER_KEYS);
    if ('content' in canonical && canonical.content !== null) canonical.content = canonicalParts(canonical.content, 'text');
    values.push({ kind: `message:${String(message.role)}`, value: canonical });
  }
  return buildOpenAIPrompt(values);
}

/** A Responses input item in canonical form (easy-form messages get `type:"message"`). */
export function canonicalResponsesItem(item: JsonObject): JsonObject {
  const canonical = without(item, new Set([...MARKER_KEYS, ...ITEM_BOOKKEEPING_KEYS]));
  const type = typeof item.type === 'string' ? item.type : 'message';
  if (type === 'message') {
    const textType = item.role === 'assistant' ? 'output_text' : 'input_text';
    return { type: 'message', ...without(canonical, new Set(['type'])), content: canonicalParts(canonical.content, textType) };
  }
  if ((type === 'function_call_output' || type === 'custom_tool_call_output') && Array.isArray(canonical.output)) {
    canonical.output = canonicalParts(canonical.output, 'input_text');
  }
  return canonical;
}

/** The prompt of a Responses request (already validated). */
export function responsesPrompt(body: JsonObject): OpenAIPrompt {
  const values = canonicalTools(body.tools);
  if (typeof body.instructions === 'string' && body.instructions !== '') {
    values.push({ kind: 'instructions', value: { type: 'instructions', text: body.instructions } });
  }
  for (const item of responsesInputItems(body.input)) {
    const canonical = canonicalResponsesItem(item);
    values.push({ kind: String(canonical.type), value: canonical });
  }
  return buildOpenAIPrompt(values);
}

/** `input` as a list of items: a string is one user message; a missing input is empty. */
export function responsesInputItems(input: unknown): JsonObject[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  if (Array.isArray(input)) return input.filter(isObject);
  return [];
}
