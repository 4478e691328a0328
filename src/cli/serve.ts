/**
 * `synrouter serve`: start the proxy. With no provider key configured it starts the built-in
 * simulator of Anthropic's API and routes Claude models there, and says so: useful to try
 * Synrouter offline, never mistaken for the real thing. On first start with an empty store it
 * creates an admin key and a first client key and shows them once (first-keys.ts: printed on a
 * terminal, else in a 0600 file next to the database). When it cannot listen (the port is taken)
 * it says so in one line and returns 1, with nothing left open (listen-failure.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config.ts';
import { startSynrouter, type Synrouter } from '../server/http-server.ts';
import { anthropic } from '../upstream/providers.ts';
import { tuneV8 } from './v8-tuning.ts';
import { deliverFirstKeys, firstKeysText } from './first-keys.ts';
import { listenFailureMessage } from './listen-failure.ts';

export async function serve(config: Config): Promise<number> {
  tuneV8(config.gcHeadroomMb);
  let simulator: { url: string; close(): Promise<void> } | undefined;
  if (Object.keys(config.providers).length === 0) {
    // Loaded only in this mode: a configured Synrouter never loads the simulator's code.
    const { startSimulator } = await import('../simulator/simulator.ts');
    simulator = await startSimulator({ port: 0 });
    config = { ...config, providers: { simulator: { spec: { ...anthropic, name: 'simulator' }, baseUrl: simulator.url, apiKeys: ['sim-key'] } } };
  }
  let app: Synrouter;
  try {
    app = await startSynrouter(config);
  } catch (err) {
    // startSynrouter closed what it opened; with the simulator closed too nothing is left to keep the
    // process alive, and it ends with the exit code at once.
    await simulator?.close();
    const line = listenFailureMessage(err, config);
    if (line === undefined) throw err;
    console.error(line);
    return 1;
  }
  // Said once Synrouter listens: a start that failed says only why.
  if (simulator) {
    console.error(
      '\n  !! No provider key is configured (SYNROUTER_ANTHROPIC_API_KEY, SYNROUTER_OPENROUTER_API_KEY or a config file).\n' +
      `  !! Claude models are served by Synrouter's built-in SIMULATOR at ${simulator.url}: scripted replies, no real model.\n`,
    );
  }
  const { keys } = app.deps;
  if ((await keys.count()) === 0) {
    const admin = await keys.create({ name: 'admin', role: 'admin', mode: 'coding' });
    const client = await keys.create({ name: 'first client', role: 'client', mode: 'coding' });
    const dir = config.dbPath === ':memory:' ? mkdtempSync(join(tmpdir(), 'synrouter-')) : dirname(resolve(config.dbPath));
    deliverFirstKeys(firstKeysText(app.url, admin.key, client.key), {
      tty: process.stdout.isTTY === true, dir, print: (text) => process.stdout.write(text), note: (text) => console.error(text),
    });
  }
  console.error(`synrouter listening on ${app.url}  (Anthropic: ${app.url}/api/anthropic  OpenAI: ${app.url}/api/v1)  store: ${app.deps.store.kind} ${app.deps.store.where}`);
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
