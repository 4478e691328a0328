/**
 * The Anthropic Messages API on the wire (protocols.md §1; Anthropic's Messages API reference): the one
 * module of its types, for the proxy, the cache model, the translators, the meter and the simulator.
 *
 * Two views of a request, on purpose:
 * - `MessagesRequest` is the proxy's view of a body a client sent: only the fields Synrouter reads,
 *   blocks open (`type: string`), because bodies are forwarded byte for byte and unknown fields and
 *   block types must survive untouched (validate-request.ts checks the shapes at runtime).
 * - `MessageCreateParams` and the `*Param` blocks are the closed unions the translators build and read,
 *   so their switches over `type` stay exhaustive (`const _exhaustive: never`); a type the API adds
 *   later reaches the `default` branch at runtime and is handled there explicitly.
 * A full `MessageCreateParams` is also a `MessagesRequest` (typed in wire.test.ts), so a translated body
 * goes on through the same stages as a client's.
 */
import type { JsonObject } from '../../json/json-object.ts';

export type Ttl = '5m' | '1h';

/** protocols.md §1.1: unknown keys inside cache_control (e.g. `scope`) are kept as they are. */
export interface CacheControl { type: 'ephemeral'; ttl?: Ttl; [k: string]: unknown }

// ---- a request as it arrives (§1.2, §1.3) ----
// Loose on purpose: bodies are forwarded byte for byte, so unknown fields and block types must survive
// untouched, and the simulator must be able to hold (and reject) what a client got wrong.

/** `role: "system"` mid-conversation messages exist since 2026-05-28 (§1.3). */
export interface RequestMessage { role: 'user' | 'assistant' | 'system'; content: string | JsonObject[] }

export interface MessagesRequest {
  model: string;
  max_tokens?: number;
  messages: RequestMessage[];
  system?: string | JsonObject[];
  tools?: JsonObject[];
  tool_choice?: JsonObject;
  thinking?: JsonObject;
  output_config?: JsonObject;
  cache_control?: CacheControl | null;
  stream?: boolean;
  metadata?: { user_id?: string | null };
  speed?: string;
  [k: string]: unknown;
}

/**
 * A content block of a request read by the proxy's own stages (fingerprint, rewrite): the fields they
 * look at, the rest open. validate-request.ts has checked that every block is an object with a string `type`.
 */
export interface RequestBlock {
  type: string;
  text?: string;
  cache_control?: CacheControl | null;
  content?: string | RequestBlock[];
  is_error?: boolean;
  [k: string]: unknown;
}

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

/**
 * A request body in full (the SDK's `MessageCreateParams`): what the OpenAI-client pairs build and what
 * anthropic-via-openai-chat reads. Key order of this literal is the key order on the wire.
 */
export interface MessageCreateParams {
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

/**
 * `usage` as Anthropic reports it, in message_start, message_delta and JSON responses (§1.4, §2.9), read
 * from an upstream: any field may be missing or null (message_delta carries only what changed).
 */
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

// Every SSE event type Anthropic documents; a new one reaches a switch's `default` and is ignored there,
// never treated as fatal.

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

// ---- usage as the cache model and the simulator compute it (§1.4) ----

/** The input side of `usage`: what the cache model decides before any output exists. */
// Type aliases, not interfaces, so they are `AnthropicUsage`s too (an interface has no implicit index signature).
export type InputUsage = {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
};

/** `usage` on a Message with every field present, as the API writes it: what the simulator reports. */
export type MessageUsage = InputUsage & {
  output_tokens: number;
  service_tier: 'standard';
};
