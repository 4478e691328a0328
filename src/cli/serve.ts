/**
 * `synrouter serve`: start the proxy. With no provider key configured it starts the built-in
 * simulator of Anthropic's API and routes Claude models there, and says so: useful to try
 * Synrouter offline, never mistaken for the real thing. On first start with an empty store it
 * creates an admin key and a first client key and prints them once.
 */
import type { Config } from '../config.ts';
import { startSynrouter } from '../server/http-server.ts';
import { anthropic } from '../upstream/providers.ts';
import { startSimulator } from '../simulator/simulator.ts';
import { tuneV8 } from './v8-tuning.ts';

export async function serve(config: Config): Promise<number> {
  tuneV8(config.gcHeadroomMb);
  let simulator: { url: string; close(): Promise<void> } | undefined;
  if (Object.keys(config.providers).length === 0) {
    simulator = await startSimulator({ port: 0 });
    config = { ...config, providers: { simulator: { spec: { ...anthropic, name: 'simulator' }, baseUrl: simulator.url, apiKeys: ['sim-key'] } } };
    console.error(
      '\n  !! No provider key is configured (SYNROUTER_ANTHROPIC_API_KEY, SYNROUTER_OPENROUTER_API_KEY or a config file).\n' +
      `  !! Claude models are served by Synrouter's built-in SIMULATOR at ${simulator.url}: scripted replies, no real model.\n`,
    );
  }
  const app = await startSynrouter(config);
  const { keys } = app.deps;
  if (keys.count() === 0) {
    const admin = keys.create({ name: 'admin', role: 'admin', mode: 'coding' });
    const client = keys.create({ name: 'first client', role: 'client', mode: 'coding' });
    printFirstKeys(app.url, admin.key, client.key);
  }
  console.error(`synrouter listening on ${app.url}  (Anthropic: ${app.url}/api/anthropic  OpenAI: ${app.url}/api/v1)  store: ${config.dbPath}`);
  console.error(`providers: ${Object.entries(config.providers).map(([n, p]) => `${n} -> ${p.baseUrl} (${p.apiKeys.length} key${p.apiKeys.length > 1 ? 's' : ''})`).join(', ')}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`synrouter: ${signal} received, finishing in-flight requests...`);
    await app.close({ graceMs: config.shutdownGraceMs });
    await simulator?.close();
    console.error('synrouter: ledger flushed, bye.');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return -1; // keep running
}

function printFirstKeys(url: string, adminKey: string, clientKey: string): void {
  console.log(`
Synrouter created its first keys. They are shown only this once: store them now.

  admin key  (dashboard, admin API):  ${adminKey}
  client key (mode: coding):          ${clientKey}

Claude Code:
  export ANTHROPIC_BASE_URL=${url}/api/anthropic
  export ANTHROPIC_API_KEY=${clientKey}

Codex CLI (~/.codex/config.toml, then: export SYNROUTER_API_KEY=${clientKey}):
  model = "anthropic/claude-sonnet-4.6"
  model_provider = "synrouter"
  [model_providers.synrouter]
  name = "Synrouter"
  base_url = "${url}/api/v1"
  env_key = "SYNROUTER_API_KEY"
  wire_api = "responses"

More keys: npx synrouter keys create --name laptop --mode coding
`);
}
