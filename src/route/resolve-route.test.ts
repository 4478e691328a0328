import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../config.ts';
import { ProxyError } from '../errors.ts';
import { createRegistry } from './registry.ts';
import { pickKey, resolveRoute, resolveRoutes, type RouteQuery } from './resolve-route.ts';

const registry = createRegistry();

function config(env: Record<string, string>, file?: object): Config {
  let configPath: string | undefined;
  if (file) {
    configPath = join(mkdtempSync(join(tmpdir(), 'synrouter-route-')), 'config.json');
    writeFileSync(configPath, JSON.stringify(file));
  }
  return loadConfig({ env, ...(configPath ? { configPath } : {}) });
}

const both = config({ SYNROUTER_ANTHROPIC_API_KEY: 'ant', SYNROUTER_OPENROUTER_API_KEY: 'or' });
const orOnly = config({ SYNROUTER_OPENROUTER_API_KEY: 'or' });
const antOnly = config({ SYNROUTER_ANTHROPIC_API_KEY: 'ant' });

const q = (c: Config, requested: string, extra: Partial<RouteQuery> = {}): RouteQuery =>
  ({ requested, registry, providers: c.providers, scope: 'fp', client: 'anthropic', fallbacks: c.fallbacks, ...extra });
const summary = (c: Config, requested: string, extra: Partial<RouteQuery> = {}) =>
  resolveRoutes(q(c, requested, extra)).map((r) => `${r.providerName}:${r.upstreamModel}${r.speed ? ':fast' : ''}`);

test('Claude models: Anthropic direct (bare id) first when keyed, then OpenRouter (vendor/model id)', () => {
  assert.deepEqual(summary(both, 'claude-sonnet-4-6'), ['anthropic:claude-sonnet-4-6', 'openrouter:anthropic/claude-sonnet-4.6']);
  assert.deepEqual(summary(both, 'anthropic/claude-opus-4.8'), ['anthropic:claude-opus-4-8', 'openrouter:anthropic/claude-opus-4.8']);
  assert.deepEqual(summary(orOnly, 'claude-haiku-4-5-20251001'), ['openrouter:anthropic/claude-haiku-4.5']);
  assert.deepEqual(summary(antOnly, 'anthropic/claude-haiku-4.5'), ['anthropic:claude-haiku-4-5']);
  const r = resolveRoute(q(both, 'claude-opus-4-8'));
  assert.equal(r.apiKey, 'ant');
  assert.equal(r.provider.baseUrl, 'https://api.anthropic.com');
});

test('a Claude model over chat or Responses goes over the Anthropic protocol; other models keep the client protocol', () => {
  assert.equal(resolveRoute(q(orOnly, 'anthropic/claude-sonnet-4.6', { client: 'openai-chat' })).wire, 'anthropic');
  assert.equal(resolveRoute(q(orOnly, 'anthropic/claude-sonnet-4.6', { client: 'openai-responses' })).wire, 'anthropic');
  assert.equal(resolveRoute(q(orOnly, 'openai/gpt-5.5', { client: 'openai-responses' })).wire, 'openai-responses');
  assert.equal(resolveRoute(q(orOnly, 'openai/gpt-5.5', { client: 'anthropic' })).wire, 'anthropic');
});

test('other models go to OpenRouter by their vendor/model id, bare ids included (Kilo built-in openai provider)', () => {
  assert.deepEqual(summary(both, 'gpt-5.5', { client: 'openai-chat' }), ['openrouter:openai/gpt-5.5']);
  assert.deepEqual(summary(both, 'deepseek/deepseek-v4-flash', { client: 'openai-chat' }), ['openrouter:deepseek/deepseek-v4-flash']);
});

test('no route: a model no configured provider serves, and a model not in the registry', () => {
  assert.throws(() => resolveRoutes(q(antOnly, 'openai/gpt-5.5')), (e: unknown) => e instanceof ProxyError && e.code === 'NO_ROUTE' && /openai\/gpt-5\.5/.test(e.message));
  assert.throws(() => resolveRoutes(q(both, 'acme/unknown-1')), (e: unknown) => e instanceof ProxyError && e.code === 'MODEL_NOT_FOUND');
});

test('registry id edge cases: dashed product ids, unlisted Claude ids and -fast ids on each provider', () => {
  assert.deepEqual(summary(both, 'anthropic/claude-sonnet-4-6'), ['anthropic:claude-sonnet-4-6', 'openrouter:anthropic/claude-sonnet-4.6']);
  // Unlisted: the bare id to Anthropic, the vendor-prefixed dotted id to OpenRouter.
  assert.deepEqual(summary(both, 'claude-opus-5-5'), ['anthropic:claude-opus-5-5', 'openrouter:anthropic/claude-opus-5.5']);
  assert.deepEqual(summary(orOnly, 'anthropic/claude-opus-5.5'), ['openrouter:anthropic/claude-opus-5.5']);
  assert.deepEqual(summary(orOnly, 'claude-sonnet-4-5-20250929'), ['openrouter:anthropic/claude-sonnet-4.5']);
  assert.deepEqual(summary(orOnly, 'claude-3-7-sonnet-20250219'), ['openrouter:anthropic/claude-3.7-sonnet']);
  assert.deepEqual(summary(orOnly, 'claude-opus-5-5-fast'), ['openrouter:anthropic/claude-opus-5.5']);
  assert.deepEqual(summary(orOnly, 'claude-opus-4'), ['openrouter:anthropic/claude-opus-4']);
  // -fast: fast mode (speed "fast" on the base id) where the model has it, on both providers.
  assert.deepEqual(summary(both, 'anthropic/claude-opus-4.8-fast'), ['anthropic:claude-opus-4-8:fast', 'openrouter:anthropic/claude-opus-4.8:fast']);
  assert.deepEqual(summary(both, 'anthropic/claude-opus-4.7-fast'), ['anthropic:claude-opus-4-7', 'openrouter:anthropic/claude-opus-4.7']);
  assert.deepEqual(summary(orOnly, 'anthropic/claude-opus-4.6-fast'), ['openrouter:anthropic/claude-opus-4.6']);
});

