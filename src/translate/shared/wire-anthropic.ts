/**
 * Partial views of the Anthropic Messages wire format (protocols.md §1.2-1.5), for the translators.
 * Only the fields the translators read or write are declared. Unions are closed on purpose so the
 * switches over `type` stay exhaustive (`const _exhaustive: never`); a type the API adds later reaches
 * the `default` branch at runtime and is handled there explicitly.
 */

export type JsonObject = Record<string, unknown>;

/** protocols.md §1.1: unknown keys inside cache_control (e.g. `scope`) are kept as they are. */
export interface CacheControl { type: 'ephemeral'; ttl?: '5m' | '1h'; [k: string]: unknown }

// ---- request side (§1.3) ----

export interface TextBlockParam { type: 'text'; text: string; cache_control?: CacheControl | null; citations?: unknown }
export type ImageSource =
  | { type: 'base64'; media_type: string; data: string }
  | { type: 'url'; url: string }
  | { type: 'file'; file_id: string };
export interface ImageBlockParam { type: 'image'; source: ImageSource; cache_control?: CacheControl | null }
export type DocumentSource =
  | { type: 'base64'; media_type: string; data: string }
  | { type: 'text'; media_type: string; data: string }
  | { type: 'url'; url: string }
  | { type: 'content'; content: unknown }
  | { type: 'file'; file_id: string };
export interface DocumentBlockParam { type: 'document'; source: DocumentSource; title?: string | null; context?: string | null; cache_control?: CacheControl | null }
export interface ToolUseBlockParam { type: 'tool_use'; id: string; name: string; input: JsonObject; cache_control?: CacheControl | null }
/** Blocks a tool_result may hold (§1.3); `tool_reference`/`search_result` are listed so they can be handled. */
export type ToolResultContentBlock =
  | TextBlockParam
  | ImageBlockParam
  | DocumentBlockParam
  | { type: 'search_result'; [k: string]: unknown }
  | { type: 'tool_reference'; tool_name: string; [k: string]: unknown };
export interface ToolResultBlockParam {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | ToolResultContentBlock[];
  is_error?: boolean;
  cache_control?: CacheControl | null;
}
export interface ThinkingBlockParam { type: 'thinking'; thinking: string; signature: string }
export interface RedactedThinkingBlockParam { type: 'redacted_thinking'; data: string }
/** Server-tool replay blocks (§1.3): only meaningful to Anthropic itself. */
export interface ServerToolBlockParam {
  type:
    | 'server_tool_use' | 'web_search_tool_result' | 'web_fetch_tool_result' | 'code_execution_tool_result'
    | 'bash_code_execution_tool_result' | 'text_editor_code_execution_tool_result' | 'tool_search_tool_result'
    | 'container_upload' | 'search_result';
  [k: string]: unknown;
}

export type ContentBlockParam =
  | TextBlockParam | ImageBlockParam | DocumentBlockParam | ToolUseBlockParam | ToolResultBlockParam
  | ThinkingBlockParam | RedactedThinkingBlockParam | ServerToolBlockParam;

/** `role: "system"` mid-conversation messages exist since 2026-05-28 (§1.3). */
export interface MessageParam { role: 'user' | 'assistant' | 'system'; content: string | ContentBlockParam[] }

export interface ToolParam {
  name: string;
  description?: string;
  input_schema: JsonObject;
  /** Absent or "custom" for client tools; a versioned string (e.g. "web_search_20250305") for Anthropic-defined tools. */
  type?: string;
  cache_control?: CacheControl | null;
  [k: string]: unknown;
}

export type ToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

export type ThinkingConfig =
  | { type: 'enabled'; budget_tokens: number; display?: string | null }
  | { type: 'adaptive'; display?: string | null }
  | { type: 'disabled' }
  | { type: 'between_tools' };

export type Effort = 'low' | 'medium' | 'high' | 'xhigh' | 'max';

export interface OutputConfig { effort?: Effort | null; format?: { type: 'json_schema'; schema: unknown } | null }

/** The body the OpenAI-client pairs build. Key order of this literal is the key order on the wire. */
export interface MessagesRequest {
  model: string;
  max_tokens: number;
  system?: string | TextBlockParam[];
  messages: MessageParam[];
  tools?: ToolParam[];
  tool_choice?: ToolChoice;
  thinking?: ThinkingConfig;
  output_config?: OutputConfig;
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  metadata?: { user_id?: string | null };
  stream?: boolean;
  [k: string]: unknown;
}

// ---- response side (§1.4) ----

export interface TextBlock { type: 'text'; text: string; citations?: unknown }
export interface ThinkingBlock { type: 'thinking'; thinking: string; signature: string }
export interface RedactedThinkingBlock { type: 'redacted_thinking'; data: string }
export interface ToolUseBlock { type: 'tool_use'; id: string; name: string; input: unknown; caller?: unknown }
export interface ServerToolBlock {
  type:
    | 'server_tool_use' | 'web_search_tool_result' | 'web_fetch_tool_result' | 'code_execution_tool_result'
    | 'bash_code_execution_tool_result' | 'text_editor_code_execution_tool_result' | 'tool_search_tool_result'
    | 'container_upload';
  [k: string]: unknown;
}
export type ContentBlock = TextBlock | ThinkingBlock | RedactedThinkingBlock | ToolUseBlock | ServerToolBlock;

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';

export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
  [k: string]: unknown;
}

export interface Message {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: ContentBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
  [k: string]: unknown;
}

// ---- streaming (§1.5) ----

export type Delta =
  | { type: 'text_delta'; text: string }
  | { type: 'input_json_delta'; partial_json: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'citations_delta'; citation: unknown };

export interface ErrorObject { type: string; message: string }

export type StreamEvent =
  | { type: 'message_start'; message: Message }
  | { type: 'content_block_start'; index: number; content_block: ContentBlock }
  | { type: 'content_block_delta'; index: number; delta: Delta }
  | { type: 'content_block_stop'; index: number }
  | { type: 'message_delta'; delta: { stop_reason?: StopReason | null; stop_sequence?: string | null }; usage?: AnthropicUsage | null }
  | { type: 'message_stop' }
  | { type: 'ping' }
  | { type: 'error'; error: ErrorObject };

/** §1.6 */
export interface ErrorBody { type: 'error'; error: ErrorObject; request_id?: string }
