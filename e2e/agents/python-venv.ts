/**
 * A Python virtual environment for a program of the world around Synrouter (Hermes Agent in the
 * tests, LiteLLM's proxy in the benchmarks), installed from a committed lock file with hashes:
 * `pip install --require-hashes --no-deps -r LOCK` into a venv of its own, made with the machine's
 * `python3` (or $SYNROUTER_PYTHON). It is made once and reused while the lock file and the Python
 * are unchanged: a stamp holding their hash is written last, so a half-made venv is made again.
 *
 * A failed install throws with pip's output: the test that needs the program fails, never skips.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const STAMP = '.synrouter-lock-sha256';

export interface Venv {
  dir: string;
  /** Path of a program in the venv's bin/. */
  bin(name: string): string;
  /** True when this call installed it (false: reused). */
  installed: boolean;
  /** How long the install took (0 when reused). */
  ms: number;
}

export async function pythonVenv(opts: { dir: string; lock: string; timeoutMs?: number }): Promise<Venv> {
  const python = process.env.SYNROUTER_PYTHON ?? 'python3';
  const version = await run(python, ['-c', 'import sys; print(sys.version)'], { timeout: 30_000 })
    .then((r) => r.stdout.trim())
    .catch((e: Error) => { throw new Error(`${python} is needed to install ${opts.lock}: ${e.message}`); });
  const stamp = createHash('sha256').update(readFileSync(opts.lock)).update(`\0${version}`).digest('hex');
  const bin = (name: string) => join(opts.dir, 'bin', name);
  const stampFile = join(opts.dir, STAMP);
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp && existsSync(bin('python'))) {
    return { dir: opts.dir, bin, installed: false, ms: 0 };
  }
  const started = performance.now();
  rmSync(opts.dir, { recursive: true, force: true });
  const step = async (what: string, file: string, args: string[]) => {
    try {
      await run(file, args, { timeout: opts.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' } });
    } catch (e) {
      const err = e as Error & { stdout?: string; stderr?: string };
      throw new Error(`${what} failed (${opts.lock}): ${err.message}\n${(err.stdout ?? '').slice(-4000)}\n${(err.stderr ?? '').slice(-4000)}`);
    }
  };
  await step('python3 -m venv', python, ['-m', 'venv', opts.dir]);
  await step('pip install', bin('python'), ['-m', 'pip', 'install', '--quiet', '--require-hashes', '--no-deps', '-r', opts.lock]);
  writeFileSync(stampFile, `${stamp}\n`);
  return { dir: opts.dir, bin, installed: true, ms: Math.round(performance.now() - started) };
}
