/**
 * Where a model goes: Claude models to Anthropic direct when a key is configured, else OpenRouter;
 * other models to a declared compatible provider that lists them, else OpenRouter (order: providerRank).
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
  const ranked = Object.entries(opts.providers).map((p, i) => ({ p, i, rank: providerRank(p[1]) }));
  ranked.sort((a, b) => a.rank - b.rank || a.i - b.i);
  for (const { p: [name, provider] } of ranked) {
    const upstreamModel = upstreamModelFor(entry, provider);
    if (upstreamModel === undefined) continue;
    const wire = pickWire(opts.client, entry, provider.spec.paths);
    if (wire === undefined) continue;
    const speed = entry.speed && provider.spec.fastMode && wire === 'anthropic' ? entry.speed : undefined;
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

/**
 * Route order for a model, whatever the order of the config: Anthropic direct first (Claude models
 * only; when its key is configured, it stays first even if a declared provider lists the model too,
 * as it is the route with fast mode and cache keep-alive, and the one the README promises), then
 * the compatible providers declared in the config file that list the model (so a declared provider
 * for a model OpenRouter also serves is the primary route, not a fallback), then OpenRouter, which
 * serves every model. Ties keep the config's order.
 */
function providerRank(provider: ProviderConfig): number {
  const serves = provider.spec.serves ?? 'all';
  return serves === 'anthropic' ? 0 : serves === 'all' ? 2 : 1;
}

function upstreamModelFor(entry: ModelEntry, provider: ProviderConfig): string | undefined {
  const serves = provider.spec.serves ?? 'all';
  if (serves === 'anthropic') return entry.anthropicId;
  if (serves === 'all') return vendorModelId(entry);
  return serves.includes(entry.id) ? entry.id : undefined;
}

/**
 * The `vendor/model` id for a provider that serves every model (OpenRouter).
 * - Unlisted Claude ids keep the vendor prefix, with the `<major>-<minor>` version written with a
 *   dot as OpenRouter names Claude models, wherever it stands (`claude-opus-5-5` ->
 *   `anthropic/claude-opus-5.5`, `claude-3-7-sonnet` -> `anthropic/claude-3.7-sonnet`); a dated
 *   snapshot suffix and a `-fast` are dropped (OpenRouter names models, not snapshots or speeds:
 *   `claude-sonnet-4-5-20250929` -> `anthropic/claude-sonnet-4.5`).
 * - The product's `-fast` Claude ids go as their base id (`anthropic/claude-opus-4.8-fast` ->
 *   `anthropic/claude-opus-4.8`): OpenRouter serves fast mode on the regular id with `speed: "fast"`
 *   (set by routesFor where the model has fast mode; its dedicated -fast ids are deprecated), and a
 *   model without it (4.7, 4.6) runs at standard speed instead of failing.
 */
function vendorModelId(entry: ModelEntry): string {
  if (entry.unlisted) return entry.id.replace(/-fast$/, '').replace(/-\d{8}$/, '').replace(/-(\d+)-(\d{1,2})(?=-|$)/, '-$1.$2');
  if (entry.anthropicId && entry.id.endsWith('-fast')) return entry.id.slice(0, -'-fast'.length);
  return entry.id;
}

/** Same scope (session fingerprint), same upstream key: the provider's cache is per key/workspace. */
export function pickKey(keys: readonly string[], scope: string): string {
  if (keys.length === 1) return keys[0]!;
  const n = createHash('sha256').update(scope).digest().readUInt32BE(0);
  return keys[n % keys.length]!;
}
