/**
 * Providers are small declarative objects: where they live, which wire protocol they speak and how
 * they take a key. Format conversion lives in translate/, I/O in send-upstream.ts.
 */

export type UpstreamProtocol = 'anthropic' | 'openai-chat';

export interface ProviderSpec {
  name: string;
  protocol: UpstreamProtocol;
  defaultBaseUrl: string;
  /** `x-api-key` (Anthropic) or `Authorization: Bearer` (OpenRouter, OpenAI-compatible). */
  auth: 'x-api-key' | 'bearer';
  /**
   * Which models this provider serves: 'anthropic' = Claude models by their bare Anthropic id;
   * 'all' = any model by its `vendor/model` id (OpenRouter); or an explicit list of product ids.
   */
  serves?: 'anthropic' | 'all' | string[];
  /** Beta flags the provider rejects (protocols.md §1.1: gateways reject prompt-caching-scope). */
  dropBetas?: readonly string[];
}

export const anthropic = {
  name: 'anthropic',
  protocol: 'anthropic',
  defaultBaseUrl: 'https://api.anthropic.com',
  auth: 'x-api-key',
  serves: 'anthropic',
} satisfies ProviderSpec;

/** OpenRouter's Anthropic-compatible endpoint is `${base}/v1/messages` (protocols.md §6.1). */
export const openrouter = {
  name: 'openrouter',
  protocol: 'anthropic',
  defaultBaseUrl: 'https://openrouter.ai/api',
  auth: 'bearer',
  serves: 'all',
  dropBetas: ['prompt-caching-scope-2026-01-05'],
} satisfies ProviderSpec;

export const BUILTIN_PROVIDERS: Readonly<Record<string, ProviderSpec>> = { anthropic, openrouter };

/** Upstream auth headers for a provider key. */
export function authHeaders(spec: ProviderSpec, key: string): Record<string, string> {
  return spec.auth === 'x-api-key' ? { 'x-api-key': key } : { authorization: `Bearer ${key}` };
}
