/**
 * OpenAI chat.completions body (Kilo, OpenClaw, Hermes, the openai SDK; protocols.md §4.1-4.2) ->
 * Anthropic Messages body (§1.2-1.3).
 *
 * Determinism: the output is built as fresh object literals in a fixed key order, from the input
 * only, so the same client body gives the same JSON string; and since each client message maps to
 * blocks that depend on that message alone (plus merging into the previous turn), a conversation that
 * grows by appending keeps a byte-stable translated prefix turn after turn (the prompt cache needs
 * this, §8.5).
 *
 * Thinking carried for the client (capture-thinking.ts): a chat client has no field for Claude's
 * signed thinking, so Synrouter keeps each answer's blocks in the session state and passes them in
 * here (`carriedThinking`). An assistant message whose tool call ids name a kept turn gets that
 * turn's blocks back at its start, as Claude sent them (the same canonical objects every turn, so
 * the same bytes: protocols.md §1.3, §2.3); a kept turn without blocks (the model did not think)
 * marks the turn as answered without thinking. Either way thinking stays on in the tool loop
 * (reconcileThinking), where Anthropic would otherwise refuse the request or the thinking config
 * would change and invalidate the cached messages (§2.8).
 */
import type { CacheControl, ContentBlockParam, MessageCreateParams, MessageParam, OutputConfig, TextBlockParam, ToolChoice, ToolParam, ToolResultBlockParam, ToolUseBlockParam } from '../../protocols/anthropic/wire.ts';
import { canonicalBlock } from '../responses-via-anthropic/reasoning.ts';
import type { CarriedTurn } from './capture-thinking.ts';
import type { ChatMessage, ChatRequest, ChatTool, ChatToolChoice, RefusalPart, TextPart, UserPart } from '../shared/wire-openai-chat.ts';
import {
  DEFAULT_MAX_TOKENS, copyCacheControl, imageBlock, invalid, lateSystemText, parseToolArguments, pdfBlock, planThinking,
  pushTurn, reconcileThinking, textBlock, toolResultsFirst, withParallel, type ThinkingStyle, type TranslateWarning,
} from '../shared/build-anthropic.ts';

export interface RequestOptions {
  /** The model id the upstream expects (route.upstreamModel). */
  model: string;
  /** max_tokens when the client sends neither max_completion_tokens nor max_tokens. */
  defaultMaxTokens?: number;
  /** How reasoning_effort maps to thinking for this model (its registry fact); see planThinking. Default 'adaptive'. */
  thinkingStyle?: ThinkingStyle;
  /** False where the model returns an error for forced tool use (its registry fact); see reconcileThinking. */
  forcedToolChoice?: boolean;
  /** The session's kept thinking by tool call id (session/carried-thinking.ts carriedById). */
  carriedThinking?: ReadonlyMap<string, CarriedTurn>;
}

export interface TranslatedRequest { body: MessageCreateParams; warnings: TranslateWarning[] }

/** Fields with an effect on generation that Anthropic has no equivalent for: dropped with a warning. */
const DROPPED_WITH_WARNING = new Set([
  'presence_penalty', 'frequency_penalty', 'seed', 'logit_bias', 'logprobs', 'top_logprobs', 'prediction',
  'web_search_options', 'verbosity', 'audio', 'modalities', 'top_k',
]);
/** Fields handled here, or meaningful only to OpenAI's own service (storage, caching knobs, routing): dropped quietly. */
const HANDLED = new Set([
  'model', 'messages', 'tools', 'tool_choice', 'parallel_tool_calls', 'max_completion_tokens', 'max_tokens', 'stop',
  'temperature', 'top_p', 'reasoning_effort', 'response_format', 'stream', 'stream_options', 'user', 'safety_identifier',
  'n', 'functions', 'function_call', 'cache_control',
  // prompt_cache_key is the caller's session id (clients.md); the rest have no Anthropic counterpart.
  'prompt_cache_key', 'prompt_cache_options', 'prompt_cache_retention', 'store', 'metadata', 'service_tier', 'moderation',
]);

