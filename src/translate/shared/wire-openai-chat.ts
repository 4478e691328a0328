/**
 * Partial views of OpenAI Chat Completions (protocols.md §4), as the openai SDK types name the fields
 * (node_modules/openai/resources/chat/completions). OpenRouter-style `cache_control` on content parts
 * (§6.2) is declared too. Unions are closed so switches stay exhaustive; see wire-anthropic.ts.
 */
import type { JsonObject } from '../../json/json-object.ts';
import type { CacheControl } from '../../protocols/anthropic/wire.ts';

export interface TextPart { type: 'text'; text: string; cache_control?: CacheControl | null; prompt_cache_breakpoint?: unknown }
export interface ImagePart { type: 'image_url'; image_url: { url: string; detail?: string }; cache_control?: CacheControl | null; prompt_cache_breakpoint?: unknown }
export interface AudioPart { type: 'input_audio'; input_audio: { data: string; format: string }; cache_control?: CacheControl | null }
export interface FilePart { type: 'file'; file: { file_data?: string; file_id?: string; filename?: string }; cache_control?: CacheControl | null }
export interface RefusalPart { type: 'refusal'; refusal: string }
export type UserPart = TextPart | ImagePart | AudioPart | FilePart;

export interface FunctionToolCall { id: string; type: 'function'; function: { name: string; arguments: string } }
export interface CustomToolCall { id: string; type: 'custom'; custom: { name: string; input: string } }

export type ChatMessage =
  | { role: 'system' | 'developer'; content: string | TextPart[]; name?: string }
  | { role: 'user'; content: string | UserPart[]; name?: string }
  | { role: 'assistant'; content?: string | Array<TextPart | RefusalPart> | null; tool_calls?: Array<FunctionToolCall | CustomToolCall> | null; refusal?: string | null; name?: string; [k: string]: unknown }
  | { role: 'tool'; tool_call_id: string; content: string | TextPart[] }
  | { role: 'function'; name: string; content: string | null };

export type ChatTool =
  | { type: 'function'; function: { name: string; description?: string; parameters?: JsonObject; strict?: boolean | null }; cache_control?: CacheControl | null }
  | { type: 'custom'; custom: { name: string; description?: string; format?: unknown } };

export type ChatToolChoice =
  | 'none' | 'auto' | 'required'
  | { type: 'function'; function: { name: string } }
  | { type: 'custom'; custom: { name: string } }
  | { type: 'allowed_tools'; allowed_tools: unknown };

export interface ChatRequest {
  model?: string;
  messages: ChatMessage[];
  tools?: ChatTool[] | null;
  tool_choice?: ChatToolChoice | null;
  parallel_tool_calls?: boolean | null;
  max_completion_tokens?: number | null;
  max_tokens?: number | null;
  stop?: string | string[] | null;
  temperature?: number | null;
  top_p?: number | null;
  reasoning_effort?: string | null;
  response_format?: { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; json_schema: { name?: string; schema?: unknown; strict?: boolean | null } } | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null; [k: string]: unknown } | null;
  stop_sequences?: never;
  user?: string | null;
  safety_identifier?: string | null;
  n?: number | null;
  [k: string]: unknown;
}

/** The body anthropic-via-openai-chat builds. Key order of the literal is the key order on the wire. */
export interface ChatRequestOut {
  model: string;
  messages: ChatMessageOut[];
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters: unknown } }>;
  tool_choice?: 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };
  parallel_tool_calls?: boolean;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string[];
  temperature?: number;
  top_p?: number;
  reasoning_effort?: string;
  response_format?: { type: 'json_schema'; json_schema: { name: string; schema: unknown } };
  stream?: boolean;
  stream_options?: { include_usage: true };
}

export type ChatMessageOut =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | Array<{ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } } | { type: 'file'; file: { file_data: string; filename?: string } }> }
  | { role: 'assistant'; content: string | null; tool_calls?: FunctionToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

// ---- responses (§4.3, §4.4) ----

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null; [k: string]: unknown } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null; [k: string]: unknown } | null;
  /** DeepSeek's own names (protocols.md §7, UNCONFIRMED there): read only as a fallback. */
  prompt_cache_hit_tokens?: number | null;
  [k: string]: unknown;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: {
      role: 'assistant';
      content: string | null;
      refusal?: string | null;
      tool_calls?: Array<FunctionToolCall | CustomToolCall> | null;
      reasoning_content?: string | null;
      [k: string]: unknown;
    };
    finish_reason: FinishReason | null;
    logprobs?: unknown;
  }>;
  usage?: ChatUsage | null;
  [k: string]: unknown;
}

export interface ToolCallDelta { index: number; id?: string | null; type?: 'function' | null; function?: { name?: string | null; arguments?: string | null } | null }

export interface ChunkDelta {
  role?: 'assistant' | null;
  content?: string | null;
  refusal?: string | null;
  tool_calls?: ToolCallDelta[] | null;
  reasoning_content?: string | null;
  [k: string]: unknown;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{ index: number; delta: ChunkDelta; finish_reason: FinishReason | null; logprobs?: unknown }>;
  usage?: ChatUsage | null;
  [k: string]: unknown;
}

/** protocols.md §4.5. OpenRouter puts a numeric HTTP status in `code` (§6). */
export interface OpenAIErrorObject { message: string; type?: string | null; param?: string | null; code?: string | number | null; [k: string]: unknown }
