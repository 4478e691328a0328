/**
 * OpenAI Responses body, as Codex CLI sends it (protocols.md §5.1-5.2; clients.md "Codex CLI" and
 * checklist §2) -> Anthropic Messages body (§1.2-1.3).
 *
 * Input items, in order:
 * - message: system/developer before the first conversation item -> top-level system blocks (after
 *   `instructions`); later ones -> user text wrapped by lateSystemText (see there for why). user ->
 *   user blocks, assistant -> assistant text.
 * - function_call -> assistant tool_use (id = call_id); function_call_output -> user tool_result.
 * - custom_tool_call -> tool_use with input {input: <string>}; custom_tool_call_output -> tool_result.
 * - reasoning whose encrypted_content is our carrier (`srant1:`, reasoning.ts) -> the Anthropic
 *   thinking / redacted_thinking blocks it holds, exactly as Claude sent them, in place: the item
 *   comes right before the message and function_call items of the same answer, so the blocks open
 *   that assistant turn, which is what keeps thinking on in a tool loop (reconcileThinking). The
 *   carrier of no blocks (NO_THINKING) marks the answer that follows it as one the model gave
 *   without thinking, so thinking stays on in its tool loop too.
 *   Other reasoning items -> dropped: another provider's encrypted_content means nothing to
 *   Anthropic, and a summary is not a signed thinking block. A carrier that does not decode is
 *   dropped with a warning (the turn then counts as thinking-less).
 * - additional_tools -> its tools join the top-level ones (the item itself says nothing to the model).
 * - configuration_update -> its reasoning.effort applies when the body has none (the item's
 *   documented meaning: it stays in effect until replaced); text format updates are dropped.
 * - items of hosted tools or server state (web_search_call, item_reference, compaction, ...) ->
 *   dropped with a warning: Anthropic cannot run or resolve them, and failing the request would make
 *   a session that used them unusable after a model switch.
 * Consecutive items of one role merge into one Anthropic message.
 *
 * Tools: see tools.ts (namespaces flattened to `<namespace>__<tool>`, custom tools take
 * {input: string}, hosted tools dropped); `toolNameMap` maps the names back for response.ts/stream.ts.
 */
import type { ContentBlockParam, MessageCreateParams, MessageParam, OutputConfig, TextBlockParam, ToolChoice as AnthropicToolChoice, ToolResultBlockParam, ToolResultContentBlock } from '../../protocols/anthropic/wire.ts';
import type { InputItem, MessagePart, ResponsesRequest, ToolChoice, ToolOutput } from '../shared/wire-openai-responses.ts';
import { ToolSet, flattenName, type ToolNameMap } from './tools.ts';
import { decodeThinking } from './reasoning.ts';
import {
  DEFAULT_MAX_TOKENS, imageBlock, invalid, lateSystemText, parseToolArguments, pdfBlock, planThinking, pushTurn,
  reconcileThinking, textBlock, toolResultsFirst, withParallel, type ThinkingStyle, type TranslateWarning,
} from '../shared/build-anthropic.ts';

export interface RequestOptions {
  /** The model id the upstream expects (route.upstreamModel). */
  model: string;
  /** max_tokens when the client sends no max_output_tokens. */
  defaultMaxTokens?: number;
  /** How reasoning.effort maps to thinking for this model (its registry fact); see planThinking. Default 'adaptive'. */
  thinkingStyle?: ThinkingStyle;
  /** False where the model returns an error for forced tool use (its registry fact); see reconcileThinking. */
  forcedToolChoice?: boolean;
}

export type { ToolNameMap, ToolOrigin } from './tools.ts';

export interface TranslatedRequest { body: MessageCreateParams; warnings: TranslateWarning[]; toolNameMap: ToolNameMap }

const DROPPED_WITH_WARNING = new Set(['top_logprobs', 'max_tool_calls', 'truncation', 'service_tier']);
/** Handled here, or meaningful only to OpenAI's service (storage, includes, client bookkeeping). */
const HANDLED = new Set([
  'model', 'instructions', 'input', 'tools', 'tool_choice', 'parallel_tool_calls', 'max_output_tokens', 'reasoning',
  'temperature', 'top_p', 'stream', 'stream_options', 'text', 'user', 'safety_identifier', 'previous_response_id',
  'conversation', 'background', 'prompt',
  // prompt_cache_key is the caller's session id (protocols.md §5.2); the rest are OpenAI bookkeeping.
  'prompt_cache_key', 'prompt_cache_options', 'prompt_cache_retention', 'store', 'include', 'metadata',
  'client_metadata', 'context_management', 'moderation',
]);

