import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from './config.ts';
import { classifyTool, DEFAULT_LAYER_PATTERNS } from './rewrite/layer-tools.ts';

function file(content: object): string {
  const path = join(mkdtempSync(join(tmpdir(), 'synrouter-config-')), 'config.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

const declared = {
  port: 9100,
  db: '/var/lib/synrouter/from-file.db',
  providers: {
    anthropic: { apiKeys: ['ant-file'] },
    mylab: { protocol: 'anthropic', baseUrl: 'https://llm.example.com/', auth: 'bearer', apiKey: 'lab-file', serves: ['acme/coder-1'] },
  },
  models: [{ id: 'acme/coder-1', name: 'Acme Coder 1', context: 200000, prices: null }],
};

test('config file values apply when the environment says nothing', () => {
  const c = loadConfig({ configPath: file(declared), env: {} });
  assert.equal(c.port, 9100);
  assert.equal(c.dbPath, '/var/lib/synrouter/from-file.db');
  assert.deepEqual(Object.keys(c.providers), ['anthropic', 'mylab']);
  assert.deepEqual(c.providers.anthropic!.apiKeys, ['ant-file']);
  assert.equal(c.providers.anthropic!.baseUrl, 'https://api.anthropic.com');
  assert.equal(c.providers.mylab!.baseUrl, 'https://llm.example.com', 'trailing slash dropped');
  assert.deepEqual(c.providers.mylab!.apiKeys, ['lab-file']);
  assert.equal(c.providers.mylab!.spec.auth, 'bearer');
  assert.deepEqual(c.providers.mylab!.spec.serves, ['acme/coder-1']);
  assert.equal(c.models[0]!.id, 'acme/coder-1');
});

test('environment overrides win over the file: port, db, and key and base URL of a provider declared in the file', () => {
  const c = loadConfig({
    configPath: file(declared),
    env: {
      SYNROUTER_PORT: '9200', SYNROUTER_DB: 'rel/env.db',
      SYNROUTER_MYLAB_API_KEY: 'lab-env-1, lab-env-2', SYNROUTER_MYLAB_BASE_URL: 'https://env.example.com/',
      SYNROUTER_ANTHROPIC_API_KEY: 'ant-env', SYNROUTER_OPENROUTER_API_KEY: 'or-env', SYNROUTER_OPENROUTER_BASE_URL: 'http://127.0.0.1:9/api',
    },
  });
  assert.equal(c.port, 9200);
  assert.equal(c.dbPath, resolve('rel/env.db'));
  assert.deepEqual(c.providers.mylab!.apiKeys, ['lab-env-1', 'lab-env-2']);
  assert.equal(c.providers.mylab!.baseUrl, 'https://env.example.com');
  assert.deepEqual(c.providers.anthropic!.apiKeys, ['ant-env']);
  assert.equal(c.providers.openrouter!.baseUrl, 'http://127.0.0.1:9/api');
  // Anthropic direct, then declared providers, then OpenRouter (resolve-route.ts ranks routes the same way).
  assert.deepEqual(Object.keys(c.providers), ['anthropic', 'mylab', 'openrouter']);
  // CLI overrides (--port, --db) beat both.
  const o = loadConfig({ configPath: file(declared), env: { SYNROUTER_PORT: '9200' }, overrides: { port: 0, dbPath: '/tmp/x.db' } });
  assert.equal(o.port, 0);
  assert.equal(o.dbPath, '/tmp/x.db');
  // An empty key variable turns the provider off.
  assert.equal(loadConfig({ configPath: file(declared), env: { SYNROUTER_MYLAB_API_KEY: '' } }).providers.mylab, undefined);
});

test('GC headroom: 64 MB by default, from the file, overridden by SYNROUTER_GC_HEADROOM_MB (0 turns it off)', () => {
  assert.equal(loadConfig({ env: {} }).gcHeadroomMb, 64);
  assert.equal(loadConfig({ configPath: file({ gcHeadroomMb: 16 }), env: {} }).gcHeadroomMb, 16);
  assert.equal(loadConfig({ configPath: file({ gcHeadroomMb: 16 }), env: { SYNROUTER_GC_HEADROOM_MB: '0' } }).gcHeadroomMb, 0);
});

test('SYNROUTER_CONFIG names the file; a bad number is refused', () => {
  const c = loadConfig({ env: { SYNROUTER_CONFIG: file(declared) } });
  assert.equal(c.port, 9100);
  assert.throws(() => loadConfig({ env: { SYNROUTER_PORT: 'eighty' } }), ConfigError);
});

test('a declared provider may take its base URL from SYNROUTER_<NAME>_BASE_URL alone; with neither, the error names both', () => {
  const noBase = { providers: { 'my-lab': { protocol: 'openai', apiKey: 'k', serves: ['acme/coder-1'] } } };
  const c = loadConfig({ configPath: file(noBase), env: { SYNROUTER_MY_LAB_BASE_URL: 'https://lab.example.com/v1' } });
  assert.equal(c.providers['my-lab']!.baseUrl, 'https://lab.example.com/v1');
  assert.equal(c.providers['my-lab']!.spec.defaultBaseUrl, 'https://lab.example.com/v1');
  assert.throws(() => loadConfig({ configPath: file(noBase), env: {} }), (e: unknown) => e instanceof ConfigError && e.message.includes('"baseUrl"') && e.message.includes('SYNROUTER_MY_LAB_BASE_URL'));
  assert.throws(() => loadConfig({ configPath: file({ providers: { lab: { baseUrl: 'https://x' } } }), env: {} }), (e: unknown) => e instanceof ConfigError && /protocol/.test(e.message));
});

test('engine.layerPatterns overrides one layer and keeps the default patterns of the others', () => {
  const c = loadConfig({ configPath: file({ engine: { layerPatterns: { mcp: '^ext_' } } }), env: {} });
  const p = c.engine.layerPatterns!;
  assert.equal(p.mcp, '^ext_');
  assert.equal(p.core, DEFAULT_LAYER_PATTERNS.core);
  assert.equal(p.platform, DEFAULT_LAYER_PATTERNS.platform);
  assert.equal(classifyTool('ext_search', p), 'mcp');
  assert.equal(classifyTool('bash', p), 'core');
  assert.equal(classifyTool('read_file', p), 'core');
  assert.equal(classifyTool('send_message', p), 'platform');
  assert.equal(classifyTool('web_fetch', p), 'extended');
  assert.equal(loadConfig({ env: {} }).engine.layerPatterns, undefined, 'no override: the engine uses its defaults');
});

test('the config file is validated: unknown keys, wrong types and values outside their set stop the start with the path and what was expected', () => {
  const refused = (content: object, message: RegExp) => assert.throws(() => loadConfig({ configPath: file(content), env: {} }), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(content));
  refused({ prot: 8080 }, /prot is not a setting Synrouter knows; known: host, port/);
  refused({ port: 'x' }, /port must be an integer >= 0 <= 65535, got "x"/);
  refused({ port: 80.5 }, /port must be an integer/);
  refused({ engine: { ttl: '2h' } }, /engine\.ttl must be one of "adaptive", "5m", "1h", got "2h"/);
  refused({ keepalive: { enabeld: false } }, /keepalive\.enabeld is not a setting Synrouter knows in keepalive; known: enabled/);
  refused({ keepalive: { maxIdleMs: { coding: -1 } } }, /keepalive\.maxIdleMs\.coding must be a number >= 0, got -1/);
  refused({ providers: { lab: { protocol: 'grpc', baseUrl: 'https://x' } } }, /providers\.lab\.protocol must be one of "anthropic", "openai", got "grpc"/);
  refused({ providers: { anthropic: { apiKeys: 'sk-ant' } } }, /providers\.anthropic\.apiKeys must be an array, got "sk-ant"/);
  refused({ models: [{ id: 'a', prices: { input: 'free' } }] }, /models\[0\]\.prices must be one of null.*; or models\[0\]\.prices\.input must be a number >= 0, got "free"/);
  refused({ engine: { layerPatterns: { core: '(' } } }, /engine\.layerPatterns\.core must be a regular expression/);
  refused({ shedding: { maxHeapShare: 2 } }, /shedding\.maxHeapShare must be a number >= 0 <= 1, got 2/);
  refused({ fallbacks: { a: 'b' } }, /fallbacks\.a must be an array/);
});

test("the README's example config file is valid", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const example = /## Configuration[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1]!;
  assert.doesNotThrow(() => loadConfig({ configPath: file(JSON.parse(example.replaceAll('…', '')) as object), env: {} }));
});

test('access log: info to stdout by default; the file, then the environment, set level, destination and format', () => {
  assert.deepEqual(loadConfig({ env: {} }).log, { level: 'info', destination: 'stdout', format: 'auto' });
  const f = file({ log: { level: 'warn', destination: 'logs/access.log', format: 'json' } });
  assert.deepEqual(loadConfig({ configPath: f, env: {} }).log, { level: 'warn', destination: resolve('logs/access.log'), format: 'json' });
  assert.deepEqual(loadConfig({ configPath: f, env: { SYNROUTER_LOG_LEVEL: 'silent', SYNROUTER_LOG_DESTINATION: 'stderr', SYNROUTER_LOG_FORMAT: 'pretty' } }).log, { level: 'silent', destination: 'stderr', format: 'pretty' });
  assert.throws(() => loadConfig({ env: { SYNROUTER_LOG_LEVEL: 'verbose' } }), (e: unknown) => e instanceof ConfigError && e.message.includes('SYNROUTER_LOG_LEVEL'));
  assert.throws(() => loadConfig({ configPath: file({ log: { format: 'xml' } }), env: {} }), (e: unknown) => e instanceof ConfigError && e.message.includes('log.format'));
});

test('traces: off without an OTLP endpoint; on with one; a bad OTEL_* value is a config error', () => {
  assert.equal(loadConfig({ env: {} }).tracing, undefined);
  assert.equal(loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' } }).tracing?.url, 'http://127.0.0.1:4318/v1/traces');
  assert.throws(() => loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }), ConfigError);
});

