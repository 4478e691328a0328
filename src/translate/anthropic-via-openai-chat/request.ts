/**
 * Anthropic Messages body (Claude Code; protocols.md §1.2-1.3, clients.md "Claude Code") ->
 * OpenAI-compatible chat.completions body (§4.1-4.2), for a model only such a provider serves.
 *
 * - system (string or text blocks) -> one system message; blocks joined with a blank line. Claude
 *   Code's billing-header line stays (it is content); every cache_control goes (no Anthropic cache
 *   here; OpenAI-compatible providers cache prefixes by themselves, §7).
 * - `role:"system"` messages inside messages[] -> system messages in place.
 * - user: tool_result blocks -> `tool` messages first (OpenAI wants them right after the assistant's
 *   tool_calls), then the rest of the turn as one user message.
 * - assistant: text -> content, tool_use -> tool_calls; thinking/redacted_thinking dropped (their
 *   signatures mean nothing to another provider).
 * Text that Anthropic keeps in several blocks becomes one string where the OpenAI side has no parts
 * (system, tool) and wherever only text is left (user), because many OpenAI-compatible providers
 * accept only string content; blocks are joined with "\n\n", except assistant text, which is pieces
 * of one answer and is joined as-is.
 */
import type { ContentBlockParam, MessageCreateParams, MessageParam, ToolParam, ToolResultBlockParam } from '../../protocols/anthropic/wire.ts';
import type { ChatMessageOut, ChatRequestOut, FunctionToolCall } from '../shared/wire-openai-chat.ts';
import { invalid, type TranslateWarning } from '../shared/build-anthropic.ts';

export interface RequestOptions {
  /** The model id the upstream expects (route.upstreamModel). */
  model: string;
  /**
   * Which field carries max_tokens. `max_tokens` (default) is the one every OpenAI-compatible provider
   * (OpenRouter, DeepSeek, Qwen, Kimi, GLM, vLLM) accepts; OpenAI itself deprecated it and its reasoning
   * models accept only `max_completion_tokens`, so a route to OpenAI direct picks that.
   */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /**
   * The model's output limit, when the route knows it. Claude Code asks for 32000-64000 tokens
   * (clients.md); a provider whose model allows fewer refuses the request instead of clamping.
   */
  maxOutputTokens?: number;
}

export interface TranslatedRequest { body: ChatRequestOut; warnings: TranslateWarning[] }

type UserPartOut = Exclude<Extract<ChatMessageOut, { role: 'user' }>['content'], string>[number];

/** Handled, or Anthropic-only knobs with no meaning at another provider (dropped quietly). */
const HANDLED = new Set([
  'model', 'max_tokens', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'output_config', 'stop_sequences',
  'stream', 'temperature', 'top_p',
  // metadata.user_id is Claude Code's device/session JSON (clients.md): not sent to third parties.
  'metadata', 'cache_control', 'context_management', 'container', 'service_tier', 'inference_geo', 'speed',
  'diagnostics', 'user_profile_id',
]);

