/**
 * Partial views of the OpenAI Responses API (protocols.md §5), field names from
 * node_modules/openai/resources/responses/responses.d.ts, plus the item kinds Codex sends
 * (clients.md "What the proxy must accept" §2). Closed unions; see wire-anthropic.ts.
 */
import type { JsonObject } from '../../json/json-object.ts';

export interface InputText { type: 'input_text'; text: string }
export interface OutputTextPart { type: 'output_text'; text: string; annotations?: unknown[] }
export interface InputImage { type: 'input_image'; image_url?: string | null; file_id?: string | null; detail?: string }
export interface InputFile { type: 'input_file'; file_data?: string | null; file_id?: string | null; file_url?: string | null; filename?: string | null }
export interface RefusalContent { type: 'refusal'; refusal: string }
export type MessagePart = InputText | OutputTextPart | InputImage | InputFile | RefusalContent;

export interface MessageItem { type?: 'message'; id?: string; role: 'user' | 'assistant' | 'system' | 'developer'; content: string | MessagePart[]; status?: string; phase?: string | null; [k: string]: unknown }
export interface FunctionCallItem { type: 'function_call'; call_id: string; name: string; namespace?: string; arguments: string; id?: string; status?: string }
export type ToolOutput = string | Array<InputText | InputImage | InputFile>;
export interface FunctionCallOutputItem { type: 'function_call_output'; call_id: string; output: ToolOutput; id?: string; status?: string | null }
export interface CustomToolCallItem { type: 'custom_tool_call'; call_id: string; name: string; namespace?: string; input: string; id?: string }
export interface CustomToolCallOutputItem { type: 'custom_tool_call_output'; call_id: string; output: ToolOutput; id?: string }
export interface ReasoningItem { type: 'reasoning'; id?: string; summary?: unknown[]; encrypted_content?: string | null }
export interface AdditionalToolsItem { type: 'additional_tools'; role?: 'developer'; tools: Tool[]; id?: string | null }
export interface ConfigurationUpdateItem { type: 'configuration_update'; id?: string | null; reasoning?: { effort?: string | null } | null; text?: unknown }
/** Items of hosted tools and server state: nothing an Anthropic model can be shown (see request.ts). */
export interface UnreplayableItem {
  type:
    | 'item_reference' | 'compaction' | 'compaction_trigger' | 'web_search_call' | 'file_search_call'
    | 'computer_call' | 'computer_call_output' | 'image_generation_call' | 'code_interpreter_call'
    | 'local_shell_call' | 'local_shell_call_output' | 'shell_call' | 'shell_call_output'
    | 'apply_patch_call' | 'apply_patch_call_output' | 'mcp_list_tools' | 'mcp_approval_request'
    | 'mcp_approval_response' | 'mcp_call' | 'tool_search_call' | 'tool_search_output' | 'program' | 'program_output';
  [k: string]: unknown;
}

export type InputItem =
  | MessageItem | FunctionCallItem | FunctionCallOutputItem | CustomToolCallItem | CustomToolCallOutputItem
  | ReasoningItem | AdditionalToolsItem | ConfigurationUpdateItem | UnreplayableItem;

export interface FunctionTool { type: 'function'; name: string; description?: string | null; parameters?: JsonObject | null; strict?: boolean | null; [k: string]: unknown }
export interface CustomTool { type: 'custom'; name: string; description?: string; format?: { type: 'text' } | { type: 'grammar'; syntax: string; definition: string } | null; [k: string]: unknown }
export interface NamespaceTool { type: 'namespace'; name: string; description?: string; tools: Array<FunctionTool | CustomTool> }
/** Tools OpenAI runs itself; an Anthropic upstream cannot (dropped with a warning). */
export interface HostedTool {
  type:
    | 'web_search' | 'web_search_preview' | 'web_search_2025_08_26' | 'web_search_preview_2025_03_11' | 'file_search'
    | 'computer' | 'computer_use_preview' | 'code_interpreter' | 'image_generation' | 'local_shell' | 'shell'
    | 'apply_patch' | 'mcp' | 'tool_search' | 'programmatic_tool_calling';
  [k: string]: unknown;
}
export type Tool = FunctionTool | CustomTool | NamespaceTool | HostedTool;