test('the store: PostgreSQL from SYNROUTER_DATABASE_URL or database.url wins over the SQLite file; Redis only with it; bad URLs stop the start', () => {
  assert.equal(loadConfig({ env: {} }).databaseUrl, undefined, 'SQLite by default');
  const pg = 'postgres://u:p@db:5432/synrouter';
  assert.equal(loadConfig({ env: { SYNROUTER_DATABASE_URL: pg, SYNROUTER_DB: '/x.db' } }).databaseUrl, pg);
  assert.equal(loadConfig({ configPath: file({ database: { url: pg }, redis: { url: 'redis://cache:6379' } }), env: {} }).redisUrl, 'redis://cache:6379');
  assert.equal(loadConfig({ env: { SYNROUTER_DATABASE_URL: pg, SYNROUTER_REDIS_URL: 'rediss://cache:6380' } }).redisUrl, 'rediss://cache:6380');
  assert.throws(() => loadConfig({ env: { SYNROUTER_DATABASE_URL: 'mysql://db/x' } }), /must start with postgres:\/\//);
  assert.throws(() => loadConfig({ env: { SYNROUTER_DATABASE_URL: pg, SYNROUTER_REDIS_URL: 'cache:6379' } }), /must start with redis:\/\/ or rediss:\/\//);
  assert.throws(() => loadConfig({ env: { SYNROUTER_REDIS_URL: 'redis://cache:6379' } }), /without a database URL/);
  assert.throws(() => loadConfig({ configPath: file({ redis: { url: 1 } }), env: {} }), ConfigError);
});
