/**
 * Partial views of Anthropic Messages wire types (protocols.md §1.2-1.5): only the fields Synrouter
 * reads. Bodies are never round-tripped through these types; unknown fields survive untouched.
 */

export interface CacheControl { type: 'ephemeral'; ttl?: '5m' | '1h'; [k: string]: unknown }

export interface ContentBlock {
  type: string;
  text?: string;
  cache_control?: CacheControl | null;
  content?: string | ContentBlock[];
  is_error?: boolean;
  [k: string]: unknown;
}

export interface MessageParam { role: 'user' | 'assistant' | 'system'; content: string | ContentBlock[] }

export interface MessagesRequest {
  model: string;
  max_tokens?: number;
  messages: MessageParam[];
  system?: string | ContentBlock[];
  tools?: Array<{ name?: string; type?: string; cache_control?: CacheControl | null; [k: string]: unknown }>;
  cache_control?: CacheControl | null;
  stream?: boolean;
  metadata?: { user_id?: string };
  speed?: string;
  [k: string]: unknown;
}

/** `usage` as Anthropic reports it, in message_start, message_delta and JSON responses (§1.4, §2.9). */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
}

/** Every SSE event type Anthropic documents (§1.5); new ones must be ignored, not treated as fatal. */
export type StreamEvent =
  | { type: 'message_start'; message: { id?: string; model?: string; usage?: AnthropicUsage } }
  | { type: 'content_block_start'; index: number; content_block: ContentBlock }
  | { type: 'content_block_delta'; index: number; delta: { type: string; [k: string]: unknown } }
  | { type: 'content_block_stop'; index: number }
  | { type: 'message_delta'; delta: { stop_reason?: string | null }; usage?: AnthropicUsage }
  | { type: 'message_stop' }
  | { type: 'ping' }
  | { type: 'error'; error: { type: string; message: string } };