/** Translates a Messages request body. Throws ProxyError BODY_INVALID (a 400) on a malformed body. */
export function translateRequest(req: MessageCreateParams, opts: RequestOptions): TranslatedRequest {
  if (typeof req !== 'object' || req === null || !Array.isArray(req.messages)) throw invalid('messages must be an array.', 'messages');
  const warnings: TranslateWarning[] = [];
  const messages: ChatMessageOut[] = [];

  const system = systemText(req.system, 'system', warnings);
  if (system !== '') messages.push({ role: 'system', content: system });
  req.messages.forEach((m, i) => convertMessage(m, `messages[${i}]`, messages, warnings));

  const tools = (req.tools ?? []).flatMap((t, i) => convertTool(t, `tools[${i}]`, warnings));
  const choice = req.tool_choice;
  const toolChoice = tools.length === 0 || !choice ? undefined
    : choice.type === 'auto' ? 'auto' as const
    : choice.type === 'any' ? 'required' as const
    : choice.type === 'none' ? 'none' as const
    : choice.type === 'tool' ? { type: 'function' as const, function: { name: choice.name } }
    : undefined;
  const noParallel = tools.length > 0 && choice && choice.type !== 'none' && choice.disable_parallel_tool_use === true;
  // Effort vocabularies match (low|medium|high|xhigh|max). Thinking alone (budget_tokens) has no
  // OpenAI counterpart, so without an effort the provider's default applies.
  const effort = req.output_config?.effort ?? undefined;
  let maxTokens = typeof req.max_tokens === 'number' ? req.max_tokens : undefined;
  if (maxTokens !== undefined && opts.maxOutputTokens !== undefined && maxTokens > opts.maxOutputTokens) {
    warnings.push({ code: 'dropped_field', message: `max_tokens ${maxTokens} lowered to the model's limit of ${opts.maxOutputTokens}.`, param: 'max_tokens' });
    maxTokens = opts.maxOutputTokens;
  }
  const format = req.output_config?.format;
  if (typeof req.top_k === 'number') warnings.push({ code: 'dropped_field', message: 'top_k is not part of the OpenAI chat format.', param: 'top_k' });
  for (const key of Object.keys(req)) {
    if (!HANDLED.has(key) && key !== 'top_k') warnings.push({ code: 'dropped_field', message: `\`${key}\` has no OpenAI chat equivalent and was not sent.`, param: key });
  }

  const body: ChatRequestOut = {
    model: opts.model,
    messages,
    ...(tools.length > 0 ? { tools } : {}),
    ...(toolChoice ? { tool_choice: toolChoice } : {}),
    ...(noParallel ? { parallel_tool_calls: false } : {}),
    ...(maxTokens !== undefined ? { [opts.maxTokensField ?? 'max_tokens']: maxTokens } : {}),
    ...(Array.isArray(req.stop_sequences) && req.stop_sequences.length > 0 ? { stop: [...req.stop_sequences] } : {}),
    ...(typeof req.temperature === 'number' ? { temperature: req.temperature } : {}),
    ...(typeof req.top_p === 'number' ? { top_p: req.top_p } : {}),
    ...(effort ? { reasoning_effort: effort } : {}),
    // OpenAI requires a schema name; it only labels the schema.
    ...(format && format.type === 'json_schema' ? { response_format: { type: 'json_schema' as const, json_schema: { name: 'response', schema: format.schema } } } : {}),
    // Usage arrives only in the final chunk, and only when asked for (§4.3); the reply needs it.
    ...(req.stream === true ? { stream: true, stream_options: { include_usage: true as const } } : typeof req.stream === 'boolean' ? { stream: false } : {}),
  };
  return { body, warnings };
}

function systemText(system: MessageCreateParams['system'], param: string, warnings: TranslateWarning[]): string {
  if (system === undefined || system === null) return '';
  if (typeof system === 'string') return system;
  if (!Array.isArray(system)) throw invalid('system must be a string or an array of text blocks.', param);
  return joinTexts(system as ContentBlockParam[], param, warnings);
}

/** Text of text blocks, joined with a blank line; anything else is dropped with a warning. */
function joinTexts(blocks: readonly ContentBlockParam[], param: string, warnings: TranslateWarning[]): string {
  const texts: string[] = [];
  blocks.forEach((b, j) => {
    if (b?.type === 'text') texts.push(b.text);
    else warnings.push({ code: 'dropped_content', message: `A ${String(b?.type)} block cannot go into a system message.`, param: `${param}[${j}]` });
  });
  return texts.join('\n\n');
}