/** Translates a chat.completions request body. Throws ProxyError BODY_INVALID (a 400) when meaning would be lost. */
export function translateRequest(req: ChatRequest, opts: RequestOptions): TranslatedRequest {
  if (typeof req !== 'object' || req === null || !Array.isArray(req.messages)) throw invalid('messages must be an array.', 'messages');
  const warnings: TranslateWarning[] = [];
  if (req.n !== undefined && req.n !== null && req.n !== 1) throw invalid('n > 1 is not supported: an Anthropic model returns one choice.', 'n');
  if (Array.isArray(req.functions) && req.functions.length > 0) throw invalid('The deprecated `functions` field is not supported; send `tools`.', 'functions');

  const { system, messages, skipped } = convertMessages(req.messages, opts.carriedThinking);
  const tools = Array.isArray(req.tools) && req.tools.length > 0 ? req.tools.map(convertTool) : undefined;
  // tool_choice without tools is meaningless to Anthropic (and refused), so it goes only with tools.
  const toolChoice = tools ? withParallel(convertToolChoice(req.tool_choice), req.parallel_tool_calls) : undefined;
  const maxTokens = req.max_completion_tokens ?? req.max_tokens ?? opts.defaultMaxTokens ?? DEFAULT_MAX_TOKENS;
  const settled = reconcileThinking({
    messages,
    plan: planThinking(req.reasoning_effort, { style: opts.thinkingStyle ?? 'adaptive', maxTokens, param: 'reasoning_effort' }),
    toolChoice,
    skipped,
    style: opts.thinkingStyle ?? 'adaptive',
    ...(opts.forcedToolChoice !== undefined ? { forcedToolChoice: opts.forcedToolChoice } : {}),
    sampling: { ...(typeof req.temperature === 'number' ? { temperature: req.temperature } : {}), ...(typeof req.top_p === 'number' ? { top_p: req.top_p } : {}) },
  });
  const { plan, sampling, toolChoice: settledChoice } = settled;
  warnings.push(...settled.warnings);
  const format = convertResponseFormat(req.response_format, warnings);
  const outputConfig: OutputConfig | undefined = plan.effort || format ? { ...(plan.effort ? { effort: plan.effort } : {}), ...(format ? { format } : {}) } : undefined;
  const stop = typeof req.stop === 'string' ? [req.stop] : Array.isArray(req.stop) && req.stop.length > 0 ? [...req.stop] : undefined;
  // safety_identifier replaces `user` (protocols.md §4.1); either is an opaque end-user id, as metadata.user_id is.
  const userId = req.safety_identifier ?? req.user;

  for (const key of Object.keys(req)) {
    if (HANDLED.has(key)) continue;
    if (DROPPED_WITH_WARNING.has(key) && (req[key] === null || req[key] === false)) continue;
    warnings.push({ code: 'dropped_field', message: `\`${key}\` has no Anthropic equivalent and was not sent.`, param: key });
  }

  const body: MessageCreateParams = {
    model: opts.model,
    max_tokens: maxTokens,
    ...(system.length > 0 ? { system } : {}),
    messages,
    ...(tools ? { tools } : {}),
    ...(settledChoice ? { tool_choice: settledChoice } : {}),
    ...(plan.thinking ? { thinking: plan.thinking } : {}),
    ...(outputConfig ? { output_config: outputConfig } : {}),
    // OpenRouter's top-level automatic caching field (protocols.md §6.2) is Anthropic's own (§0.1).
    ...(req.cache_control && typeof req.cache_control === 'object' ? { cache_control: { ...(req.cache_control as CacheControl) } } : {}),
    ...(stop ? { stop_sequences: stop } : {}),
    ...(sampling.temperature !== undefined ? { temperature: sampling.temperature } : {}),
    ...(sampling.top_p !== undefined ? { top_p: sampling.top_p } : {}),
    ...(typeof userId === 'string' && userId !== '' ? { metadata: { user_id: userId } } : {}),
    ...(typeof req.stream === 'boolean' ? { stream: req.stream } : {}),
  };
  return { body, warnings };
}

