/**
 * The first start's admin and client keys, shown once. On an interactive terminal they are printed;
 * otherwise stdout is a pipe, a log file or the journal, where a key would stay readable for as
 * long as the logs are kept, so they go to a file only their owner can read (0600) next to the
 * database, and only its path is printed (to stderr).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIRST_KEYS_FILE = 'first-start-keys.txt';

/** How operators make more keys (src/cli/keys.ts). */
const MORE_KEYS = 'More keys: npx synrouter keys create --name NAME [--mode coding|general] [--admin] (with the same --db or SYNROUTER_DB as the server)';

export function firstKeysText(url: string, adminKey: string, clientKey: string): string {
  return `
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

${MORE_KEYS}
`;
}

/**
 * Prints `text` when stdout is a terminal; else writes it to `<dir>/first-start-keys.txt` (0600)
 * and says where on stderr. Returns the file's path, if it wrote one.
 */
export function deliverFirstKeys(text: string, out: { tty: boolean; dir: string; print(s: string): void; note(s: string): void }): string | undefined {
  if (out.tty) {
    out.print(text);
    return undefined;
  }
  const file = join(out.dir, FIRST_KEYS_FILE);
  try {
    // A file left by an earlier store holds keys that no longer exist. Removed, then created
    // exclusively ('wx'): never written through a symlink or into a file someone else opened.
    rmSync(file, { force: true });
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    out.note(`synrouter: created the first admin and client keys but could not write them to ${file} (${(err as Error).message}); stdout is not a terminal, so they are not printed. ${MORE_KEYS}.`);
    return undefined;
  }
  out.note(
    `synrouter: created the first admin and client keys. stdout is not a terminal, so instead of printing them into a log they are in\n` +
    `  ${file}\n` +
    `(mode 0600, readable by this user only): read it, store the keys, then delete it. ${MORE_KEYS}.`,
  );
  return file;
}
