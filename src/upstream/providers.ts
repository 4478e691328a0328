/**
 * Providers are small declarative objects: where they live, which wire protocols they offer, at which
 * paths, and how they take a key. Format conversion lives in translate/, I/O in send-upstream.ts.
 */

export type WireProtocol = 'anthropic' | 'openai-chat' | 'openai-responses';

export interface ProviderSpec {
  name: string;
  /** Wire protocols the provider offers, with the path of each, appended to the base URL. */
  paths: Readonly<Partial<Record<WireProtocol, string>>>;
  defaultBaseUrl: string;
  /** `x-api-key` (Anthropic) or `Authorization: Bearer` (OpenRouter, OpenAI-compatible). */
  auth: 'x-api-key' | 'bearer';
  /**
   * Which models this provider serves: 'anthropic' = Claude models by their bare Anthropic id;
   * 'all' = any model by its `vendor/model` id (OpenRouter); or an explicit list of product ids.
   */
  serves: 'anthropic' | 'all' | readonly string[];
  /** Beta flags the provider rejects (protocols.md §1.1: gateways reject prompt-caching-scope). */
  dropBetas?: readonly string[];
  /** Body field that keeps a conversation on one upstream for its cache (OpenRouter `session_id`, protocols.md §6.3). */
  sessionField?: string;
  /**
   * How the provider takes fast mode for the product's `-fast` ids: `speed: "fast"` on the Anthropic
   * wire, plus this beta flag where the provider needs one. Absent: the provider has no fast mode.
   */
  fastMode?: { beta?: string };
}

export const anthropic = {
  name: 'anthropic',
  paths: { anthropic: '/v1/messages' },
  defaultBaseUrl: 'https://api.anthropic.com',
  auth: 'x-api-key',
  serves: 'anthropic',
  // Fast mode is a research preview that needs its beta flag (Anthropic's fast-mode doc, 2026).
  fastMode: { beta: 'fast-mode-2026-02-01' },
} satisfies ProviderSpec;

/** OpenRouter: Anthropic-compatible `/api/v1/messages` and OpenAI-compatible chat and responses (protocols.md §6.1). */
export const openrouter = {
  name: 'openrouter',
  paths: { anthropic: '/v1/messages', 'openai-chat': '/v1/chat/completions', 'openai-responses': '/v1/responses' },
  defaultBaseUrl: 'https://openrouter.ai/api',
  auth: 'bearer',
  serves: 'all',
  dropBetas: ['prompt-caching-scope-2026-01-05'],
  sessionField: 'session_id',
  // OpenRouter serves fast mode on the regular model id with `speed: "fast"` (its -fast model ids are
  // deprecated since 2026-09-01, per its model page); no beta flag.
  fastMode: {},
} satisfies ProviderSpec;

export const BUILTIN_PROVIDERS: Readonly<Record<string, ProviderSpec>> = { anthropic, openrouter };

/**
 * A provider declared in the config file. `protocol: "anthropic"` takes a base URL without `/v1`
 * (as ANTHROPIC_BASE_URL does); `protocol: "openai"` takes the usual OpenAI base URL with `/v1`.
 */
export function declaredProvider(name: string, d: { protocol: 'anthropic' | 'openai'; baseUrl: string; auth?: 'x-api-key' | 'bearer'; serves?: readonly string[]; responses?: boolean }): ProviderSpec {
  const paths: ProviderSpec['paths'] = d.protocol === 'anthropic'
    ? { anthropic: '/v1/messages' }
    : { 'openai-chat': '/chat/completions', ...(d.responses ? { 'openai-responses': '/responses' } : {}) };
  return { name, paths, defaultBaseUrl: d.baseUrl, auth: d.auth ?? (d.protocol === 'anthropic' ? 'x-api-key' : 'bearer'), serves: d.serves ?? [] };
}

/** Upstream auth headers for a provider key. */
export function authHeaders(spec: ProviderSpec, key: string): Record<string, string> {
  return spec.auth === 'x-api-key' ? { 'x-api-key': key } : { authorization: `Bearer ${key}` };
}