function convertMessages(input: readonly ChatMessage[], carried: ReadonlyMap<string, CarriedTurn> | undefined): { system: TextBlockParam[]; messages: MessageParam[]; skipped: Set<MessageParam> } {
  const system: TextBlockParam[] = [];
  const messages: MessageParam[] = [];
  const skipped = new Set<MessageParam>();
  let started = false; // has a user/assistant/tool message been seen yet?
  input.forEach((m, i) => {
    const param = `messages[${i}]`;
    if (typeof m !== 'object' || m === null) throw invalid('Each message must be an object.', param);
    switch (m.role) {
      case 'system':
      case 'developer': {
        // Leading system/developer messages are the system prompt; later ones stay in place (lateSystemText).
        const blocks = textParts(m.content, `${param}.content`);
        if (!started) system.push(...blocks);
        else pushTurn(messages, 'user', blocks.map((b) => textBlock(lateSystemText(b.text), b.cache_control)));
        break;
      }
      case 'user':
        started = true;
        pushTurn(messages, 'user', userBlocks(m.content, `${param}.content`));
        break;
      case 'assistant': {
        started = true;
        pushTurn(messages, 'assistant', assistantBlocks(m, param));
        const kept = carried && keptTurn(m, carried);
        if (kept) putBack(messages[messages.length - 1]!, kept, skipped);
        break;
      }
      case 'tool': {
        // Consecutive tool messages land in one user turn through pushTurn's merge.
        started = true;
        if (typeof m.tool_call_id !== 'string') throw invalid('A tool message needs tool_call_id.', `${param}.tool_call_id`);
        const content = typeof m.content === 'string' ? m.content : textParts(m.content, `${param}.content`);
        const result: ToolResultBlockParam = { type: 'tool_result', tool_use_id: m.tool_call_id, content };
        pushTurn(messages, 'user', [result]);
        break;
      }
      case 'function':
        throw invalid('The deprecated `function` role is not supported; use tool messages.', `${param}.role`);
      default: {
        const _exhaustive: never = m;
        throw invalid(`Unknown message role "${(_exhaustive as { role: unknown }).role}".`, `${param}.role`);
      }
    }
  });
  // toolResultsFirst returns assistant turns as they are, so `skipped` still names them.
  return { system, messages: toolResultsFirst(messages), skipped };
}

/** The kept turn one of this message's tool call ids names. */
function keptTurn(m: Extract<ChatMessage, { role: 'assistant' }>, carried: ReadonlyMap<string, CarriedTurn>): CarriedTurn | undefined {
  for (const call of m.tool_calls ?? []) {
    const kept = typeof call?.id === 'string' ? carried.get(call.id) : undefined;
    if (kept) return kept;
  }
  return undefined;
}

/**
 * The kept blocks open the assistant turn (where Claude put them, and where Anthropic looks for
 * them); fresh copies, so a later in-place edit of the upstream body cannot reach the session's. A
 * turn that opens with thinking already (a client that merged two answers into one message) is left
 * as it is.
 */
function putBack(turn: MessageParam, kept: CarriedTurn, skipped: Set<MessageParam>): void {
  const content = turn.content as ContentBlockParam[];
  if (kept.blocks.length === 0) {
    skipped.add(turn);
    return;
  }
  const first = content[0];
  if (first?.type === 'thinking' || first?.type === 'redacted_thinking') return;
  content.unshift(...kept.blocks.map(canonicalBlock));
}

/** string | text parts -> text blocks; empty texts are dropped (Anthropic refuses empty text blocks). */
function textParts(content: string | TextPart[] | null | undefined, param: string): TextBlockParam[] {
  if (typeof content === 'string') return content === '' ? [] : [textBlock(content)];
  if (!Array.isArray(content)) throw invalid('Message content must be a string or an array of parts.', param);
  return content.flatMap((p, j) => {
    if (p?.type !== 'text' || typeof p.text !== 'string') throw invalid('Only text parts are allowed here.', `${param}[${j}]`);
    return p.text === '' ? [] : [textBlock(p.text, p.cache_control)];
  });
}

function userBlocks(content: string | UserPart[], param: string): ContentBlockParam[] {
  if (typeof content === 'string') return content === '' ? [] : [textBlock(content)];
  if (!Array.isArray(content)) throw invalid('Message content must be a string or an array of parts.', param);
  return content.flatMap((part, j): ContentBlockParam[] => {
    const p = `${param}[${j}]`;
    switch (part.type) {
      case 'text': return part.text === '' ? [] : [textBlock(part.text, part.cache_control)];
      case 'image_url': return [imageBlock(part.image_url?.url, p, part.cache_control)];
      case 'file': return [pdfBlock(part.file?.file_data, p, part.file?.filename, part.cache_control)];
      case 'input_audio': throw invalid('Audio input is not supported by Anthropic models.', p);
      default: {
        const _exhaustive: never = part;
        throw invalid(`Unknown content part type "${(_exhaustive as { type: unknown }).type}".`, p);
      }
    }
  });
}

