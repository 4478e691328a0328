/**
 * Synrouter at an earlier commit, for the benchmark's before/after row: a detached git worktree of
 * that commit in the benchmark's temp dir, with this checkout's node_modules linked in (an earlier
 * commit needs no dependency this one lacks), started like the current one (processes.ts). Stopping
 * it also removes the worktree.
 */
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startSynrouter, type SynrouterProc } from './processes.ts';

export async function startBase(rev: string, tmp: string, opts: { upstreamUrl: string; configFile: string }): Promise<SynrouterProc & { commit: string }> {
  const dir = join(tmp, 'base-checkout');
  const git = (...args: string[]) => execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const commit = git('rev-parse', '--short', `${rev}^{commit}`);
  git('worktree', 'add', '--detach', dir, commit);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const remove = () => { try { git('worktree', 'remove', '--force', dir); } catch { /* already gone */ } };
  try {
    const p = await startSynrouter({ dir: join(tmp, 'synrouter-base'), upstreamUrl: opts.upstreamUrl, configFile: opts.configFile, root: dir });
    return { ...p, commit, stop: async () => { await p.stop(); remove(); } };
  } catch (err) {
    remove();
    throw err;
  }
}
