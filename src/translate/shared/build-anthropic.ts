/**
 * Building blocks for the two OpenAI-client -> Anthropic request translators (chat-via-anthropic,
 * responses-via-anthropic). Pure; never mutates its inputs (objects carried over, such as
 * cache_control, are copied so a later in-place rewrite of the upstream body cannot reach the client's).
 */
import { ProxyError } from '../../errors.ts';
import type { ThinkingStyle } from '../../route/model-facts.ts';
import type { JsonObject } from '../../json/json-object.ts';
import type { CacheControl, ContentBlockParam, DocumentBlockParam, Effort, ImageBlockParam, MessageParam, TextBlockParam, ThinkingConfig, ToolChoice } from '../../protocols/anthropic/wire.ts';

/** A soft problem: the request still goes out, the caller logs or surfaces these (style.md rule 8). */
export interface TranslateWarning { code: 'dropped_field' | 'dropped_tool' | 'dropped_item' | 'dropped_content' | 'thinking_disabled'; message: string; param?: string }

/**
 * A client body that cannot be translated without losing meaning. It is the project's own error
 * (src/errors.ts): BODY_INVALID renders as a 400 in the client's protocol, with `param`.
 */
export function invalid(message: string, param?: string): ProxyError {
  return new ProxyError('BODY_INVALID', message, param === undefined ? {} : { param });
}

/**
 * Anthropic requires max_tokens (§1.2); OpenAI clients may omit theirs (OpenAI then allows the
 * model's maximum). 32000 is what Kilo and OpenClaw send and what Claude Code itself asks of Sonnet
 * 4.5 (64000 of Opus; clients.md), so current Claude models accept it, and it leaves room for a
 * thinking budget. A route that knows the model's limit passes `defaultMaxTokens`.
 */
export const DEFAULT_MAX_TOKENS = 32000;

/** Anthropic's minimum thinking budget (SDK ThinkingConfigEnabled: "Must be ≥1024 and less than max_tokens"). */
export const MIN_THINKING_BUDGET = 1024;

export function copyCacheControl(cc: CacheControl | null | undefined): { cache_control?: CacheControl } {
  return cc ? { cache_control: { ...cc } } : {};
}

export function textBlock(text: string, cc?: CacheControl | null): TextBlockParam {
  return { type: 'text', text, ...copyCacheControl(cc) };
}

/**
 * Tool-call arguments (a JSON string on the OpenAI side) -> Anthropic `input` (an object). Anything
 * but a JSON object is refused: sending `{}` instead would replay a different call than the one
 * the model made. An empty string means "no arguments" (several OpenAI-compatible providers emit it
 * for parameterless tools) and is the one exception.
 */
export function parseToolArguments(args: unknown, param: string): JsonObject {
  if (typeof args !== 'string') throw invalid('Tool call arguments must be a JSON string.', param);
  if (args.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch (err) {
    throw invalid(`Tool call arguments are not valid JSON (${(err as Error).message}); an Anthropic model needs them as an object.`, param);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('Tool call arguments must encode a JSON object.', param);
  return parsed as JsonObject;
}

const DATA_URL = /^data:([^;,]+)((?:;[^;,=]+=[^;,]*)*)(;base64)?,(.*)$/s;

/** `data:<mime>;base64,<data>` -> its parts; null for anything that is not a base64 data URL. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | null {
  const m = DATA_URL.exec(url);
  if (!m || !m[3]) return null;
  return { mediaType: m[1]!.toLowerCase(), data: m[4]! };
}

/** OpenAI image URL (data: or http(s)) -> Anthropic image block (§1.3 image sources). */
export function imageBlock(url: unknown, param: string, cc?: CacheControl | null): ImageBlockParam {
  if (typeof url !== 'string') throw invalid('Image part has no URL.', param);
  const data = parseDataUrl(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data.mediaType, data: data.data }, ...copyCacheControl(cc) };
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url }, ...copyCacheControl(cc) };
  throw invalid('Image URLs must be https:// or base64 data: URLs for an Anthropic model.', param);
}

