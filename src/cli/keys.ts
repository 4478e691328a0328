/** `synrouter keys create|list|revoke`: works on the store directly, also while the server runs (SQLite's WAL; PostgreSQL). */
import type { Config } from '../config.ts';
import { openAdminStore } from '../store/open-store.ts';
import type { KeyMode } from '../store/keys.ts';
import { escapeControls } from '../escape-controls.ts';

export async function keysCommand(config: Config, args: string[], opts: { name?: string; mode?: string; admin?: boolean; shadow?: boolean }): Promise<number> {
  const store = await openAdminStore(config);
  try {
    const { keys } = store;
    const [sub, id] = args;
    switch (sub) {
      case 'create': {
        if (!opts.name) return fail('keys create needs --name N');
        const mode = (opts.mode ?? 'coding') as KeyMode;
        if (mode !== 'coding' && mode !== 'general') return fail('--mode must be coding or general');
        const { key, record } = await keys.create({ name: opts.name, mode, role: opts.admin ? 'admin' : 'client', shadow: opts.shadow === true });
        console.error(`Created ${record.role} key ${record.id} "${escapeControls(record.name)}" (mode ${record.mode}${record.shadow ? ', shadow' : ''}). It is shown only now:`);
        console.log(key);
        return 0;
      }
      case 'list': {
        const rows = (await keys.list()).map((k) => [k.id, k.name, k.role, k.shadow ? `${k.mode} (shadow)` : k.mode, `${k.prefix}...`, new Date(k.createdAt).toISOString().slice(0, 19) + 'Z', k.revokedAt ? 'revoked' : 'active']);
        printTable(['ID', 'NAME', 'ROLE', 'MODE', 'KEY', 'CREATED', 'STATUS'], rows);
        return 0;
      }
      case 'revoke': {
        if (!id) return fail('keys revoke needs a key ID (see `synrouter keys list`)');
        if (!(await keys.get(id))) return fail(`no key with ID ${id}`);
        if (!(await keys.revoke(id))) return fail(`key ${id} is already revoked`);
        console.log(`Revoked ${id}.`);
        return 0;
      }
      default:
        return fail('usage: synrouter keys create --name N [--mode coding|general] | keys list | keys revoke ID');
    }
  } finally {
    await store.close();
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
