/**
 * The `synrouter` command: serve, keys create|list|revoke. Arguments by node:util parseArgs.
 * Output meant for scripts goes to stdout (a created key is the last line); notes go to stderr.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { serve } from './serve.ts';
import { keysCommand } from './keys.ts';
import { usageCommand } from './usage.ts';
import { sessionsCommand } from './sessions.ts';
import { migrateCommand } from './migrate.ts';

const USAGE = `Usage: synrouter <command> [options]

Commands:
  serve                                   start the proxy (default)
  keys create --name N [--mode coding|general] [--admin] [--shadow]
                                          create a key; the key is printed on the last line
  keys list                               list keys (never the keys themselves)
  keys revoke ID                          revoke a key
  migrate                                 bring the store's schema to this version and exit
                                          (PostgreSQL: instances also do it at start, one at a time)
  usage [--by key|model|day] [--since T] [--until T] [--key K]
                                          spend, the client alone, saved by Synrouter, hit rate
  sessions [--limit N] [--since T] [--until T] [--key K]
                                          recent sessions with hit rate and savings
                                          (T: 2026-05-01, 2026-05-01T12:00Z, or 24h / 7d back;
                                           K: a key's name, ID or the prefix keys list shows)

Options:
  --config FILE   JSON config file (or SYNROUTER_CONFIG)
  --port N        listen port (or SYNROUTER_PORT; default 8787)
  --db FILE       SQLite file (or SYNROUTER_DB; default data/synrouter.db)
                  SYNROUTER_DATABASE_URL=postgres://... (or database.url in the config file)
                  uses PostgreSQL instead, for several instances on one database
  -h, --help      this help`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      db: { type: 'string' },
      name: { type: 'string' },
      mode: { type: 'string' },
      admin: { type: 'boolean' },
      shadow: { type: 'boolean' },
      by: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      key: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const overrides = {
    ...(values.port !== undefined ? { port: Number(values.port) } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values.db !== undefined ? { dbPath: values.db } : {}),
  };
  const config = loadConfig({ ...(values.config ? { configPath: values.config } : {}), overrides });
  const [command = 'serve', ...rest] = positionals;
  switch (command) {
    case 'serve':
      return serve(config);
    case 'keys':
      return await keysCommand(config, rest, values);
    case 'usage':
      return await usageCommand(config, values);
    case 'sessions':
      return await sessionsCommand(config, values);
    case 'migrate':
      return await migrateCommand(config);
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { if (code !== -1) process.exitCode = code; },
  (err) => {
    console.error(err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? `synrouter: ${(err as Error).message}` : err);
    process.exitCode = 2;
  },
);