const declaredFile = {
  providers: {
    mylab: { protocol: 'openai', baseUrl: 'https://llm.example.com/v1', apiKey: 'lab', serves: ['openai/gpt-5.5', 'anthropic/claude-sonnet-4.6'] },
    other: { protocol: 'anthropic', baseUrl: 'https://other.example.com', apiKey: 'oth', serves: ['acme/coder-1'] },
  },
  models: [{ id: 'acme/coder-1', name: 'Acme Coder 1', context: 200000, prices: null }],
  fallbacks: { 'anthropic/claude-opus-4.8': ['openai/gpt-5.5', 'anthropic/claude-opus-4.8'], 'acme/coder-1': ['z-ai/glm-5.1'] },
};

test('a declared provider that lists a model comes before OpenRouter for it; Anthropic direct stays first for Claude', () => {
  const c = config({ SYNROUTER_ANTHROPIC_API_KEY: 'ant', SYNROUTER_OPENROUTER_API_KEY: 'or' }, declaredFile);
  const reg = createRegistry(c.models);
  assert.deepEqual(summary(c, 'openai/gpt-5.5', { registry: reg, client: 'openai-chat' }), ['mylab:openai/gpt-5.5', 'openrouter:openai/gpt-5.5']);
  assert.deepEqual(summary(c, 'claude-sonnet-4-6', { registry: reg }), ['anthropic:claude-sonnet-4-6', 'mylab:anthropic/claude-sonnet-4.6', 'openrouter:anthropic/claude-sonnet-4.6']);
  assert.deepEqual(summary(c, 'acme/coder-1', { registry: reg, client: 'openai-chat' }), ['other:acme/coder-1', 'openrouter:acme/coder-1', 'openrouter:z-ai/glm-5.1']);
  // Without Anthropic, the declared provider is the first route for the Claude model it lists.
  const noAnt = config({ SYNROUTER_OPENROUTER_API_KEY: 'or' }, declaredFile);
  assert.deepEqual(summary(noAnt, 'anthropic/claude-sonnet-4.6', { registry: reg }), ['mylab:anthropic/claude-sonnet-4.6', 'openrouter:anthropic/claude-sonnet-4.6']);
});

test('the rank does not depend on the order of the providers object', () => {
  const c = config({ SYNROUTER_ANTHROPIC_API_KEY: 'ant', SYNROUTER_OPENROUTER_API_KEY: 'or' }, declaredFile);
  const { anthropic, openrouter, mylab } = c.providers;
  const reversed = { openrouter: openrouter!, mylab: mylab!, anthropic: anthropic! };
  assert.deepEqual(summary(c, 'claude-sonnet-4-6', { providers: reversed }), ['anthropic:claude-sonnet-4-6', 'mylab:anthropic/claude-sonnet-4.6', 'openrouter:anthropic/claude-sonnet-4.6']);
});

test('fallbacks: every provider of the model first, then each fallback model in config order (the model itself skipped)', () => {
  const c = config({ SYNROUTER_ANTHROPIC_API_KEY: 'ant', SYNROUTER_OPENROUTER_API_KEY: 'or' }, declaredFile);
  assert.deepEqual(c.fallbacks['anthropic/claude-opus-4.8'], ['openai/gpt-5.5', 'anthropic/claude-opus-4.8']);
  assert.deepEqual(summary(c, 'claude-opus-4-8'), ['anthropic:claude-opus-4-8', 'openrouter:anthropic/claude-opus-4.8', 'mylab:openai/gpt-5.5', 'openrouter:openai/gpt-5.5']);
  // A fallback keeps the request alive when the model itself has no provider.
  const noOr = config({ SYNROUTER_ANTHROPIC_API_KEY: 'ant' }, declaredFile);
  assert.deepEqual(summary(noOr, 'acme/coder-1', { registry: createRegistry(noOr.models) }), ['other:acme/coder-1']);
  assert.deepEqual(summary(noOr, 'anthropic/claude-opus-4.8'), ['anthropic:claude-opus-4-8', 'mylab:openai/gpt-5.5']);
});

test('pickKey: the same scope always gets the same key', () => {
  const keys = ['a', 'b', 'c'];
  assert.equal(pickKey(['only'], 'x'), 'only');
  for (const s of ['s1', 's2', 's3']) assert.equal(pickKey(keys, s), pickKey(keys, s));
  assert.ok(new Set(Array.from({ length: 50 }, (_, i) => pickKey(keys, `s${i}`))).size > 1);
});