/** Translates a Responses request body. Throws ProxyError BODY_INVALID (a 400) when meaning would be lost. */
export function translateRequest(req: ResponsesRequest, opts: RequestOptions): TranslatedRequest {
  if (typeof req !== 'object' || req === null) throw invalid('The body must be a JSON object.');
  // These need conversation state held by OpenAI; with store:false Codex re-sends everything instead (§5.2).
  if (req.previous_response_id) throw invalid('previous_response_id needs server-side state this route does not keep; send the full input.', 'previous_response_id');
  if (req.conversation) throw invalid('conversation needs server-side state this route does not keep; send the full input.', 'conversation');
  if (req.prompt) throw invalid('Stored prompts cannot be resolved for an Anthropic model.', 'prompt');
  if (req.background) throw invalid('background mode is not supported on this route.', 'background');

  const warnings: TranslateWarning[] = [];
  const tools = new ToolSet(warnings);
  tools.addAll(req.tools ?? [], 'tools');

  const items: InputItem[] = typeof req.input === 'string' ? [{ role: 'user', content: req.input }] : Array.isArray(req.input) ? req.input : [];
  if (req.input !== undefined && typeof req.input !== 'string' && !Array.isArray(req.input)) throw invalid('input must be a string or an array of items.', 'input');
  const system: TextBlockParam[] = typeof req.instructions === 'string' && req.instructions !== '' ? [textBlock(req.instructions)] : [];
  const messages: MessageParam[] = [];
  let started = false;
  let updatedEffort: string | null | undefined;
  // The assistant turns answered without thinking (see the header), and whether the next one is.
  const skipped = new Set<MessageParam>();
  let skipNext = false;
  const assistantTurn = (blocks: ContentBlockParam[]) => {
    pushTurn(messages, 'assistant', blocks);
    if (skipNext && blocks.length > 0) skipped.add(messages[messages.length - 1]!);
    skipNext = false;
  };
  const userTurn = (blocks: ContentBlockParam[]) => {
    pushTurn(messages, 'user', blocks);
    skipNext = false;
  };

  items.forEach((item, i) => {
    const param = `input[${i}]`;
    if (typeof item !== 'object' || item === null) throw invalid('Each input item must be an object.', param);
    switch (item.type) {
      case undefined:
      case 'message': {
        const blocks = messageBlocks(item.content, `${param}.content`);
        if (item.role === 'system' || item.role === 'developer') {
          const text = blocks.filter((b): b is TextBlockParam => b.type === 'text');
          if (text.length !== blocks.length) throw invalid('System and developer messages can only hold text.', `${param}.content`);
          if (!started) system.push(...text);
          else userTurn(text.map((b) => textBlock(lateSystemText(b.text), b.cache_control)));
        } else if (item.role === 'user' || item.role === 'assistant') {
          started = true;
          if (item.role === 'user') userTurn(blocks);
          else assistantTurn(blocks);
        } else {
          throw invalid(`Unknown message role "${String(item.role)}".`, `${param}.role`);
        }
        break;
      }
      case 'function_call':
        started = true;
        requireCall(item, param);
        assistantTurn([{ type: 'tool_use', id: item.call_id, name: flattenName(item.name, item.namespace), input: parseToolArguments(item.arguments, `${param}.arguments`) }]);
        break;
      case 'custom_tool_call':
        started = true;
        requireCall(item, param);
        if (typeof item.input !== 'string') throw invalid('custom_tool_call input must be a string.', `${param}.input`);
        assistantTurn([{ type: 'tool_use', id: item.call_id, name: flattenName(item.name, item.namespace), input: { input: item.input } }]);
        break;
      case 'function_call_output':
      case 'custom_tool_call_output':
        started = true;
        userTurn([toolResult(item.call_id, item.output, `${param}.output`)]);
        break;
      case 'reasoning': {
        const carried = decodeThinking(item.encrypted_content);
        if (carried.kind === 'ours') {
          started = true;
          // A carrier of no blocks: the answer that follows had no thinking. Otherwise its blocks open that answer.
          if (carried.blocks.length === 0) skipNext = true;
          else assistantTurn(carried.blocks);
        } else if (carried.kind === 'corrupt') {
          warnings.push({ code: 'dropped_item', message: `A reasoning item's Synrouter thinking carrier is damaged (${carried.reason}) and was left out.`, param: `${param}.encrypted_content` });
        }
        break; // foreign: see the header
      }
      case 'additional_tools':
        tools.addAll(Array.isArray(item.tools) ? item.tools : [], `${param}.tools`);
        break;
      case 'configuration_update':
        if (item.reasoning && item.reasoning.effort !== undefined) updatedEffort = item.reasoning.effort;
        if (item.text !== undefined) warnings.push({ code: 'dropped_item', message: 'A configuration_update text format has no Anthropic equivalent.', param });
        break;
      case 'item_reference': case 'compaction': case 'compaction_trigger': case 'web_search_call': case 'file_search_call':
      case 'computer_call': case 'computer_call_output': case 'image_generation_call': case 'code_interpreter_call':
      case 'local_shell_call': case 'local_shell_call_output': case 'shell_call': case 'shell_call_output':
      case 'apply_patch_call': case 'apply_patch_call_output': case 'mcp_list_tools': case 'mcp_approval_request':
      case 'mcp_approval_response': case 'mcp_call': case 'tool_search_call': case 'tool_search_output':
      case 'program': case 'program_output':
        warnings.push({ code: 'dropped_item', message: `A ${item.type} item cannot be shown to an Anthropic model and was left out.`, param });
        break;
      default: {
        const _exhaustive: never = item;
        warnings.push({ code: 'dropped_item', message: `Unknown input item type "${String((_exhaustive as { type: unknown }).type)}" was left out.`, param });
      }
    }
  });

  const anthropicTools = tools.list();
  const toolChoice = anthropicTools.length > 0 ? withParallel(convertToolChoice(req.tool_choice, tools.map, warnings), req.parallel_tool_calls) : undefined;
  const maxTokens = req.max_output_tokens ?? opts.defaultMaxTokens ?? DEFAULT_MAX_TOKENS;
  const ordered = toolResultsFirst(messages);
  // The request's own reasoning settings win; a configuration_update item covers requests that have none.
  const effort = req.reasoning?.effort ?? updatedEffort;
  const settled = reconcileThinking({
    messages: ordered,
    plan: planThinking(effort, { style: opts.thinkingStyle ?? 'adaptive', maxTokens, param: 'reasoning.effort' }),
    toolChoice,
    style: opts.thinkingStyle ?? 'adaptive',
    ...(opts.forcedToolChoice !== undefined ? { forcedToolChoice: opts.forcedToolChoice } : {}),
    sampling: { ...(typeof req.temperature === 'number' ? { temperature: req.temperature } : {}), ...(typeof req.top_p === 'number' ? { top_p: req.top_p } : {}) },
    skipped,
  });
  const { plan, sampling, toolChoice: settledChoice } = settled;
  warnings.push(...settled.warnings);
  const format = convertTextFormat(req.text?.format, warnings);
  const outputConfig: OutputConfig | undefined = plan.effort || format ? { ...(plan.effort ? { effort: plan.effort } : {}), ...(format ? { format } : {}) } : undefined;
  const userId = req.safety_identifier ?? req.user;

  if (req.text?.verbosity) warnings.push({ code: 'dropped_field', message: 'text.verbosity has no Anthropic equivalent.', param: 'text.verbosity' });
  for (const key of Object.keys(req)) {
    if (HANDLED.has(key)) continue;
    if (DROPPED_WITH_WARNING.has(key) && (req[key] === null || req[key] === undefined)) continue;
    warnings.push({ code: 'dropped_field', message: `\`${key}\` has no Anthropic equivalent and was not sent.`, param: key });
  }

  const body: MessageCreateParams = {
    model: opts.model,
    max_tokens: maxTokens,
    ...(system.length > 0 ? { system } : {}),
    messages: ordered,
    ...(anthropicTools.length > 0 ? { tools: anthropicTools } : {}),
    ...(settledChoice ? { tool_choice: settledChoice } : {}),
    ...(plan.thinking ? { thinking: plan.thinking } : {}),
    ...(outputConfig ? { output_config: outputConfig } : {}),
    ...(sampling.temperature !== undefined ? { temperature: sampling.temperature } : {}),
    ...(sampling.top_p !== undefined ? { top_p: sampling.top_p } : {}),
    ...(typeof userId === 'string' && userId !== '' ? { metadata: { user_id: userId } } : {}),
    ...(typeof req.stream === 'boolean' ? { stream: req.stream } : {}),
  };
  return { body, warnings, toolNameMap: tools.map };
}

