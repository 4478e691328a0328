/**
 * LiteLLM's proxy (pinned with hashes in bench/litellm/requirements.txt, installed once into
 * bench/.venv-litellm) as a peer target of the savings and overhead benchmarks: `litellm --config`
 * with a config written here, one process (its default: 1 uvicorn worker), no database, the
 * bundled model cost map (LITELLM_LOCAL_MODEL_COST_MAP=True: the machine has no internet), and a
 * master key (LiteLLM refuses to start without one).
 *
 * Per-call cost, without a database: each answer's `x-litellm-response-cost` header (JSON answers;
 * a stream's headers go out before its usage is known and say 0), and LiteLLM's own spend record of
 * each call (its `standard_logging_object`, what its spend logs store) written by spend_log.py.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pythonVenv } from '../../e2e/agents/python-venv.ts';
import { stopChild } from '../overhead/processes.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
export const LITELLM_LOCK = here('./requirements.txt');
const VENV_DIR = here('../.venv-litellm');
export const MASTER_KEY = 'sk-bench-litellm-0123456789abcdef0123456789abcdef';

/** One entry of LiteLLM's model_list. */
export interface LiteLLMModel {
  /** What clients ask for. */
  name: string;
  /** LiteLLM's provider/model, e.g. anthropic/claude-sonnet-4-6. */
  model: string;
  apiBase: string;
  apiKey: string;
  /** LiteLLM's cache_control_injection_points (its prompt-caching auto-injection). */
  injection?: Array<Record<string, unknown>>;
}

/** LiteLLM's spend record of one call (spend_log.py). */
export interface SpendRow {
  call_id: string | null;
  stream: boolean | null;
  failed: boolean;
  response_cost: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  usage: Record<string, unknown> | null;
}

export interface LiteLLMProxy {
  url: string;
  pid: number;
  version: string;
  stderr(): string;
  /** LiteLLM's spend records so far, oldest first (with `spendLog`). */
  spend(): SpendRow[];
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** The venv, made on first use (about a minute) and reused while the lock file is unchanged. */
export async function litellmVenv() {
  const venv = await pythonVenv({ dir: VENV_DIR, lock: LITELLM_LOCK });
  if (venv.installed) process.stderr.write(`[bench] installed LiteLLM from ${LITELLM_LOCK} in ${(venv.ms / 1000).toFixed(0)} s\n`);
  return venv;
}

/** `spendLog`: load spend_log.py (the savings benchmark; the overhead benchmark runs LiteLLM's config as users do, without it). */
export async function startLiteLLM(opts: { dir: string; models: LiteLLMModel[]; spendLog?: boolean }): Promise<LiteLLMProxy> {
  const venv = await litellmVenv();
  mkdirSync(opts.dir, { recursive: true });
  copyFileSync(here('./spend_log.py'), join(opts.dir, 'spend_log.py'));
  const spendFile = join(opts.dir, 'spend.jsonl');
  writeFileSync(spendFile, '');
  // JSON is YAML. The callback module is found next to the config file.
  const config = {
    model_list: opts.models.map((m) => ({
      model_name: m.name,
      litellm_params: { model: m.model, api_base: m.apiBase, api_key: m.apiKey, ...(m.injection ? { cache_control_injection_points: m.injection } : {}) },
    })),
    ...(opts.spendLog ? { litellm_settings: { callbacks: ['spend_log.spend_log'] } } : {}),
    general_settings: { master_key: MASTER_KEY },
  };
  const configFile = join(opts.dir, 'config.yaml');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: opts.dir, LITELLM_LOCAL_MODEL_COST_MAP: 'True', SYNROUTER_BENCH_SPEND_LOG: spendFile, NO_PROXY: '*' };
  const child = spawn(venv.bin('litellm'), ['--config', configFile, '--host', '127.0.0.1', '--port', String(port), '--telemetry', 'False'], { cwd: opts.dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); if (err.length > 200_000) err = err.slice(-100_000); });
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`litellm exited (${child.exitCode}) before it listened:\n${err.slice(-4000)}`);
    const ok = await fetch(`${url}/health/liveliness`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > until) { child.kill('SIGKILL'); throw new Error(`litellm did not start in 180 s:\n${err.slice(-4000)}`); }
    await new Promise((r) => setTimeout(r, 250));
  }
  const version = (await fetch(`${url}/health/liveliness`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })).headers.get('x-litellm-version')
    ?? /litellm==([\d.]+)/.exec(readFileSync(LITELLM_LOCK, 'utf8'))?.[1] ?? '?';
  return {
    url, pid: child.pid!, version,
    stderr: () => err,
    spend: () => (existsSync(spendFile) ? readFileSync(spendFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as SpendRow) : []),
    stop: () => stopChild(child, exited),
  };
}