/** A base64 PDF data URL -> document block. OpenAI file ids and other file types have no Anthropic equivalent. */
export function pdfBlock(fileData: unknown, param: string, title?: string | null, cc?: CacheControl | null): DocumentBlockParam {
  const data = typeof fileData === 'string' ? parseDataUrl(fileData) : null;
  if (!data || data.mediaType !== 'application/pdf') throw invalid('Only base64 PDF files (data:application/pdf;base64,...) can be sent to an Anthropic model; file ids cannot.', param);
  return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: data.data }, ...(title ? { title } : {}), ...copyCacheControl(cc) };
}

/**
 * A system/developer message that arrives after the conversation started. Moving it into the
 * top-level `system` would rewrite the start of the prompt every time one is appended and invalidate
 * the whole cache (protocols.md §2.8), and Anthropic's own mid-conversation `role:"system"` message
 * needs a beta and is not served by every model (§1.3). It becomes user text, in place, wrapped in
 * the `<system-reminder>` tag Claude Code itself uses for system-originated text inside user turns
 * (clients.md, Claude Code "System"), so a Claude model reads it as an instruction, not as the user.
 */
export function lateSystemText(text: string): string {
  return `<system-reminder>\n${text}\n</system-reminder>`;
}

/** Appends a turn, merging it into the previous one of the same role (Anthropic alternates roles; §1.2). */
export function pushTurn(messages: MessageParam[], role: 'user' | 'assistant', blocks: ContentBlockParam[]): void {
  if (blocks.length === 0) return;
  const last = messages[messages.length - 1];
  if (last && last.role === role && Array.isArray(last.content)) last.content.push(...blocks);
  else messages.push({ role, content: [...blocks] });
}

/**
 * Anthropic wants the tool_result blocks first in a user turn, text after them. Merging can put a
 * text first (e.g. a late system message before the tool outputs); a stable partition fixes that
 * without reordering anything else.
 */
export function toolResultsFirst(messages: MessageParam[]): MessageParam[] {
  return messages.map((m) => {
    if (m.role !== 'user' || typeof m.content === 'string') return m;
    const blocks = m.content;
    const firstOther = blocks.findIndex((b) => b.type !== 'tool_result');
    const misplaced = firstOther >= 0 && blocks.slice(firstOther).some((b) => b.type === 'tool_result');
    if (!misplaced) return m;
    return { role: m.role, content: [...blocks.filter((b) => b.type === 'tool_result'), ...blocks.filter((b) => b.type !== 'tool_result')] };
  });
}

/** `parallel_tool_calls: false` -> `disable_parallel_tool_use` on tool_choice (§1.2); `none` takes no other field. */
export function withParallel(choice: ToolChoice | undefined, parallel: boolean | null | undefined): ToolChoice | undefined {
  if (parallel !== false) return choice;
  if (!choice) return { type: 'auto', disable_parallel_tool_use: true };
  if (choice.type === 'none') return choice;
  return { ...choice, disable_parallel_tool_use: true };
}

/**
 * How an OpenAI reasoning effort becomes Anthropic thinking: the model's thinking style, a fact of
 * the registry (src/route/model-facts.ts), never read off the id. 'adaptive' is for models with
 * adaptive thinking and `output_config.effort` (Claude 4.6 and later, protocols.md §1.2); 'budget' is
 * for models that only take `thinking.enabled` + `budget_tokens` (Haiku 4.5, Sonnet 4.5); 'always' is
 * adaptive thinking that cannot be disabled (Opus 5.5, Fable 5.1: vendor-caching.md); 'none' is a
 * model without thinking.
 */
export type { ThinkingStyle } from '../../route/model-facts.ts';

const EFFORTS: readonly Effort[] = ['low', 'medium', 'high', 'xhigh', 'max'];

/** Share of max_tokens given to thinking in 'budget' style; clamped to [1024, max_tokens - 1]. */
const BUDGET_SHARE: Readonly<Record<string, number>> = { minimal: 0, low: 1 / 8, medium: 1 / 4, high: 1 / 2, xhigh: 3 / 4, max: 1 };

export interface ThinkingPlan { thinking?: ThinkingConfig; effort?: Effort; warning?: TranslateWarning }

