/**
 * A real `synrouter serve` process on a given environment, for tests that kill or stop it: its URL
 * once it listens, and what it wrote to stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface ServeProcess {
  proc: ChildProcess;
  url: string;
  stderr(): string;
}

/** The caller's environment without its SYNROUTER_* settings or config file, plus `env`. */
export function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYNROUTER_')) out[k] = v;
  return { ...out, SYNROUTER_CONFIG: '', SYNROUTER_PORT: '0', SYNROUTER_HOST: '127.0.0.1', ...env };
}

export async function serveProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<ServeProcess> {
  const proc = spawn(process.execPath, [MAIN, 'serve'], { env: cleanEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const until = Date.now() + timeoutMs;
  const listening = /synrouter listening on (http:\S+)/;
  while (!listening.test(err)) {
    if (Date.now() > until || proc.exitCode !== null) {
      proc.kill('SIGKILL');
      throw new Error(`serve did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { proc, url: listening.exec(err)![1]!, stderr: () => err };
}