function convertMessage(m: MessageParam, param: string, out: ChatMessageOut[], warnings: TranslateWarning[]): void {
  if (typeof m !== 'object' || m === null) throw invalid('Each message must be an object.', param);
  switch (m.role) {
    case 'system': {
      const text = typeof m.content === 'string' ? m.content : joinTexts(m.content, `${param}.content`, warnings);
      if (text !== '') out.push({ role: 'system', content: text });
      return;
    }
    case 'user':
      if (typeof m.content === 'string') out.push({ role: 'user', content: m.content });
      else userTurn(m.content, `${param}.content`, out, warnings);
      return;
    case 'assistant':
      if (typeof m.content === 'string') out.push({ role: 'assistant', content: m.content });
      else assistantTurn(m.content, `${param}.content`, out, warnings);
      return;
    default: {
      const _exhaustive: never = m.role;
      throw invalid(`Unknown message role "${String(_exhaustive)}".`, `${param}.role`);
    }
  }
}

function userTurn(blocks: ContentBlockParam[], param: string, out: ChatMessageOut[], warnings: TranslateWarning[]): void {
  if (!Array.isArray(blocks)) throw invalid('Message content must be a string or an array of blocks.', param);
  const tools: ChatMessageOut[] = [];
  const moved: UserPartOut[] = []; // images from tool results: a tool message carries text only
  const parts: UserPartOut[] = [];
  blocks.forEach((b, j) => {
    const p = `${param}[${j}]`;
    switch (b.type) {
      case 'tool_result': {
        const r = toolResult(b, p, warnings);
        tools.push({ role: 'tool', tool_call_id: b.tool_use_id, content: r.text });
        moved.push(...r.images);
        break;
      }
      case 'text': parts.push({ type: 'text', text: b.text }); break;
      case 'image': parts.push(...imagePart(b.source, p, warnings)); break;
      case 'document': parts.push(...documentPart(b, p, warnings)); break;
      case 'thinking':
      case 'redacted_thinking':
      case 'tool_use':
      case 'server_tool_use': case 'web_search_tool_result': case 'web_fetch_tool_result': case 'code_execution_tool_result':
      case 'bash_code_execution_tool_result': case 'text_editor_code_execution_tool_result': case 'tool_search_tool_result':
      case 'container_upload': case 'search_result':
        warnings.push({ code: 'dropped_content', message: `A ${b.type} block in a user turn has no OpenAI chat equivalent.`, param: p });
        break;
      default: {
        const _exhaustive: never = b;
        warnings.push({ code: 'dropped_content', message: `Unknown block type "${String((_exhaustive as { type: unknown }).type)}" was dropped.`, param: p });
      }
    }
  });
  out.push(...tools);
  const all = [...moved, ...parts];
  if (all.length === 0) return;
  const onlyText = all.every((p) => p.type === 'text');
  out.push({ role: 'user', content: onlyText ? all.map((p) => (p as { text: string }).text).join('\n\n') : all });
}

function assistantTurn(blocks: ContentBlockParam[], param: string, out: ChatMessageOut[], warnings: TranslateWarning[]): void {
  if (!Array.isArray(blocks)) throw invalid('Message content must be a string or an array of blocks.', param);
  let text = '';
  const calls: FunctionToolCall[] = [];
  blocks.forEach((b, j) => {
    switch (b.type) {
      case 'text': text += b.text; break;
      case 'tool_use': calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } }); break;
      case 'thinking':
      case 'redacted_thinking':
        break; // see the header
      case 'image': case 'document': case 'tool_result':
      case 'server_tool_use': case 'web_search_tool_result': case 'web_fetch_tool_result': case 'code_execution_tool_result':
      case 'bash_code_execution_tool_result': case 'text_editor_code_execution_tool_result': case 'tool_search_tool_result':
      case 'container_upload': case 'search_result':
        warnings.push({ code: 'dropped_content', message: `A ${b.type} block in an assistant turn has no OpenAI chat equivalent.`, param: `${param}[${j}]` });
        break;
      default: {
        const _exhaustive: never = b;
        warnings.push({ code: 'dropped_content', message: `Unknown block type "${String((_exhaustive as { type: unknown }).type)}" was dropped.`, param: `${param}[${j}]` });
      }
    }
  });
  // A turn that held only thinking says nothing to another model; an empty assistant message is refused by some providers.
  if (text === '' && calls.length === 0) return;
  out.push({ role: 'assistant', content: text === '' ? null : text, ...(calls.length > 0 ? { tool_calls: calls } : {}) });
}