function assistantBlocks(m: Extract<ChatMessage, { role: 'assistant' }>, param: string): ContentBlockParam[] {
  const blocks: ContentBlockParam[] = [];
  if (typeof m.content === 'string') {
    if (m.content !== '') blocks.push(textBlock(m.content));
  } else if (Array.isArray(m.content)) {
    m.content.forEach((part: TextPart | RefusalPart, j) => {
      switch (part.type) {
        case 'text': if (part.text !== '') blocks.push(textBlock(part.text, part.cache_control)); break;
        // A refusal the model gave earlier is what it said; replayed as text.
        case 'refusal': if (part.refusal !== '') blocks.push(textBlock(part.refusal)); break;
        default: {
          const _exhaustive: never = part;
          throw invalid(`Unknown assistant content part type "${(_exhaustive as { type: unknown }).type}".`, `${param}.content[${j}]`);
        }
      }
    });
  } else if (typeof m.refusal === 'string' && m.refusal !== '') {
    blocks.push(textBlock(m.refusal));
  }
  // `reasoning_content` some clients echo back is dropped: without Anthropic's signature it cannot become a thinking block.
  (m.tool_calls ?? []).forEach((call, j) => {
    const p = `${param}.tool_calls[${j}]`;
    if (call.type !== 'function') throw invalid('Custom tool calls cannot be replayed to an Anthropic model.', p);
    const use: ToolUseBlockParam = { type: 'tool_use', id: call.id, name: call.function.name, input: parseToolArguments(call.function.arguments, `${p}.function.arguments`) };
    blocks.push(use);
  });
  return blocks;
}

function convertTool(t: ChatTool, i: number): ToolParam {
  const param = `tools[${i}]`;
  switch (t.type) {
    case 'function': {
      const f = t.function;
      if (typeof f?.name !== 'string' || f.name === '') throw invalid('A function tool needs a name.', `${param}.function.name`);
      // Anthropic requires an object schema with `type`; OpenAI allows parameters to be omitted (= no arguments).
      const params = f.parameters;
      const schema = params && typeof params === 'object' ? (params.type === undefined ? { type: 'object', ...params } : params) : { type: 'object' };
      return { name: f.name, ...(f.description ? { description: f.description } : {}), input_schema: schema, ...copyCacheControl(t.cache_control) };
    }
    case 'custom':
      throw invalid('Custom (free-form) tools are not supported on this route; declare a function tool.', param);
    default: {
      const _exhaustive: never = t;
      throw invalid(`Unknown tool type "${(_exhaustive as { type: unknown }).type}".`, `${param}.type`);
    }
  }
}

/** auto/none map 1:1, required -> any, a named function -> tool (§1.2 tool_choice). */
function convertToolChoice(choice: ChatToolChoice | null | undefined): ToolChoice | undefined {
  if (choice === null || choice === undefined) return undefined;
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  if (typeof choice !== 'object') throw invalid(`Unknown tool_choice "${String(choice)}".`, 'tool_choice');
  switch (choice.type) {
    case 'function': return { type: 'tool', name: choice.function.name };
    case 'custom': throw invalid('Custom tools are not supported on this route.', 'tool_choice');
    // Restricting to a subset would mean filtering tools, which changes the cached prefix; refused rather than ignored.
    case 'allowed_tools': throw invalid('tool_choice "allowed_tools" is not supported for Anthropic models.', 'tool_choice');
    default: {
      const _exhaustive: never = choice;
      throw invalid(`Unknown tool_choice type "${(_exhaustive as { type: unknown }).type}".`, 'tool_choice');
    }
  }
}

/** json_schema -> output_config.format (Anthropic structured outputs); json_object has no equivalent. */
function convertResponseFormat(rf: ChatRequest['response_format'], warnings: TranslateWarning[]): OutputConfig['format'] {
  if (!rf || rf.type === 'text') return undefined;
  if (rf.type === 'json_schema') {
    if (rf.json_schema?.schema === undefined) throw invalid('response_format json_schema needs a schema.', 'response_format.json_schema.schema');
    return { type: 'json_schema', schema: rf.json_schema.schema };
  }
  warnings.push({ code: 'dropped_field', message: 'response_format json_object has no Anthropic equivalent; the model is not constrained to JSON.', param: 'response_format' });
  return undefined;
}