function messageBlocks(content: string | MessagePart[], param: string): ContentBlockParam[] {
  if (typeof content === 'string') return content === '' ? [] : [textBlock(content)];
  if (!Array.isArray(content)) throw invalid('Message content must be a string or an array of parts.', param);
  return content.flatMap((part, j): ContentBlockParam[] => {
    const p = `${param}[${j}]`;
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        return part.text === '' ? [] : [textBlock(part.text)];
      case 'refusal': // an earlier refusal is what the model said; replayed as text
        return part.refusal === '' ? [] : [textBlock(part.refusal)];
      case 'input_image':
        if (!part.image_url) throw invalid('input_image needs image_url; OpenAI file ids mean nothing to Anthropic.', p);
        return [imageBlock(part.image_url, p)];
      case 'input_file':
        return [pdfBlock(part.file_data, p, part.filename)];
      default: {
        const _exhaustive: never = part;
        throw invalid(`Unknown content part type "${String((_exhaustive as { type: unknown }).type)}".`, p);
      }
    }
  });
}

/** A replayed call needs the id its output refers to and the tool's name. */
function requireCall(item: { call_id: unknown; name: unknown }, param: string): void {
  if (typeof item.call_id !== 'string' || item.call_id === '') throw invalid('A tool call item needs call_id.', `${param}.call_id`);
  if (typeof item.name !== 'string' || item.name === '') throw invalid('A tool call item needs name.', `${param}.name`);
}