/** tool_result -> the tool message's text ("Error: " first when is_error) and any images it held. */
function toolResult(b: ToolResultBlockParam, param: string, warnings: TranslateWarning[]): { text: string; images: UserPartOut[] } {
  const texts: string[] = [];
  const images: UserPartOut[] = [];
  if (typeof b.content === 'string') texts.push(b.content);
  else if (Array.isArray(b.content)) {
    b.content.forEach((c, k) => {
      const p = `${param}.content[${k}]`;
      switch (c.type) {
        case 'text': texts.push(c.text); break;
        case 'image': images.push(...imagePart(c.source, p, warnings)); break;
        case 'document': {
          const d = documentPart(c, p, warnings);
          for (const part of d) if (part.type === 'text') texts.push(part.text); else images.push(part);
          break;
        }
        case 'search_result':
        case 'tool_reference':
          warnings.push({ code: 'dropped_content', message: `A ${c.type} block in a tool result has no OpenAI chat equivalent.`, param: p });
          break;
        default: {
          const _exhaustive: never = c;
          warnings.push({ code: 'dropped_content', message: `Unknown block type "${String((_exhaustive as { type: unknown }).type)}" was dropped.`, param: p });
        }
      }
    });
  }
  const text = texts.join('\n\n');
  return { text: b.is_error ? `Error: ${text}` : text, images };
}

function imagePart(source: { type: string; [k: string]: unknown }, param: string, warnings: TranslateWarning[]): UserPartOut[] {
  if (source?.type === 'base64') return [{ type: 'image_url', image_url: { url: `data:${String(source.media_type)};base64,${String(source.data)}` } }];
  if (source?.type === 'url') return [{ type: 'image_url', image_url: { url: String(source.url) } }];
  warnings.push({ code: 'dropped_content', message: 'Anthropic file ids cannot be sent to another provider; the image was dropped.', param });
  return [];
}

/** Base64 PDFs -> file parts, plain-text documents -> text; URL/file/content sources have no chat form. */
function documentPart(b: Extract<ContentBlockParam, { type: 'document' }>, param: string, warnings: TranslateWarning[]): UserPartOut[] {
  const s = b.source;
  if (s?.type === 'base64' && s.media_type === 'application/pdf') return [{ type: 'file', file: { file_data: `data:application/pdf;base64,${s.data}`, ...(b.title ? { filename: b.title } : {}) } }];
  if (s?.type === 'text') return [{ type: 'text', text: s.data }];
  warnings.push({ code: 'dropped_content', message: `A document with a ${String(s?.type)} source cannot be sent to an OpenAI-compatible provider.`, param });
  return [];
}

/**
 * Client tools -> function tools. Anthropic-defined tools (a versioned `type` such as
 * "bash_20250124" or "web_search_20250305") have schemas only Anthropic knows: dropped with a warning.
 */
function convertTool(t: ToolParam, param: string, warnings: TranslateWarning[]): NonNullable<ChatRequestOut['tools']> {
  if ((t.type !== undefined && t.type !== 'custom') || typeof t.input_schema !== 'object' || t.input_schema === null) {
    warnings.push({ code: 'dropped_tool', message: `Tool "${String(t.name)}" (${String(t.type)}) is an Anthropic-defined tool; not offered to this model.`, param });
    return [];
  }
  if (typeof t.name !== 'string' || t.name === '') throw invalid('A tool needs a name.', `${param}.name`);
  return [{ type: 'function', function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema } }];
}
