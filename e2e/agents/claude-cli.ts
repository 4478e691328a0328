/**
 * Runs the pinned Claude Code CLI (e2e/agents/node_modules) headless against a base URL, in a fresh
 * project dir with a fresh HOME (or one kept across runs, to `--resume` a session), and watches what
 * a Synrouter server receives from it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLAUDE_BIN = fileURLToPath(new URL('./node_modules/.bin/claude', import.meta.url));

/** The final object `claude -p --output-format json` prints (the fields the tests read). */
export interface ClaudeResult {
  type: string;
  subtype: string;
  is_error: boolean;
  session_id: string;
  num_turns: number;
  result: string;
  api_error_status?: number | null;
  usage: { input_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number; output_tokens: number };
}

export interface ClaudeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Parsed last line of stdout, if it was JSON. */
  result: ClaudeResult | undefined;
  ms: number;
}

export interface ClaudeOptions {
  /** ANTHROPIC_BASE_URL, e.g. stack.anthropicBase. */
  baseUrl: string;
  /** apiKey -> ANTHROPIC_API_KEY (x-api-key); authToken -> ANTHROPIC_AUTH_TOKEN (Authorization: Bearer). */
  auth: { apiKey: string } | { authToken: string };
  prompt: string;
  /** `--model`; null runs without it, on Claude Code's default model (clients.md: `claude-opus-5-5` in 2.1.332). */
  model?: string | null;
  timeoutMs?: number;
  /** More of Claude Code's environment, e.g. `ENABLE_PROMPT_CACHING_1H: '1'`. */
  env?: Record<string, string>;
  /** More arguments, e.g. `['--resume', sessionId]`. */
  args?: string[];
  /** A HOME and project kept across runs (to resume a session); without it, fresh ones removed after the run. */
  workspace?: ClaudeWorkspace;
}

export interface ClaudeWorkspace {
  home: string;
  project: string;
  remove(): void;
}

/** A throwaway HOME and project (README.md and src/add.js) for one or more runs. */
export function makeClaudeWorkspace(): ClaudeWorkspace {
  const home = mkdtempSync(join(tmpdir(), 'synrouter-cc-home-'));
  const project = mkdtempSync(join(tmpdir(), 'synrouter-cc-project-'));
  writeFileSync(join(project, 'README.md'), '# demo\n\nA tiny project for the Synrouter end-to-end test.\n');
  mkdirSync(join(project, 'src'));
  writeFileSync(join(project, 'src', 'add.js'), 'export const add = (a, b) => a + b;\n');
  return {
    home, project,
    remove: () => {
      rmSync(home, { recursive: true, force: true });
      rmSync(project, { recursive: true, force: true });
    },
  };
}

/**
 * `claude -p <prompt> --dangerously-skip-permissions [--model <model>] --output-format json`, stdin
 * closed (it waits for stdin otherwise), killed with its process group after timeoutMs.
 * CLAUDE_CODE_MAX_RETRIES=0: a failure shows at once. Claude Code otherwise retries even a 401
 * ten times with backoff (about 3 minutes) unless the response says `x-should-retry: false`.
 */
export async function runClaude(opts: ClaudeOptions): Promise<ClaudeRun> {
  if (!existsSync(CLAUDE_BIN)) throw new Error(`${CLAUDE_BIN} is missing: run npm ci --prefix e2e/agents`);
  const workspace = opts.workspace ?? makeClaudeWorkspace();
  const { home, project } = workspace;

  const env: Record<string, string> = {
    PATH: [dirname(CLAUDE_BIN), process.env.PATH ?? '/usr/bin:/bin'].join(delimiter),
    HOME: home,
    CLAUDE_CONFIG_DIR: home,
    TMPDIR: home,
    ANTHROPIC_BASE_URL: opts.baseUrl,
    ...('apiKey' in opts.auth ? { ANTHROPIC_API_KEY: opts.auth.apiKey } : { ANTHROPIC_AUTH_TOKEN: opts.auth.authToken }),
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
    IS_SANDBOX: '1', // --dangerously-skip-permissions is refused as root otherwise
    ...opts.env,
  };
  const model = opts.model === null ? [] : ['--model', opts.model ?? 'claude-sonnet-4-6'];
  const args = ['-p', opts.prompt, '--dangerously-skip-permissions', ...model, '--output-format', 'json', ...(opts.args ?? [])];

  const started = performance.now();
  try {
    const child = spawn(CLAUDE_BIN, args, { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => {
      stderr += `\n[test] killed after ${opts.timeoutMs ?? 120_000} ms`;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
    }, opts.timeoutMs ?? 120_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve([c, s]));
    }).finally(() => clearTimeout(timer));
    return { code, signal, stdout, stderr, result: parseResult(stdout), ms: Math.round(performance.now() - started) };
  } finally {
    if (!opts.workspace) workspace.remove();
  }
}

function parseResult(stdout: string): ClaudeResult | undefined {
  const last = stdout.trim().split('\n').at(-1);
  try {
    return last ? (JSON.parse(last) as ClaudeResult) : undefined;
  } catch {
    return undefined;
  }
}

/** For assertion messages: what claude printed. */
export function describeRun(run: ClaudeRun): string {
  return `exit ${run.code}${run.signal ? ` (${run.signal})` : ''} after ${run.ms} ms\nstdout: ${run.stdout.slice(0, 4000)}\nstderr: ${run.stderr.slice(0, 4000)}`;
}

export interface ProxyRequest {
  method: string;
  url: string;
  status: number;
  /** Which client credential header came in. */
  auth: 'x-api-key' | 'bearer' | 'both' | 'none';
}

/** Every request the Synrouter server answers from now on, in the order they finish. */
export function watchServer(server: Server): ProxyRequest[] {
  const seen: ProxyRequest[] = [];
  server.on('request', (req, res) => {
    const key = typeof req.headers['x-api-key'] === 'string';
    const bearer = /^Bearer\s/i.test(req.headers.authorization ?? '');
    const auth = key && bearer ? 'both' : key ? 'x-api-key' : bearer ? 'bearer' : 'none';
    res.once('close', () => seen.push({ method: req.method ?? '', url: req.url ?? '', status: res.statusCode, auth }));
  });
  return seen;
}