/** function_call_output / custom_tool_call_output -> tool_result; a string stays a string, a list becomes blocks. */
function toolResult(callId: string, output: ToolOutput, param: string): ToolResultBlockParam {
  if (typeof callId !== 'string') throw invalid('A tool output needs call_id.', param);
  if (typeof output === 'string') return { type: 'tool_result', tool_use_id: callId, content: output };
  if (!Array.isArray(output)) throw invalid('Tool output must be a string or a list of content.', param);
  const content = messageBlocks(output, param) as ToolResultContentBlock[];
  return { type: 'tool_result', tool_use_id: callId, content };
}

function convertToolChoice(choice: ToolChoice | null | undefined, map: ToolNameMap, warnings: TranslateWarning[]): AnthropicToolChoice | undefined {
  if (choice === null || choice === undefined) return undefined;
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  if (typeof choice === 'object' && (choice.type === 'function' || choice.type === 'custom') && typeof choice.name === 'string') {
    const ns = typeof choice.namespace === 'string' ? choice.namespace : undefined;
    const direct = flattenName(choice.name, ns);
    if (Object.hasOwn(map, direct)) return { type: 'tool', name: direct };
    // A namespaced tool named without its namespace: unique match only.
    const matches = Object.keys(map).filter((k) => map[k]!.name === choice.name);
    if (matches.length === 1) return { type: 'tool', name: matches[0]! };
    throw invalid(`tool_choice names "${choice.name}", which is not among the tools.`, 'tool_choice');
  }
  // Restricting to a subset would mean filtering tools, which changes the cached prefix; refused rather than ignored.
  if (typeof choice === 'object' && choice.type === 'allowed_tools') throw invalid('tool_choice "allowed_tools" is not supported for Anthropic models.', 'tool_choice');
  // A hosted tool (web_search, ...) was dropped with the tools, so choosing it cannot be honoured.
  warnings.push({ code: 'dropped_field', message: `tool_choice ${JSON.stringify(choice)} has no Anthropic equivalent; the model chooses freely.`, param: 'tool_choice' });
  return undefined;
}

/** text.format json_schema -> output_config.format (structured outputs); json_object has no equivalent. */
function convertTextFormat(format: { type: string; schema?: unknown } | null | undefined, warnings: TranslateWarning[]): OutputConfig['format'] {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_schema') {
    if (format.schema === undefined) throw invalid('text.format json_schema needs a schema.', 'text.format.schema');
    return { type: 'json_schema', schema: format.schema };
  }
  warnings.push({ code: 'dropped_field', message: `text.format "${format.type}" has no Anthropic equivalent.`, param: 'text.format' });
  return undefined;
}
