// Wire types of the Anthropic Messages API, as far as the simulator needs them (protocols.md 1.2-1.4).
// Request types are loose on purpose: validate-request.ts checks the shapes at runtime.

export type JsonObject = Record<string, unknown>;

export type Ttl = '5m' | '1h';

export interface CacheControl {
  type: 'ephemeral';
  ttl?: Ttl;
  /** Unknown keys (e.g. `scope`) are tolerated and ignored (protocols.md 1.1). */
  [key: string]: unknown;
}

export interface MessageParam {
  role: 'user' | 'assistant' | 'system';
  content: string | JsonObject[];
}

export interface MessagesRequest {
  model: string;
  messages: MessageParam[];
  max_tokens?: number;
  system?: string | JsonObject[];
  tools?: JsonObject[];
  tool_choice?: JsonObject;
  thinking?: JsonObject;
  output_config?: JsonObject;
  cache_control?: CacheControl | null;
  stream?: boolean;
  [key: string]: unknown;
}

/** The input side of `usage`: what the cache model decides before any output exists. */
export interface InputUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

/** `usage` exactly as Anthropic reports it on a Message (protocols.md 1.4). */
export interface AnthropicUsage extends InputUsage {
  output_tokens: number;
  service_tier: 'standard';
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