export type ToolChoice =
  | 'none' | 'auto' | 'required'
  | { type: 'function'; name: string; namespace?: string }
  | { type: 'custom'; name: string; namespace?: string }
  | { type: string; [k: string]: unknown };

export interface ResponsesRequest {
  model?: string;
  instructions?: string | null;
  input?: string | InputItem[];
  tools?: Tool[] | null;
  tool_choice?: ToolChoice | null;
  parallel_tool_calls?: boolean | null;
  max_output_tokens?: number | null;
  reasoning?: { effort?: string | null; summary?: string | null; [k: string]: unknown } | null;
  temperature?: number | null;
  top_p?: number | null;
  stream?: boolean | null;
  prompt_cache_key?: string | null;
  text?: { format?: { type: string; schema?: unknown; [k: string]: unknown } | null; verbosity?: string | null } | null;
  user?: string | null;
  safety_identifier?: string | null;
  previous_response_id?: string | null;
  conversation?: unknown;
  background?: boolean | null;
  prompt?: unknown;
  [k: string]: unknown;
}

// ---- output (what the translators emit) ----

export interface OutputText { type: 'output_text'; text: string; annotations: unknown[] }
export interface OutputMessage { type: 'message'; id: string; role: 'assistant'; status: ItemStatus; content: OutputText[] }
export interface OutputFunctionCall { type: 'function_call'; id: string; call_id: string; name: string; namespace?: string; arguments: string; status: ItemStatus }
export interface OutputCustomToolCall { type: 'custom_tool_call'; id: string; call_id: string; name: string; namespace?: string; input: string; status: ItemStatus }
export interface SummaryText { type: 'summary_text'; text: string }
/** A thinking block as a reasoning item; encrypted_content carries the block itself (responses-via-anthropic/reasoning.ts). */
export interface OutputReasoning { type: 'reasoning'; id: string; summary: SummaryText[]; encrypted_content?: string; status: ItemStatus }
export type OutputItem = OutputMessage | OutputFunctionCall | OutputCustomToolCall | OutputReasoning;
export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** SDK `ResponseError.code` is a closed list; the translators only use these. */
export type ResponseErrorCode = 'server_error' | 'rate_limit_exceeded' | 'invalid_prompt' | 'context_length_exceeded' | 'insufficient_quota';

export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
  error: { code: ResponseErrorCode; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  model: string;
  output: OutputItem[];
  usage: ResponseUsage | null;
}

/**
 * The Responses API's streamed events (protocols.md §5.3), told apart by `type`. Lifecycle events
 * carry the response object; the rest carry parts of the output. New types may appear and are ignored.
 */
export type ResponseLifecycleType = 'response.created' | 'response.queued' | 'response.in_progress' | 'response.completed' | 'response.incomplete' | 'response.failed';
export type ResponseOutputEventType =
  | 'response.output_item.added' | 'response.output_item.done'
  | 'response.content_part.added' | 'response.content_part.done'
  | 'response.output_text.delta' | 'response.output_text.done' | 'response.output_text.annotation.added'
  | 'response.refusal.delta' | 'response.refusal.done'
  | 'response.function_call_arguments.delta' | 'response.function_call_arguments.done'
  | 'response.custom_tool_call_input.delta' | 'response.custom_tool_call_input.done'
  | 'response.reasoning_summary_part.added' | 'response.reasoning_summary_part.done'
  | 'response.reasoning_summary_text.delta' | 'response.reasoning_summary_text.done'
  | 'response.reasoning_text.delta' | 'response.reasoning_text.done';
/** Fields are optional: an upstream's event is read, never trusted to be complete. */
export type ResponseStreamEvent =
  | { type: ResponseLifecycleType; sequence_number?: number; response?: Partial<Omit<ResponseObject, 'usage' | 'error'>> & { usage?: ResponsesUsageIn | null; error?: { code?: string; message?: string } | null } }
  | { type: 'error'; code?: string | null; message?: string; param?: string | null; sequence_number?: number }
  | { type: ResponseOutputEventType; sequence_number?: number; [k: string]: unknown };

/** Usage as an upstream may send it: every field optional; OpenRouter adds `cost` in USD (protocols.md §6.4). */
export interface ResponsesUsageIn {
  input_tokens?: number; output_tokens?: number;
  input_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
  cost?: number;
}
