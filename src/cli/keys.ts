/** `synrouter keys create|list|revoke`: works on the store directly, also while the server runs (WAL). */
import type { Config } from '../config.ts';
import { openDatabase } from '../store/db.ts';
import { KeyStore, type KeyMode } from '../store/keys.ts';
import { escapeControls } from '../escape-controls.ts';

export function keysCommand(config: Config, args: string[], opts: { name?: string; mode?: string; admin?: boolean; shadow?: boolean }): number {
  const db = openDatabase(config.dbPath);
  try {
    const keys = new KeyStore(db);
    const [sub, id] = args;
    switch (sub) {
      case 'create': {
        if (!opts.name) return fail('keys create needs --name N');
        const mode = (opts.mode ?? 'coding') as KeyMode;
        if (mode !== 'coding' && mode !== 'general') return fail('--mode must be coding or general');
        const { key, record } = keys.create({ name: opts.name, mode, role: opts.admin ? 'admin' : 'client', shadow: opts.shadow === true });
        console.error(`Created ${record.role} key ${record.id} "${escapeControls(record.name)}" (mode ${record.mode}${record.shadow ? ', shadow' : ''}). It is shown only now:`);
        console.log(key);
        return 0;
      }
      case 'list': {
        const rows = keys.list().map((k) => [k.id, k.name, k.role, k.shadow ? `${k.mode} (shadow)` : k.mode, `${k.prefix}...`, new Date(k.createdAt).toISOString().slice(0, 19) + 'Z', k.revokedAt ? 'revoked' : 'active']);
        printTable(['ID', 'NAME', 'ROLE', 'MODE', 'KEY', 'CREATED', 'STATUS'], rows);
        return 0;
      }
      case 'revoke': {
        if (!id) return fail('keys revoke needs a key ID (see `synrouter keys list`)');
        if (!keys.get(id)) return fail(`no key with ID ${id}`);
        if (!keys.revoke(id)) return fail(`key ${id} is already revoked`);
        console.log(`Revoked ${id}.`);
        return 0;
      }
      default:
        return fail('usage: synrouter keys create --name N [--mode coding|general] | keys list | keys revoke ID');
    }
  } finally {
    db.close();
  }
}

function fail(message: string): number {
  console.error(`synrouter: ${message}`);
  return 2;
}

/**
 * Cells hold client-controlled strings (model names, session ids from `metadata.user_id`) and key
 * names: their control and bidi characters are printed as escapes, never sent to the terminal.
 */
export function printTable(head: string[], rows: string[][]): void {
  const shown = rows.map((r) => r.map(escapeControls));
  const widths = head.map((h, i) => Math.max(h.length, ...shown.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log([line(head), ...shown.map(line)].join('\n'));
}