/**
 * OpenAI `reasoning_effort` / `reasoning.effort` (none|minimal|low|medium|high|xhigh|max, SDK
 * Shared.ReasoningEffort) -> Anthropic:
 *   none          -> thinking disabled
 *   minimal       -> adaptive thinking + effort "low" (Anthropic's lowest effort)
 *   low..max      -> adaptive thinking + the same effort (the vocabularies match)
 * In 'budget' style the effort becomes `budget_tokens` = a share of max_tokens instead, and no
 * output_config is sent (those models reject effort). Absent effort -> nothing (the model's default).
 */
export function planThinking(effort: string | null | undefined, o: { style: ThinkingStyle; maxTokens: number; param: string }): ThinkingPlan {
  if (effort !== null && effort !== undefined && effort !== 'none' && effort !== 'minimal' && !(EFFORTS as readonly string[]).includes(effort)) {
    throw invalid(`Unknown reasoning effort "${effort}"; expected none, minimal, low, medium, high, xhigh or max.`, o.param);
  }
  // A model that always thinks is told so, whatever the client asked: the request says what the
  // model will do (the response translators show thinking only where the request turned it on),
  // and `disabled` is what the model cannot do (vendor-caching.md). `none` becomes the lowest effort.
  if (o.style === 'always') {
    if (effort === null || effort === undefined) return { thinking: { type: 'adaptive' } };
    if (effort === 'none') {
      return { thinking: { type: 'adaptive' }, effort: 'low', warning: { code: 'dropped_field', message: 'This model always thinks; reasoning effort "none" became "low".', param: o.param } };
    }
    return { thinking: { type: 'adaptive' }, effort: effort === 'minimal' ? 'low' : (effort as Effort) };
  }
  if (effort === null || effort === undefined) return {};
  if (effort === 'none') return { thinking: { type: 'disabled' } };
  if (o.style === 'none') return { warning: { code: 'thinking_disabled', message: 'This model does not think; reasoning effort ignored.', param: o.param } };
  if (o.style === 'adaptive') return { thinking: { type: 'adaptive' }, effort: effort === 'minimal' ? 'low' : (effort as Effort) };
  const ceiling = o.maxTokens - 1;
  if (ceiling < MIN_THINKING_BUDGET) {
    return { warning: { code: 'thinking_disabled', message: `max_tokens ${o.maxTokens} leaves no room for Anthropic's minimum thinking budget of ${MIN_THINKING_BUDGET}; reasoning effort ignored.`, param: o.param } };
  }
  const budget = Math.min(ceiling, Math.max(MIN_THINKING_BUDGET, Math.floor(o.maxTokens * BUDGET_SHARE[effort]!)));
  return { thinking: { type: 'enabled', budget_tokens: budget } };
}

/** The sampling fields Anthropic constrains while thinking is on. */
export interface Sampling { temperature?: number; top_p?: number }

/**
 * Thinking is on only if Anthropic will accept it together with the rest of the request; the
 * documented conflicts are resolved here, each with a warning:
 * - Tool loop without a thinking block. With thinking on, Anthropic refuses a request whose final
 *   assistant turn does not start with a thinking block while a tool loop is in progress ("a final
 *   assistant message must start with a thinking block (preceding the lastmost set of tool_use and
 *   tool_result blocks) ... To avoid this requirement, disable thinking"). Responses clients get
 *   Claude's signed thinking back to us inside reasoning items (responses-via-anthropic/reasoning.ts)
 *   and the request translator puts the blocks back at the start of their assistant turn, so this
 *   finds them and thinking stays on. A turn the model answered without thinking (adaptive thinking
 *   may skip it) has no block to give back: Responses clients replay a marker for it (`skipped`,
 *   reasoning.ts NO_THINKING) and thinking stays on there too, so a session keeps the thinking
 *   config the client asked for. Chat clients have no field for it: Synrouter keeps their blocks
 *   (and the same marker) in the session state and the chat translator puts them back
 *   (chat-via-anthropic/capture-thinking.ts). Where a block may have been lost (a chat turn kept
 *   nothing for; a client that dropped its reasoning items; a stream cut before the signature),
 *   thinking is switched off for that request. Cost: changing the thinking config invalidates the
 *   messages part of the cache (§2.8) at that tool round and again at the next user prompt.
 * - Forced tool use (tool_choice any/tool) is refused with thinking on; the client's demand for a
 *   tool call is kept, thinking goes. On a model where forced tool use is an error whatever the
 *   thinking (`forcedToolChoice: false`: Opus 5.5, Sonnet 5.5, vendor-caching.md) or where thinking
 *   cannot be turned off ('always'), the tool choice goes instead: `auto`, with a warning.
 * - On a model that always thinks, thinking is never switched off: a tool-loop continuation without
 *   the thinking block keeps it on (the upstream then asks for the block; for chat clients Synrouter
 *   carries it, see above).
 * - Sampling: with thinking on, temperature must be 1 and top_p at least 0.95; other values are
 *   dropped (thinking wins: the client asked for reasoning explicitly).
 */
