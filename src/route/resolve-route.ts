/**
 * Where a model goes: Claude models to Anthropic direct when a key is configured, else OpenRouter;
 * other models to OpenRouter or to a declared compatible provider that lists them.
 */
import { createHash } from 'node:crypto';
import type { ProviderConfig } from '../config.ts';
import { ProxyError } from '../errors.ts';
import type { ModelEntry, Registry } from './registry.ts';
import type { WireProtocol } from '../upstream/providers.ts';

export interface Route {
  providerName: string;
  provider: ProviderConfig;
  entry: ModelEntry;
  /** The model id the upstream expects. */
  upstreamModel: string;
  /** Anthropic fast mode, when the product id asks for it and the model has it (protocols.md §3.2). */
  speed?: 'fast';
  apiKey: string;
  /** The wire protocol spoken upstream; when it differs from the client's, translate/ sits between. */
  wire: WireProtocol;
}

export interface RouteQuery {
  requested: string;
  registry: Registry;
  providers: Readonly<Record<string, ProviderConfig>>;
  scope: string;
  client: WireProtocol;
  /** Fallback models by model id (config `fallbacks`), tried after every provider of the model itself. */
  fallbacks?: Readonly<Record<string, readonly string[]>>;
}

/** The first route for the model. */
export function resolveRoute(opts: RouteQuery): Route {
  return resolveRoutes(opts)[0]!;
}

/**
 * Every route for the model, in order: each configured provider that serves it, then the routes of
 * its fallback models. Retries and fallbacks walk this list (only before the first byte is sent).
 */
export function resolveRoutes(opts: RouteQuery): Route[] {
  const entry = opts.registry.resolve(opts.requested);
  if (!entry) throw new ProxyError('MODEL_NOT_FOUND', `Model "${opts.requested}" is not in Synrouter's model registry. GET /api/v1/models lists the models it serves.`, { param: 'model' });
  const routes = routesFor(entry, opts);
  for (const fb of opts.fallbacks?.[entry.id] ?? []) {
    const fe = opts.registry.resolve(fb);
    if (fe && fe.id !== entry.id) routes.push(...routesFor(fe, opts));
  }
  if (routes.length) return routes;
  const hint = entry.anthropicId ? 'SYNROUTER_ANTHROPIC_API_KEY or SYNROUTER_OPENROUTER_API_KEY' : 'SYNROUTER_OPENROUTER_API_KEY or a compatible provider in the config file';
  throw new ProxyError('NO_ROUTE', `No configured provider serves model "${opts.requested}". Set ${hint}.`, { param: 'model' });
}

function routesFor(entry: ModelEntry, opts: RouteQuery): Route[] {
  const out: Route[] = [];
  for (const [name, provider] of Object.entries(opts.providers)) {
    const upstreamModel = upstreamModelFor(entry, provider);
    if (upstreamModel === undefined) continue;
    const wire = pickWire(opts.client, entry, provider.spec.paths);
    if (wire === undefined) continue;
    const speed = entry.speed && provider.spec.serves === 'anthropic' ? entry.speed : undefined;
    out.push({ providerName: name, provider, entry, upstreamModel, ...(speed ? { speed } : {}), apiKey: pickKey(provider.apiKeys, opts.scope), wire });
  }
  return out;
}

/**
 * Claude models go over the Anthropic protocol whenever the provider has it, whatever the client
 * speaks, so the cache engine manages their breakpoints (OpenAI-format bodies carry none of the
 * structure it needs). Other models stay in the client's protocol when the provider has it.
 */
function pickWire(client: WireProtocol, entry: ModelEntry, offered: Partial<Record<WireProtocol, string>>): WireProtocol | undefined {
  const has = (w: WireProtocol) => offered[w] !== undefined;
  if (client === 'anthropic') return has('anthropic') ? 'anthropic' : has('openai-chat') ? 'openai-chat' : undefined;
  if (entry.anthropicId && has('anthropic')) return 'anthropic';
  if (has(client)) return client;
  return has('anthropic') ? 'anthropic' : undefined;
}

/** Provider order is Anthropic first (object insertion order of the config), so direct wins over OpenRouter. */
function upstreamModelFor(entry: ModelEntry, provider: ProviderConfig): string | undefined {
  const serves = provider.spec.serves ?? 'all';
  if (serves === 'anthropic') return entry.anthropicId;
  if (serves === 'all') return entry.unlisted ? entry.anthropicId : entry.id;
  return serves.includes(entry.id) ? entry.id : undefined;
}

/** Same scope (session fingerprint), same upstream key: the provider's cache is per key/workspace. */
export function pickKey(keys: readonly string[], scope: string): string {
  if (keys.length === 1) return keys[0]!;
  const n = createHash('sha256').update(scope).digest().readUInt32BE(0);
  return keys[n % keys.length]!;
}