export function reconcileThinking(o: {
  messages: readonly MessageParam[]; plan: ThinkingPlan; toolChoice: ToolChoice | undefined; sampling: Sampling;
  /** Assistant turns the model answered without thinking while thinking was on (the client replayed their markers). */
  skipped?: ReadonlySet<MessageParam>;
  /** The model's facts (route/model-facts.ts); absent: adaptive, forced tool use allowed. */
  style?: ThinkingStyle; forcedToolChoice?: boolean;
}): Reconciled {
  const warnings: TranslateWarning[] = o.plan.warning ? [o.plan.warning] : [];
  const always = o.style === 'always';
  let toolChoice = o.toolChoice;
  if (toolChoice && (toolChoice.type === 'any' || toolChoice.type === 'tool') && (always || o.forcedToolChoice === false)) {
    toolChoice = { type: 'auto', ...(toolChoice.disable_parallel_tool_use !== undefined ? { disable_parallel_tool_use: toolChoice.disable_parallel_tool_use } : {}) };
    warnings.push({ code: 'dropped_field', message: `tool_choice ${o.toolChoice!.type} became auto: this model returns an error for forced tool use.`, param: 'tool_choice' });
  }
  const t = o.plan.thinking;
  if (!t || t.type === 'disabled') return { plan: o.plan, sampling: o.sampling, toolChoice, warnings };
  const off = (message: string): Reconciled =>
    ({ plan: { ...o.plan, thinking: { type: 'disabled' } }, sampling: o.sampling, toolChoice, warnings: [...warnings, { code: 'thinking_disabled', message }] });
  if (toolChoice && (toolChoice.type === 'any' || toolChoice.type === 'tool')) {
    return off('Thinking disabled: Anthropic does not allow thinking together with a forced tool choice.');
  }
  const last = o.messages[o.messages.length - 1];
  if (!always && last && last.role === 'user' && typeof last.content !== 'string' && last.content.some((b) => b.type === 'tool_result')) {
    const assistant = o.messages[o.messages.length - 2];
    const first = assistant && Array.isArray(assistant.content) ? assistant.content[0] : undefined;
    const opensWithThinking = first !== undefined && (first.type === 'thinking' || first.type === 'redacted_thinking');
    if (!opensWithThinking && !(assistant && o.skipped?.has(assistant))) {
      return off('Thinking disabled for this tool-loop continuation: the previous assistant turn carries no thinking block, which Anthropic requires when thinking is on.');
    }
  }
  const sampling: Sampling = {};
  if (o.sampling.temperature !== undefined) {
    if (o.sampling.temperature === 1) sampling.temperature = 1;
    else warnings.push({ code: 'dropped_field', message: 'temperature must be 1 while thinking is on; not sent.', param: 'temperature' });
  }
  if (o.sampling.top_p !== undefined) {
    if (o.sampling.top_p >= 0.95) sampling.top_p = o.sampling.top_p;
    else warnings.push({ code: 'dropped_field', message: 'top_p must be at least 0.95 while thinking is on; not sent.', param: 'top_p' });
  }
  return { plan: o.plan, sampling, toolChoice, warnings };
}

export interface Reconciled { plan: ThinkingPlan; sampling: Sampling; toolChoice: ToolChoice | undefined; warnings: TranslateWarning[] }
